//===- EmitPrimitives.cpp - the primitive library -------------------------===//
//
// Calls of language.md §5 primitives: argument binding, shape and dtype
// checks, and the spore ops they emit.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>
#include <optional>

using namespace spore;

namespace spore::frontend::detail {

/// A unary elementwise op whose result has its operand's type.
template <typename Op>
static mlir::Value buildUnary(mlir::OpBuilder &b, mlir::Location loc,
                              mlir::Value x) {
  return Op::create(b, loc, x);
}

/// The value of an elementwise primitive on a number, computed at compile
/// time in double precision by the interpreter's kernel (an int stays an
/// int through neg, abs and relu, as in Python).
static std::optional<EValue> foldUnary(StringRef name, const EValue &x) {
  if (name == "neg" || name == "abs" || name == "relu") {
    if (x.kind == EValue::Int && x.i != INT64_MIN)
      return EValue::ofInt(name == "neg"   ? -x.i
                           : name == "abs" ? std::abs(x.i)
                                           : std::max<int64_t>(x.i, 0));
    if (x.kind != EValue::Float)
      return std::nullopt;
  }
  if (!x.isScalarConst())
    return std::nullopt;
  std::optional<double> v = evaluateUnary(name, x.asDouble());
  return v ? std::optional<EValue>(EValue::ofFloat(*v)) : std::nullopt;
}

/// Primitives whose result has a dtype of its own (a constructor's f32 by
/// default, a count, random bits), not that of their arguments: literal
/// arguments do not make it weak.
static bool typesItsResult(StringRef name) {
  static const llvm::StringSet<> names = {
      "zeros", "ones",   "full", "arange",      "linspace",      "eye",
      "len",   "astype", "rng",  "random_bits", "random_uniform"};
  return names.contains(name);
}

FailureOr<EValue>
FunctionEmitter::callPrimitive(StringRef name, std::vector<EValue> args,
                               std::vector<SMLoc> argLocs,
                               const std::vector<Keyword> &keywords,
                               std::vector<EValue> kwValues, SMLoc l) {
  // A primitive of values computed from literals only gives such a value
  // (language.md §2): folded when it is a number, weak when a tensor.
  if (args.size() == 1 && keywords.empty())
    if (std::optional<EValue> folded = foldUnary(name, args[0]))
      return *folded;
  bool weak = !typesItsResult(name);
  bool anyData = false;
  // where's condition selects; it does not type the result.
  size_t first = name == "where" ? 1 : 0;
  for (const std::vector<EValue> *list : {&args, &kwValues})
    for (size_t i = list == &args ? first : 0; i < list->size(); ++i) {
      const EValue &v = (*list)[i];
      if (v.kind == EValue::DType || (!v.isWeak() && v.holdsTensor()))
        weak = false;
      anyData |= v.holdsTensor() || v.kind == EValue::Float;
    }
  auto result = callTypedPrimitive(name, std::move(args), std::move(argLocs),
                                   keywords, std::move(kwValues), l);
  if (failed(result) || !weak || !anyData)
    return result;
  return result->withWeak(true);
}

FailureOr<EValue>
FunctionEmitter::callTypedPrimitive(StringRef name, std::vector<EValue> args,
                                    std::vector<SMLoc> argLocs,
                                    const std::vector<Keyword> &keywords,
                                    std::vector<EValue> kwValues, SMLoc l) {
  auto bind = [&](ArrayRef<StringRef> params, size_t required) {
    return bindArgs(name, params, required, args, argLocs, keywords, kwValues,
                    l);
  };
  auto tensorArg = [&](const BoundArgs &a, size_t i) -> FailureOr<EValue> {
    return toTensor(*a.get(i), a.locs[i]);
  };
  auto floatArg = [&](const BoundArgs &a, size_t i) -> FailureOr<EValue> {
    auto t = tensorArg(a, i);
    if (failed(t))
      return mlir::failure();
    if (!mlir::isa<mlir::FloatType>(t->tensorType().getElementType()))
      return castTo(*t, b.getF32Type(), a.locs[i]);
    return t;
  };
  mlir::Location ml = loc(l);

  if (name == "stop_gradient") {
    auto a = bind({"x"}, 1);
    if (failed(a))
      return mlir::failure();
    const EValue &x = *a->get(0);
    if (x.isScalarConst())
      return x; // a constant has no derivative anyway
    if (x.kind != EValue::Tensor)
      return fail(a->locs[0],
                  "stop_gradient takes a tensor, not " + describe(x));
    return EValue::ofTensor(
        StopGradientOp::create(b, ml, x.tensor.getType(), x.tensor));
  }

  // Unary elementwise.
  using Unary = mlir::Value (*)(mlir::OpBuilder &, mlir::Location, mlir::Value);
  struct UnaryPrim {
    Unary build;
    bool needsFloat;
  };
  static const llvm::StringMap<UnaryPrim> unary = {
      {"relu", {buildUnary<ReluOp>, false}},
      {"neg", {buildUnary<NegOp>, false}},
      {"abs", {buildUnary<AbsOp>, false}},
      {"exp", {buildUnary<ExpOp>, true}},
      {"log", {buildUnary<LogOp>, true}},
      {"tanh", {buildUnary<TanhOp>, true}},
      {"sigmoid", {buildUnary<SigmoidOp>, true}},
      {"sqrt", {buildUnary<SqrtOp>, true}},
      {"rsqrt", {buildUnary<RsqrtOp>, true}},
      {"expm1", {buildUnary<Expm1Op>, true}},
      {"log1p", {buildUnary<Log1pOp>, true}},
      {"sin", {buildUnary<SinOp>, true}},
      {"cos", {buildUnary<CosOp>, true}},
      {"tan", {buildUnary<TanOp>, true}},
      {"sinh", {buildUnary<SinhOp>, true}},
      {"cosh", {buildUnary<CoshOp>, true}},
      {"asin", {buildUnary<AsinOp>, true}},
      {"acos", {buildUnary<AcosOp>, true}},
      {"atan", {buildUnary<AtanOp>, true}},
      {"erf", {buildUnary<ErfOp>, true}},
      {"lgamma", {buildUnary<LgammaOp>, true}},
      {"digamma", {buildUnary<DigammaOp>, true}},
      {"floor", {buildUnary<FloorOp>, true}},
      {"ceil", {buildUnary<CeilOp>, true}},
      {"round", {buildUnary<RoundOp>, true}},
  };
  if (auto it = unary.find(name); it != unary.end()) {
    auto a = bind({"x"}, 1);
    if (failed(a))
      return mlir::failure();
    bool needsFloat = it->second.needsFloat;
    auto x = needsFloat ? floatArg(*a, 0) : tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    if (x->tensorType().getElementType().isInteger(1))
      return fail(l, "'" + name +
                         "' of a bool tensor is not supported; "
                         "convert with astype first");
    return EValue::ofTensor(it->second.build(b, ml, x->tensor));
  }
  if (name == "_check_labels") {
    // The prelude's check of integer class labels (cross_entropy,
    // one_hot): each in [0, n), as PyTorch requires; returns the labels.
    auto a = bind({"labels", "n"}, 2);
    if (failed(a))
      return mlir::failure();
    auto labels = tensorArg(*a, 0);
    const EValue *n = a->get(1);
    if (failed(labels) || n->kind != EValue::Int)
      return fail(l, "_check_labels takes integer labels and a compile-time "
                     "class count");
    if (!mlir::isa<mlir::IntegerType>(labels->tensorType().getElementType()))
      return *labels;
    checkRange(labels->tensor, 0, n->i, l,
               "label {} is out of range for " + std::to_string(n->i) +
                   " classes");
    return *labels;
  }
  if (name == "str") {
    // Python's str() of a compile-time value (for messages of asserts).
    auto a = bind({"x"}, 1);
    if (failed(a))
      return mlir::failure();
    if (!a->get(0)->isCompileTime())
      return fail(a->locs[0], "str() takes a value known at compile time, "
                              "not " +
                                  describe(*a->get(0)));
    return EValue::named(EValue::String, pythonStr(*a->get(0)));
  }
  if (name == "polygamma") {
    // polygamma(n, x): the n-th derivative of digamma, n known at compile
    // time (scipy.special.polygamma); n = 0 is digamma.
    auto a = bind({"n", "x"}, 2);
    if (failed(a))
      return mlir::failure();
    const EValue *n = a->get(0);
    if (n->kind != EValue::Int || n->i < 0 || n->i > 16)
      return fail(a->locs[0], "polygamma's order must be a compile-time int "
                              "in [0, 16], not " +
                                  describe(*n));
    auto x = floatArg(*a, 1);
    if (failed(x))
      return mlir::failure();
    if (n->i == 0)
      return EValue::ofTensor(DigammaOp::create(b, ml, x->tensor));
    return EValue::ofTensor(
        PolygammaOp::create(b, ml, x->tensor.getType(), x->tensor, n->i));
  }
  if (name == "atan2") {
    auto a = bind({"y", "x"}, 2);
    if (failed(a))
      return mlir::failure();
    // A literal stays weak (it takes the other operand's dtype), unless
    // both are literals.
    bool weakY = a->get(0)->isScalarConst(), weakX = a->get(1)->isScalarConst();
    auto arg = [&](size_t i, bool weak) -> FailureOr<EValue> {
      if (weak)
        return EValue::ofFloat(a->get(i)->asDouble());
      return floatArg(*a, i);
    };
    auto y = arg(0, weakY && !weakX), x = arg(1, weakX);
    if (failed(y) || failed(x))
      return mlir::failure();
    return binaryOp("atan2", *y, *x, l);
  }
  if (name == "where") {
    auto a = bind({"cond", "x", "y"}, 3);
    if (failed(a))
      return mlir::failure();
    auto c = tensorArg(*a, 0);
    if (failed(c))
      return mlir::failure();
    EValue cond = *c;
    if (!cond.tensorType().getElementType().isInteger(1)) {
      auto bt = castTo(cond, b.getI1Type(), a->locs[0]);
      if (failed(bt))
        return mlir::failure();
      cond = *bt;
    }
    // The branches promote to one dtype; all three broadcast.
    const EValue *x = a->get(1), *y = a->get(2);
    EValue tx = *x, ty = *y;
    if (tx.kind != EValue::Tensor && ty.kind != EValue::Tensor) {
      auto t = toTensor(tx, a->locs[1]);
      if (failed(t))
        return mlir::failure();
      tx = *t;
    }
    auto u = unify("where", tx, ty, l);
    if (failed(u))
      return mlir::failure();
    auto [p, q] = *u;
    auto s1 =
        broadcastShapes(p.tensorType().getShape(), q.tensorType().getShape());
    auto s2 =
        succeeded(s1) ? broadcastShapes(*s1, cond.tensorType().getShape()) : s1;
    if (failed(s2))
      return fail(l, "the operands of 'where' have shapes " +
                         formatShape(cond.tensorType().getShape()) + ", " +
                         formatShape(p.tensorType().getShape()) + " and " +
                         formatShape(q.tensorType().getShape()) +
                         ", which do not broadcast");
    auto bc = broadcastTo(cond, *s2, l), bp = broadcastTo(p, *s2, l),
         bq = broadcastTo(q, *s2, l);
    if (failed(bc) || failed(bp) || failed(bq))
      return mlir::failure();
    return EValue::ofTensor(SelectOp::create(
        b, ml, bp->tensor.getType(), bc->tensor, bp->tensor, bq->tensor));
  }
  if (name == "maximum" || name == "minimum" || name == "pow") {
    auto a = bind({"x", "y"}, 2);
    if (failed(a))
      return mlir::failure();
    return binaryOp(name == "pow" ? "**" : name, *a->get(0), *a->get(1), l);
  }
  if (name == "matmul") {
    auto a = bind({"a", "b"}, 2);
    if (failed(a))
      return mlir::failure();
    return binaryOp("@", *a->get(0), *a->get(1), l);
  }
  if (name == "sum" || name == "mean" || name == "max" || name == "min" ||
      name == "prod") {
    auto a = bind({"x", "axis", "keepdims"}, 1);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    Type et = x->tensorType().getElementType();
    if (name == "mean" && !mlir::isa<mlir::FloatType>(et))
      x = castTo(*x, b.getF32Type(), l);
    else if (et.isInteger(1))
      x = castTo(*x, name == "sum" ? b.getI64Type() : b.getIntegerType(8), l);
    if (failed(x))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    auto axes = axesOf(a->get(1), t.getRank(), a->locs[1]);
    if (failed(axes))
      return mlir::failure();
    bool keepdims = false;
    if (const EValue *k = a->get(2)) {
      if (k->kind != EValue::Bool)
        return fail(a->locs[2], "keepdims must be a compile-time bool");
      keepdims = k->b;
    }
    if (name == "max" || name == "min")
      for (int64_t axis : *axes)
        if (t.getDimSize(axis) == 0)
          return fail(l,
                      "'" + name + "' over an axis of size 0 has no identity");
    auto type = RankedTensorType::get(
        reducedShape(t.getShape(), *axes, keepdims), t.getElementType());
    mlir::Value r;
    if (name == "sum")
      r = SumOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else if (name == "mean")
      r = MeanOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else if (name == "prod")
      r = ProdOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else if (name == "min")
      r = MinOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else
      r = MaxOp::create(b, ml, type, x->tensor, *axes, keepdims);
    if (et.isInteger(1) && (name == "max" || name == "min"))
      return castTo(EValue::ofTensor(r), et, l);
    return EValue::ofTensor(r);
  }
  if (name == "reshape") {
    // reshape(x, shape) and the method form x.reshape(2, 3).
    std::vector<EValue> rest(args.begin() + std::min<size_t>(1, args.size()),
                             args.end());
    if (args.size() > 2) {
      args.resize(1);
      args.push_back(EValue::ofTuple(rest));
      argLocs.resize(2);
    }
    auto a = bind({"x", "shape"}, 2);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    auto shape = shapeOf(*a->get(1), a->locs[1]);
    if (failed(shape))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    int64_t known = 1, inferred = -1;
    for (auto [i, d] : llvm::enumerate(*shape)) {
      if (d == -1) {
        if (inferred >= 0)
          return fail(a->locs[1], "only one dimension can be -1 in reshape");
        inferred = i;
      } else {
        known *= d;
      }
    }
    if (inferred >= 0) {
      if (known == 0 || t.getNumElements() % known != 0)
        return fail(a->locs[1], "cannot reshape " + formatShape(t.getShape()) +
                                    " to " + formatShape(*shape));
      (*shape)[inferred] = t.getNumElements() / known;
      known *= (*shape)[inferred];
    }
    if (known != t.getNumElements())
      return fail(a->locs[1], "cannot reshape " + formatShape(t.getShape()) +
                                  " (" + std::to_string(t.getNumElements()) +
                                  " elements) to " + formatShape(*shape));
    auto type = RankedTensorType::get(*shape, t.getElementType());
    return EValue::ofTensor(ReshapeOp::create(b, ml, type, x->tensor));
  }
  if (name == "transpose") {
    auto a = bind({"x", "axes"}, 1);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    llvm::SmallVector<int64_t> perm;
    const EValue *axes = a->get(1);
    if (!axes || axes->kind == EValue::None) {
      for (int64_t i = t.getRank() - 1; i >= 0; --i)
        perm.push_back(i);
    } else {
      std::vector<EValue> items =
          axes->kind == EValue::Tuple ? axes->elts : std::vector<EValue>{*axes};
      if ((int64_t)items.size() != t.getRank())
        return fail(a->locs[1], "transpose axes have " +
                                    std::to_string(items.size()) +
                                    " entries but the tensor has rank " +
                                    std::to_string(t.getRank()));
      for (auto &item : items) {
        if (item.kind != EValue::Int)
          return fail(a->locs[1], "transpose axes must be compile-time ints");
        int64_t p = item.i < 0 ? item.i + t.getRank() : item.i;
        if (p < 0 || p >= t.getRank() || llvm::is_contained(perm, p))
          return fail(a->locs[1], "transpose axes are not a permutation of "
                                  "the tensor's dimensions");
        perm.push_back(p);
      }
    }
    llvm::SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(t.getDimSize(p));
    auto type = RankedTensorType::get(shape, t.getElementType());
    return EValue::ofTensor(TransposeOp::create(b, ml, type, x->tensor, perm));
  }
  if (name == "broadcast_to") {
    auto a = bind({"x", "shape"}, 2);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    auto shape = shapeOf(*a->get(1), a->locs[1]);
    if (failed(shape))
      return mlir::failure();
    auto joined = broadcastShapes(x->tensorType().getShape(), *shape);
    if (failed(joined) || *joined != *shape)
      return fail(l, "cannot broadcast " +
                         formatShape(x->tensorType().getShape()) + " to " +
                         formatShape(*shape));
    return broadcastTo(*x, *shape, l);
  }
  if (name == "softmax" || name == "log_softmax") {
    auto a = bind({"x", "axis"}, 1);
    if (failed(a))
      return mlir::failure();
    auto x = floatArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    if (t.getRank() == 0)
      return fail(l, "'" + name + "' needs a tensor of rank >= 1");
    EValue axisValue = EValue::ofInt(-1);
    if (a->get(1))
      axisValue = *a->get(1);
    if (axisValue.kind != EValue::Int)
      return fail(a->locs[1], "axis must be a compile-time int");
    auto axes = axesOf(&axisValue, t.getRank(), a->locs[1]);
    if (failed(axes))
      return mlir::failure();
    mlir::Value r;
    if (name == "softmax")
      r = SoftmaxOp::create(b, ml, x->tensor, (*axes)[0]);
    else
      r = LogSoftmaxOp::create(b, ml, x->tensor, (*axes)[0]);
    return EValue::ofTensor(r);
  }
  if (name == "len") {
    auto a = bind({"x"}, 1);
    if (failed(a))
      return mlir::failure();
    const EValue &x = *a->get(0);
    if (x.kind == EValue::Tuple)
      return EValue::ofInt((int64_t)x.elts.size());
    if (x.kind == EValue::String)
      return EValue::ofInt((int64_t)x.str.size());
    if (x.kind == EValue::Tensor && x.tensorType().getRank() > 0)
      return EValue::ofInt(x.tensorType().getDimSize(0));
    return fail(a->locs[0],
                "len() needs a tuple or a tensor of rank >= 1, "
                "got " +
                    (x.kind == EValue::Tensor ? typeName(x.tensor.getType())
                                              : describe(x)));
  }
  if (name == "astype") {
    auto a = bind({"x", "dtype"}, 2);
    if (failed(a))
      return mlir::failure();
    if (a->get(1)->kind != EValue::DType)
      return fail(a->locs[1], "astype needs a dtype such as f16, got " +
                                  describe(*a->get(1)));
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    return castTo(*x, a->get(1)->dtype, l);
  }
  if (name == "zeros" || name == "ones" || name == "full") {
    bool isFull = name == "full";
    auto a = isFull ? bind({"shape", "fill_value", "dtype"}, 2)
                    : bind({"shape", "dtype"}, 1);
    if (failed(a))
      return mlir::failure();
    auto shape = shapeOf(*a->get(0), a->locs[0]);
    if (failed(shape))
      return mlir::failure();
    for (int64_t d : *shape)
      if (d < 0)
        return fail(a->locs[0], "negative dimension in a shape");
    size_t dtypeIndex = isFull ? 2 : 1;
    Type et = b.getF32Type();
    double value = name == "ones" ? 1.0 : 0.0;
    if (isFull) {
      const EValue *fill = a->get(1);
      if (!fill->isScalarConst())
        return fail(a->locs[1], "fill_value must be a compile-time number");
      value = fill->asDouble();
      if (fill->kind == EValue::Int)
        et = b.getI64Type();
      else if (fill->kind == EValue::Bool)
        et = b.getI1Type();
    }
    if (const EValue *dt = a->get(dtypeIndex)) {
      if (dt->kind != EValue::DType)
        return fail(a->locs[dtypeIndex], "dtype must be a dtype such as f32");
      et = dt->dtype;
    }
    return constantTensor(RankedTensorType::get(*shape, et), value, l);
  }
  if (name == "arange" || name == "linspace" || name == "eye")
    return constructPrimitive(name, args, argLocs, keywords, kwValues, l);
  if (name == "rng" || name == "random_bits" || name == "random_uniform" ||
      (name == "split" && args.size() + kwValues.size() == 1))
    return randomPrimitive(name, args, argLocs, keywords, kwValues, l);
  if (name == "concatenate" || name == "flip" || name == "pad" ||
      name == "split")
    return shapePrimitive(name, args, argLocs, keywords, kwValues, l);
  if (name == "einsum")
    return emitEinsum(args, argLocs, keywords, l);
  if (name == "gather" || name == "scatter_add") {
    bool scatter = name == "scatter_add";
    auto a = scatter ? bind({"x", "indices", "updates", "axis"}, 3)
                     : bind({"x", "indices", "axis"}, 2);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0), idx = tensorArg(*a, 1);
    if (failed(x) || failed(idx))
      return mlir::failure();
    Type it = idx->tensorType().getElementType();
    if (!mlir::isa<mlir::IntegerType>(it) || it.isInteger(1))
      return fail(a->locs[1], "indices must be an integer tensor, got " +
                                  typeName(idx->tensor.getType()));
    RankedTensorType xt = x->tensorType();
    if (xt.getRank() == 0)
      return fail(a->locs[0], "'" + name + "' needs a tensor of rank >= 1");
    auto axis =
        axesOf(a->get(scatter ? 3 : 2), xt.getRank(), a->locs[scatter ? 3 : 2]);
    if (failed(axis))
      return mlir::failure();
    if (!a->get(scatter ? 3 : 2))
      axis->assign(1, 0); // default axis 0
    if (axis->size() != 1)
      return fail(l, "'" + name + "' takes one axis");
    int64_t ax = (*axis)[0];
    llvm::SmallVector<int64_t> shape(xt.getShape().begin(),
                                     xt.getShape().begin() + ax);
    for (int64_t d : idx->tensorType().getShape())
      shape.push_back(d);
    shape.append(xt.getShape().begin() + ax + 1, xt.getShape().end());
    auto type = RankedTensorType::get(shape, xt.getElementType());
    checkIndex(idx->tensor, xt.getDimSize(ax), ax, a->locs[1]);
    if (!scatter)
      return EValue::ofTensor(GatherOp::create(
          b, ml, type, x->tensor, idx->tensor, b.getI64IntegerAttr(ax)));
    auto u = tensorArg(*a, 2);
    if (failed(u))
      return mlir::failure();
    auto uc = castTo(*u, xt.getElementType(), a->locs[2]);
    if (failed(uc))
      return mlir::failure();
    auto ub = broadcastTo(*uc, shape, a->locs[2]);
    if (failed(broadcastShapes(uc->tensorType().getShape(), shape)) ||
        failed(ub))
      return fail(a->locs[2], "updates of shape " +
                                  formatShape(uc->tensorType().getShape()) +
                                  " do not broadcast to " + formatShape(shape));
    return EValue::ofTensor(ScatterAddOp::create(b, ml, xt, x->tensor,
                                                 idx->tensor, ub->tensor,
                                                 b.getI64IntegerAttr(ax)));
  }
  if (name == "slice") {
    // slice(x, starts, sizes): a block at compile-time or run-time starts.
    auto a = bind({"x", "starts", "sizes"}, 3);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    RankedTensorType xt = x->tensorType();
    auto sizes = shapeOf(*a->get(2), a->locs[2]);
    if (failed(sizes))
      return mlir::failure();
    const EValue *st = a->get(1);
    std::vector<EValue> starts =
        st->kind == EValue::Tuple ? st->elts : std::vector<EValue>{*st};
    if ((int64_t)starts.size() != xt.getRank() ||
        (int64_t)sizes->size() != xt.getRank())
      return fail(l, "slice needs one start and one size per dimension (" +
                         std::to_string(xt.getRank()) + ")");
    auto i64 = RankedTensorType::get({}, b.getI64Type());
    llvm::SmallVector<mlir::Value> values;
    for (size_t d = 0; d < starts.size(); ++d) {
      if ((*sizes)[d] < 0 || (*sizes)[d] > xt.getDimSize(d))
        return fail(a->locs[2], "slice size " + std::to_string((*sizes)[d]) +
                                    " does not fit dimension " +
                                    std::to_string(d) + " of size " +
                                    std::to_string(xt.getDimSize(d)));
      auto t = materialize(starts[d], b.getI64Type(), a->locs[1]);
      if (failed(t))
        return mlir::failure();
      if (t->tensor.getType() != i64)
        return fail(a->locs[1], "slice starts must be integer scalars");
      values.push_back(t->tensor);
    }
    auto type = RankedTensorType::get(*sizes, xt.getElementType());
    return EValue::ofTensor(
        DynamicSliceOp::create(b, ml, type, x->tensor, values));
  }
  if (name == "cumsum") {
    auto a = bind({"x", "axis"}, 1);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    EValue v = *x;
    if (v.tensorType().getElementType().isInteger(1)) {
      auto c = castTo(v, b.getI64Type(), l);
      if (failed(c))
        return mlir::failure();
      v = *c;
    }
    const EValue *axis = a->get(1);
    if (!axis || axis->kind == EValue::None) {
      // NumPy: the running sum of the flattened tensor.
      auto flat = RankedTensorType::get({v.tensorType().getNumElements()},
                                        v.tensorType().getElementType());
      v = EValue::ofTensor(ReshapeOp::create(b, ml, flat, v.tensor));
      return EValue::ofTensor(
          CumsumOp::create(b, ml, v.tensor, b.getI64IntegerAttr(0)));
    }
    auto axes = axesOf(axis, v.tensorType().getRank(), a->locs[1]);
    if (failed(axes))
      return mlir::failure();
    if (axes->size() != 1)
      return fail(a->locs[1], "cumsum takes one axis");
    return EValue::ofTensor(
        CumsumOp::create(b, ml, v.tensor, b.getI64IntegerAttr((*axes)[0])));
  }
  if (name == "conv2d" || name == "max_pool2d" || name == "avg_pool2d")
    return windowPrimitive(name, args, argLocs, keywords, kwValues, l);
  return fail(l, "'" + name + "' is not supported yet");
}

FailureOr<EValue>
FunctionEmitter::constructPrimitive(StringRef name, std::vector<EValue> &args,
                                    std::vector<SMLoc> &argLocs,
                                    const std::vector<Keyword> &keywords,
                                    std::vector<EValue> &kwValues, SMLoc l) {
  // Constants built at compile time from compile-time arguments.
  auto number = [&](const EValue *v, SMLoc at,
                    const char *what) -> FailureOr<double> {
    if (!v || !v->isScalarConst())
      return fail(at, std::string(what) + " of '" + name.str() +
                          "' must be a compile-time number");
    return v->asDouble();
  };
  auto dtypeOr = [&](const EValue *v, SMLoc at, Type dflt) -> FailureOr<Type> {
    if (!v || v->kind == EValue::None)
      return dflt;
    if (v->kind != EValue::DType)
      return fail(at, "dtype must be a dtype such as f32");
    return v->dtype;
  };
  auto constant = [&](llvm::ArrayRef<int64_t> shape, Type et,
                      llvm::ArrayRef<double> values) {
    auto type = RankedTensorType::get(shape, et);
    llvm::SmallVector<mlir::Attribute> attrs;
    for (double v : values)
      attrs.push_back(mlir::isa<mlir::FloatType>(et)
                          ? (mlir::Attribute)b.getFloatAttr(et, v)
                          : (mlir::Attribute)b.getIntegerAttr(et, (int64_t)v));
    return EValue::ofTensor(ConstantOp::create(
        b, loc(l), mlir::DenseElementsAttr::get(type, attrs)));
  };
  if (name == "arange") {
    auto a = bindArgs(name, {"start", "stop", "step", "dtype"}, 1, args,
                      argLocs, keywords, kwValues, l);
    if (failed(a))
      return mlir::failure();
    const EValue *first = a->get(0), *second = a->get(1);
    bool isFloat = false;
    for (size_t i = 0; i < 3; ++i)
      if (const EValue *v = a->get(i))
        isFloat |= v->kind == EValue::Float;
    double start = 0, stop, step = 1;
    auto s0 = number(first, a->locs[0], "start");
    if (failed(s0))
      return mlir::failure();
    if (second && second->kind != EValue::None) {
      auto s1 = number(second, a->locs[1], "stop");
      if (failed(s1))
        return mlir::failure();
      start = *s0;
      stop = *s1;
    } else {
      stop = *s0;
    }
    if (const EValue *v = a->get(2)) {
      auto s2 = number(v, a->locs[2], "step");
      if (failed(s2))
        return mlir::failure();
      step = *s2;
    }
    if (step == 0)
      return fail(l, "arange step must not be zero");
    int64_t n = std::max<int64_t>(0, (int64_t)std::ceil((stop - start) / step));
    if (n > (int64_t(1) << 26))
      return fail(l, "arange of " + std::to_string(n) +
                         " elements is too large for a constant");
    auto et = dtypeOr(a->get(3), a->locs[3],
                      isFloat ? (Type)b.getF32Type() : (Type)b.getI64Type());
    if (failed(et))
      return mlir::failure();
    llvm::SmallVector<double> values;
    for (int64_t i = 0; i < n; ++i)
      values.push_back(start + i * step);
    return constant({n}, *et, values);
  }
  if (name == "linspace") {
    auto a = bindArgs(name, {"start", "stop", "num", "endpoint", "dtype"}, 2,
                      args, argLocs, keywords, kwValues, l);
    if (failed(a))
      return mlir::failure();
    auto start = number(a->get(0), a->locs[0], "start");
    auto stop = number(a->get(1), a->locs[1], "stop");
    if (failed(start) || failed(stop))
      return mlir::failure();
    int64_t num = 50;
    if (const EValue *v = a->get(2)) {
      if (v->kind != EValue::Int || v->i < 0)
        return fail(a->locs[2], "num must be a compile-time int >= 0");
      num = v->i;
    }
    bool endpoint = true;
    if (const EValue *v = a->get(3))
      endpoint = v->asDouble() != 0;
    auto et = dtypeOr(a->get(4), a->locs[4], b.getF32Type());
    if (failed(et))
      return mlir::failure();
    double div = endpoint ? num - 1 : num;
    llvm::SmallVector<double> values;
    for (int64_t i = 0; i < num; ++i)
      values.push_back(div > 0 ? *start + (*stop - *start) * i / div : *start);
    return constant({num}, *et, values);
  }
  // eye(n, m=None, k=0, dtype=f32)
  auto a = bindArgs(name, {"n", "m", "k", "dtype"}, 1, args, argLocs, keywords,
                    kwValues, l);
  if (failed(a))
    return mlir::failure();
  auto dim = [&](size_t i, int64_t dflt) -> FailureOr<int64_t> {
    const EValue *v = a->get(i);
    if (!v || v->kind == EValue::None)
      return dflt;
    if (v->kind != EValue::Int)
      return fail(a->locs[i], "eye needs compile-time ints");
    return v->i;
  };
  auto n = dim(0, 0);
  if (failed(n))
    return mlir::failure();
  auto mm = dim(1, *n), k = dim(2, 0);
  if (failed(mm) || failed(k))
    return mlir::failure();
  if (*n < 0 || *mm < 0)
    return fail(l, "eye needs non-negative sizes");
  auto et = dtypeOr(a->get(3), a->locs[3], b.getF32Type());
  if (failed(et))
    return mlir::failure();
  llvm::SmallVector<double> values;
  for (int64_t i = 0; i < *n; ++i)
    for (int64_t j = 0; j < *mm; ++j)
      values.push_back(j - i == *k ? 1.0 : 0.0);
  return constant({*n, *mm}, *et, values);
}

FailureOr<EValue>
FunctionEmitter::shapePrimitive(StringRef name, std::vector<EValue> &args,
                                std::vector<SMLoc> &argLocs,
                                const std::vector<Keyword> &keywords,
                                std::vector<EValue> &kwValues, SMLoc l) {
  mlir::Location ml = loc(l);
  auto axisOf = [&](const EValue *v, SMLoc at, int64_t rank,
                    int64_t dflt) -> FailureOr<int64_t> {
    if (!v)
      return dflt;
    if (v->kind != EValue::Int)
      return fail(at, "axis must be a compile-time int");
    int64_t axis = v->i < 0 ? v->i + rank : v->i;
    if (axis < 0 || axis >= rank)
      return fail(at, "axis " + std::to_string(v->i) +
                          " is out of bounds for a tensor of rank " +
                          std::to_string(rank));
    return axis;
  };
  if (name == "concatenate") {
    auto a =
        bindArgs(name, {"xs", "axis"}, 1, args, argLocs, keywords, kwValues, l);
    if (failed(a))
      return mlir::failure();
    const EValue *xs = a->get(0);
    if (xs->kind != EValue::Tuple || xs->elts.empty())
      return fail(a->locs[0], "concatenate needs a non-empty tuple or list "
                              "of tensors");
    // One dtype for all (as with arithmetic), then equal shapes off axis.
    std::vector<EValue> parts;
    for (const EValue &x : xs->elts) {
      auto t = toTensor(x, a->locs[0]);
      if (failed(t))
        return mlir::failure();
      parts.push_back(*t);
    }
    for (size_t i = 1; i < parts.size(); ++i) {
      auto u = unify("concatenate", parts[0], parts[i], l);
      if (failed(u))
        return mlir::failure();
      parts[0] = u->first;
      parts[i] = u->second;
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      auto c = castTo(parts[i], parts[0].tensorType().getElementType(), l);
      if (failed(c))
        return mlir::failure();
      parts[i] = *c;
    }
    RankedTensorType first = parts[0].tensorType();
    if (first.getRank() == 0)
      return fail(a->locs[0], "concatenate needs tensors of rank >= 1");
    auto axis = axisOf(a->get(1), a->locs[1], first.getRank(), 0);
    if (failed(axis))
      return mlir::failure();
    llvm::SmallVector<int64_t> shape(first.getShape());
    shape[*axis] = 0;
    llvm::SmallVector<mlir::Value> values;
    for (auto &p : parts) {
      ArrayRef<int64_t> s = p.tensorType().getShape();
      bool same = (int64_t)s.size() == first.getRank();
      for (size_t d = 0; same && d < s.size(); ++d)
        same = (int64_t)d == *axis || s[d] == first.getDimSize(d);
      if (!same)
        return fail(l, "concatenate along axis " + std::to_string(*axis) +
                           " needs equal shapes off the axis, got " +
                           formatShape(first.getShape()) + " and " +
                           formatShape(s));
      shape[*axis] += s[*axis];
      // Empty parts add nothing (and upstream's concat mishandles them).
      if (s[*axis] != 0)
        values.push_back(p.tensor);
    }
    if (values.empty())
      values.push_back(parts[0].tensor);
    auto type = RankedTensorType::get(shape, first.getElementType());
    return EValue::ofTensor(
        ConcatenateOp::create(b, ml, type, values, b.getI64IntegerAttr(*axis)));
  }
  auto a = name == "flip" ? bindArgs(name, {"x", "axis"}, 1, args, argLocs,
                                     keywords, kwValues, l)
           : name == "pad"
               ? bindArgs(name, {"x", "pad_width", "constant_values"}, 2, args,
                          argLocs, keywords, kwValues, l)
               : bindArgs(name, {"x", "indices_or_sections", "axis"}, 2, args,
                          argLocs, keywords, kwValues, l);
  if (failed(a))
    return mlir::failure();
  auto xv = toTensor(*a->get(0), a->locs[0]);
  if (failed(xv))
    return mlir::failure();
  RankedTensorType t = xv->tensorType();
  ArrayRef<int64_t> shape = t.getShape();
  int64_t rank = t.getRank();
  if (name == "flip") {
    auto axes = axesOf(a->get(1), rank, a->locs[1]);
    if (failed(axes))
      return mlir::failure();
    llvm::SmallVector<int64_t> starts(rank, 0), steps(rank, 1);
    for (int64_t axis : *axes)
      if (shape[axis] > 1) {
        starts[axis] = shape[axis] - 1;
        steps[axis] = -1;
      }
    if (llvm::all_of(steps, [](int64_t s) { return s == 1; }) ||
        t.getNumElements() == 0)
      return *xv;
    return EValue::ofTensor(SliceOp::create(b, ml, t, xv->tensor,
                                            b.getDenseI64ArrayAttr(starts),
                                            b.getDenseI64ArrayAttr(steps)));
  }
  if (name == "pad") {
    // pad_width: an int, a pair, or one pair per dimension.
    const EValue *pw = a->get(1);
    llvm::SmallVector<std::pair<int64_t, int64_t>> pads;
    auto asInt = [](const EValue &v, int64_t &out) {
      if (v.kind != EValue::Int || v.i < 0)
        return false;
      out = v.i;
      return true;
    };
    auto asPair = [&](const EValue &v, std::pair<int64_t, int64_t> &out) {
      if (v.kind == EValue::Tuple && v.elts.size() == 2)
        return asInt(v.elts[0], out.first) && asInt(v.elts[1], out.second);
      int64_t both;
      if (!asInt(v, both))
        return false;
      out = {both, both};
      return true;
    };
    std::pair<int64_t, int64_t> one;
    if (asPair(*pw, one)) {
      pads.assign(rank, one);
    } else if (pw->kind == EValue::Tuple && (int64_t)pw->elts.size() == rank) {
      for (const EValue &p : pw->elts) {
        if (!asPair(p, one))
          return fail(a->locs[1], "pad_width needs compile-time ints >= 0");
        pads.push_back(one);
      }
    } else {
      return fail(a->locs[1], "pad_width must be an int, a pair, or one pair "
                              "per dimension (" +
                                  std::to_string(rank) + ")");
    }
    double value = 0;
    if (const EValue *c = a->get(2)) {
      if (!c->isScalarConst())
        return fail(a->locs[2], "constant_values must be a compile-time "
                                "number");
      value = c->asDouble();
    }
    llvm::SmallVector<int64_t> padded, starts, steps(rank, 1);
    for (int64_t d = 0; d < rank; ++d) {
      padded.push_back(shape[d] + pads[d].first + pads[d].second);
      starts.push_back(pads[d].first);
    }
    auto type = RankedTensorType::get(padded, t.getElementType());
    EValue fill = constantTensor(type, value, l);
    if (t.getNumElements() == 0)
      return fill;
    return EValue::ofTensor(UpdateSliceOp::create(
        b, ml, type, fill.tensor, xv->tensor, b.getDenseI64ArrayAttr(starts),
        b.getDenseI64ArrayAttr(steps)));
  }
  // split(x, sections or indices, axis=0): a tuple of slices.
  if (rank == 0)
    return fail(a->locs[0], "split needs a tensor of rank >= 1");
  auto axis = axisOf(a->get(2), a->locs[2], rank, 0);
  if (failed(axis))
    return mlir::failure();
  int64_t n = shape[*axis];
  llvm::SmallVector<int64_t> bounds{0};
  const EValue *how = a->get(1);
  if (how->kind == EValue::Int) {
    if (how->i <= 0 || n % how->i != 0)
      return fail(a->locs[1], "split into " + std::to_string(how->i) +
                                  " sections needs them to divide the axis "
                                  "size " +
                                  std::to_string(n));
    for (int64_t i = 1; i <= how->i; ++i)
      bounds.push_back(n / how->i * i);
  } else if (how->kind == EValue::Tuple) {
    for (const EValue &v : how->elts) {
      if (v.kind != EValue::Int)
        return fail(a->locs[1], "split indices must be compile-time ints");
      bounds.push_back(std::min(
          std::max<int64_t>(v.i < 0 ? v.i + n : v.i, bounds.back()), n));
    }
    bounds.push_back(n);
  } else {
    return fail(a->locs[1], "split needs a number of sections or a tuple of "
                            "indices");
  }
  std::vector<EValue> parts;
  for (size_t i = 0; i + 1 < bounds.size(); ++i) {
    llvm::SmallVector<int64_t> starts(rank, 0), steps(rank, 1),
        sizes(shape.begin(), shape.end());
    starts[*axis] = bounds[i];
    sizes[*axis] = bounds[i + 1] - bounds[i];
    auto type = RankedTensorType::get(sizes, t.getElementType());
    if (sizes[*axis] == 0) {
      parts.push_back(constantTensor(type, 0, l));
      continue;
    }
    parts.push_back(EValue::ofTensor(
        SliceOp::create(b, ml, type, xv->tensor, b.getDenseI64ArrayAttr(starts),
                        b.getDenseI64ArrayAttr(steps))));
  }
  return EValue::ofTuple(std::move(parts));
}

FailureOr<EValue>
FunctionEmitter::windowPrimitive(StringRef name, std::vector<EValue> &args,
                                 std::vector<SMLoc> &argLocs,
                                 const std::vector<Keyword> &keywords,
                                 std::vector<EValue> &kwValues, SMLoc l) {
  bool conv = name == "conv2d";
  auto a = conv
               ? bindArgs(name,
                          {"x", "w", "stride", "padding", "dilation", "groups"},
                          2, args, argLocs, keywords, kwValues, l)
               : bindArgs(name, {"x", "window", "stride", "padding"}, 2, args,
                          argLocs, keywords, kwValues, l);
  if (failed(a))
    return mlir::failure();
  auto x = toTensor(*a->get(0), a->locs[0]);
  if (failed(x))
    return mlir::failure();
  if (!mlir::isa<mlir::FloatType>(x->tensorType().getElementType())) {
    x = castTo(*x, b.getF32Type(), l);
    if (failed(x))
      return mlir::failure();
  }
  RankedTensorType xt = x->tensorType();
  if (xt.getRank() != 4)
    return fail(a->locs[0], "'" + name +
                                "' needs NHWC activations of rank 4, got " +
                                typeName(xt));
  // An int, or a pair of ints, for the two spatial dimensions.
  auto pair = [&](size_t i, int64_t dflt,
                  const char *what) -> FailureOr<std::array<int64_t, 2>> {
    const EValue *v = a->get(i);
    if (!v || v->kind == EValue::None)
      return std::array<int64_t, 2>{dflt, dflt};
    if (v->kind == EValue::Int)
      return std::array<int64_t, 2>{v->i, v->i};
    if (v->kind == EValue::Tuple && v->elts.size() == 2 &&
        v->elts[0].kind == EValue::Int && v->elts[1].kind == EValue::Int)
      return std::array<int64_t, 2>{v->elts[0].i, v->elts[1].i};
    return fail(a->locs[i], std::string(what) + " of '" + name.str() +
                                "' must be a compile-time int or pair of "
                                "ints");
  };
  EValue w;
  std::array<int64_t, 2> window;
  if (conv) {
    auto wv = toTensor(*a->get(1), a->locs[1]);
    if (failed(wv))
      return mlir::failure();
    w = *wv;
    if (w.tensorType().getRank() != 4)
      return fail(a->locs[1], "conv2d needs an HWIO filter of rank 4, got " +
                                  typeName(w.tensorType()));
    if (w.tensorType().getElementType() != xt.getElementType()) {
      auto c = castTo(w, xt.getElementType(), a->locs[1]);
      if (failed(c))
        return mlir::failure();
      w = *c;
    }
    window = {w.tensorType().getDimSize(0), w.tensorType().getDimSize(1)};
  } else {
    auto wv = pair(1, 1, "window");
    if (failed(wv))
      return mlir::failure();
    window = *wv;
  }
  auto stride = pair(2, conv ? 1 : -1, "stride");
  if (failed(stride))
    return mlir::failure();
  if ((*stride)[0] == -1)
    *stride = window; // pooling: the window's size by default
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
  if (conv) {
    auto d = pair(4, 1, "dilation");
    if (failed(d))
      return mlir::failure();
    dilation = *d;
    if (const EValue *g = a->get(5)) {
      if (g->kind != EValue::Int)
        return fail(a->locs[5], "groups must be a compile-time int");
      groups = g->i;
    }
  }
  for (int64_t v : {(*stride)[0], (*stride)[1], dilation[0], dilation[1],
                    window[0], window[1], groups})
    if (v <= 0)
      return fail(l, "'" + name +
                         "' needs positive window sizes, strides, "
                         "dilations and groups");
  // padding: an int, a pair (per dimension), a pair of pairs, or "valid" /
  // "same" (the output has ceil(size / stride) elements).
  std::array<int64_t, 4> padding{0, 0, 0, 0};
  if (const EValue *p = a->get(3)) {
    if (p->kind == EValue::String && (p->str == "valid" || p->str == "same")) {
      if (p->str == "same")
        for (int d = 0; d < 2; ++d) {
          int64_t size = xt.getDimSize(1 + d);
          int64_t outSize = (size + (*stride)[d] - 1) / (*stride)[d];
          int64_t total =
              std::max<int64_t>((outSize - 1) * (*stride)[d] +
                                    (window[d] - 1) * dilation[d] + 1 - size,
                                0);
          padding[2 * d] = total / 2;
          padding[2 * d + 1] = total - total / 2;
        }
    } else if (p->kind == EValue::Tuple && p->elts.size() == 2 &&
               p->elts[0].kind == EValue::Tuple) {
      for (int d = 0; d < 2; ++d) {
        const EValue &q = p->elts[d];
        if (q.kind != EValue::Tuple || q.elts.size() != 2 ||
            q.elts[0].kind != EValue::Int || q.elts[1].kind != EValue::Int)
          return fail(a->locs[3], "padding pairs must hold compile-time ints");
        padding[2 * d] = q.elts[0].i;
        padding[2 * d + 1] = q.elts[1].i;
      }
    } else {
      auto pv = pair(3, 0, "padding");
      if (failed(pv))
        return mlir::failure();
      padding = {(*pv)[0], (*pv)[0], (*pv)[1], (*pv)[1]};
    }
  }
  for (int64_t v : padding)
    if (v < 0)
      return fail(a->locs[3], "padding must not be negative");
  int64_t oh = windowOutputSize(xt.getDimSize(1), window[0], (*stride)[0],
                                dilation[0], padding[0] + padding[1]);
  int64_t ow = windowOutputSize(xt.getDimSize(2), window[1], (*stride)[1],
                                dilation[1], padding[2] + padding[3]);
  if (oh < 0 || ow < 0)
    return fail(l, "the " + std::string(conv ? "filter" : "window") + " (" +
                       std::to_string(window[0]) + "x" +
                       std::to_string(window[1]) +
                       ") does not fit in the padded input " + typeName(xt));
  mlir::Location ml = loc(l);
  if (conv) {
    int64_t c = xt.getDimSize(3), wc = w.tensorType().getDimSize(2),
            f = w.tensorType().getDimSize(3);
    if (c % groups != 0 || f % groups != 0)
      return fail(l, "conv2d groups (" + std::to_string(groups) +
                         ") must divide the input channels (" +
                         std::to_string(c) + ") and the filters (" +
                         std::to_string(f) + ")");
    if (wc * groups != c)
      return fail(a->locs[1], "conv2d filter " + typeName(w.tensorType()) +
                                  " expects " + std::to_string(wc * groups) +
                                  " input channels, the input has " +
                                  std::to_string(c));
    auto type = RankedTensorType::get({xt.getDimSize(0), oh, ow, f},
                                      xt.getElementType());
    return EValue::ofTensor(Conv2DOp::create(
        b, ml, type, x->tensor, w.tensor, b.getDenseI64ArrayAttr(*stride),
        b.getDenseI64ArrayAttr(dilation), b.getDenseI64ArrayAttr(padding),
        b.getI64IntegerAttr(groups)));
  }
  auto type = RankedTensorType::get(
      {xt.getDimSize(0), oh, ow, xt.getDimSize(3)}, xt.getElementType());
  return EValue::ofTensor(Pool2DOp::create(
      b, ml, type, name == "max_pool2d" ? PoolKind::max : PoolKind::avg,
      x->tensor, b.getDenseI64ArrayAttr(window),
      b.getDenseI64ArrayAttr(*stride), b.getDenseI64ArrayAttr(padding)));
}

FailureOr<EValue> FunctionEmitter::emitEinsum(std::vector<EValue> &args,
                                              std::vector<SMLoc> &argLocs,
                                              const std::vector<Keyword> &kws,
                                              SMLoc l) {
  if (!kws.empty())
    return fail(kws[0].loc, "einsum takes no keyword arguments");
  if (args.size() < 2 || args[0].kind != EValue::String)
    return fail(l, "einsum needs a subscripts string and operands, as in "
                   "einsum('ij,jk->ik', a, b)");
  std::string spec;
  for (char c : args[0].str)
    if (!std::isspace((unsigned char)c))
      spec += c;
  if (spec.find("...") != std::string::npos)
    return fail(argLocs[0], "einsum with '...' is not supported yet");
  std::string inputs = spec, output;
  bool explicitOutput = false;
  if (auto arrow = spec.find("->"); arrow != std::string::npos) {
    inputs = spec.substr(0, arrow);
    output = spec.substr(arrow + 2);
    explicitOutput = true;
  }
  struct Term {
    std::string labels;
    EValue value;
  };
  std::vector<Term> terms;
  llvm::SmallVector<StringRef> parts;
  StringRef(inputs).split(parts, ',');
  if (parts.size() != args.size() - 1)
    return fail(argLocs[0],
                "einsum subscripts name " + std::to_string(parts.size()) +
                    " operands, but " + std::to_string(args.size() - 1) +
                    " were given");
  std::map<char, int64_t> sizes;
  std::map<char, int> count;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto t = toTensor(args[i + 1], argLocs[i + 1]);
    if (failed(t))
      return mlir::failure();
    std::string labels = parts[i].str();
    RankedTensorType type = t->tensorType();
    if ((int64_t)labels.size() != type.getRank())
      return fail(argLocs[i + 1], "einsum operand " + std::to_string(i) +
                                      " has rank " +
                                      std::to_string(type.getRank()) +
                                      " but subscripts '" + labels + "'");
    for (size_t k = 0; k < labels.size(); ++k) {
      char c = labels[k];
      if (!std::isalpha((unsigned char)c))
        return fail(argLocs[0], std::string("einsum subscripts must be "
                                            "letters, got '") +
                                    c + "'");
      if (labels.find(c) != k)
        return fail(argLocs[0], std::string("einsum subscript '") + c +
                                    "' repeats within an operand (diagonals "
                                    "are not supported yet)");
      auto [it, fresh] = sizes.emplace(c, type.getDimSize(k));
      if (!fresh && it->second != type.getDimSize(k))
        return fail(argLocs[i + 1], std::string("einsum subscript '") + c +
                                        "' has sizes " +
                                        std::to_string(it->second) + " and " +
                                        std::to_string(type.getDimSize(k)));
      ++count[c];
    }
    terms.push_back({labels, *t});
  }
  if (!explicitOutput)
    for (auto [c, n] : count) // NumPy: labels used once, sorted
      if (n == 1)
        output += c;
  for (size_t k = 0; k < output.size(); ++k) {
    if (!sizes.count(output[k]))
      return fail(argLocs[0], std::string("einsum output subscript '") +
                                  output[k] + "' is not in any operand");
    if (output.find(output[k]) != k)
      return fail(argLocs[0], std::string("einsum output subscript '") +
                                  output[k] + "' repeats");
  }
  mlir::Location ml = loc(l);
  auto permute = [&](Term &t, const std::string &order) {
    if (t.labels == order)
      return;
    llvm::SmallVector<int64_t> perm, shape;
    for (char c : order) {
      perm.push_back(t.labels.find(c));
      shape.push_back(sizes[c]);
    }
    auto type =
        RankedTensorType::get(shape, t.value.tensorType().getElementType());
    t.value = EValue::ofTensor(TransposeOp::create(
        b, ml, type, t.value.tensor, b.getDenseI64ArrayAttr(perm)));
    t.labels = order;
  };
  auto reshape = [&](Term &t, llvm::ArrayRef<int64_t> shape) {
    auto type =
        RankedTensorType::get(shape, t.value.tensorType().getElementType());
    if (t.value.tensor.getType() != type)
      t.value =
          EValue::ofTensor(ReshapeOp::create(b, ml, type, t.value.tensor));
  };
  // Sums out the labels of `t` that `keep` does not hold.
  auto sumOut = [&](Term &t, const std::string &keep) -> mlir::LogicalResult {
    llvm::SmallVector<int64_t> axes;
    std::string rest;
    for (size_t k = 0; k < t.labels.size(); ++k)
      if (keep.find(t.labels[k]) == std::string::npos)
        axes.push_back(k);
      else
        rest += t.labels[k];
    if (axes.empty())
      return mlir::success();
    RankedTensorType type = t.value.tensorType();
    auto rt = RankedTensorType::get(reducedShape(type.getShape(), axes, false),
                                    type.getElementType());
    t.value =
        EValue::ofTensor(SumOp::create(b, ml, rt, t.value.tensor, axes, false));
    t.labels = rest;
    return mlir::success();
  };
  auto needed = [&](size_t from) {
    std::string keep = output;
    for (size_t j = from; j < terms.size(); ++j)
      keep += terms[j].labels;
    return keep;
  };
  Term acc = terms[0];
  for (size_t i = 1; i <= terms.size(); ++i) {
    std::string keep = needed(i);
    if (failed(sumOut(acc, keep + (i < terms.size() ? terms[i].labels : ""))))
      return mlir::failure();
    if (i == terms.size())
      break;
    Term rhs = terms[i];
    if (failed(sumOut(rhs, needed(i + 1) + acc.labels)))
      return mlir::failure();
    auto u = unify("einsum", acc.value, rhs.value, l);
    if (failed(u))
      return mlir::failure();
    acc.value = u->first;
    rhs.value = u->second;
    // Batch labels stay, contracted ones go: [batch, left, contracted] @
    // [batch, contracted, right] as one batched matmul.
    std::string later = needed(i + 1), batch, contracted, left, right;
    for (char c : acc.labels) {
      bool inRhs = rhs.labels.find(c) != std::string::npos;
      if (!inRhs)
        left += c;
      else if (later.find(c) != std::string::npos)
        batch += c;
      else
        contracted += c;
    }
    for (char c : rhs.labels)
      if (acc.labels.find(c) == std::string::npos)
        right += c;
    auto product = [&](const std::string &ls) {
      int64_t p = 1;
      for (char c : ls)
        p *= sizes[c];
      return p;
    };
    permute(acc, batch + left + contracted);
    permute(rhs, batch + contracted + right);
    reshape(acc, {product(batch), product(left), product(contracted)});
    reshape(rhs, {product(batch), product(contracted), product(right)});
    auto r = binaryOp("@", acc.value, rhs.value, l);
    if (failed(r))
      return mlir::failure();
    acc.value = *r;
    acc.labels = batch + left + right;
    llvm::SmallVector<int64_t> shape;
    for (char c : acc.labels)
      shape.push_back(sizes[c]);
    reshape(acc, shape);
  }
  if (failed(sumOut(acc, output)))
    return mlir::failure();
  permute(acc, output);
  return acc.value;
}

FailureOr<EValue>
FunctionEmitter::randomPrimitive(StringRef name, std::vector<EValue> &args,
                                 std::vector<SMLoc> &argLocs,
                                 const std::vector<Keyword> &keywords,
                                 std::vector<EValue> &kwValues, SMLoc l) {
  mlir::Location ml = loc(l);
  auto keyType = RankedTensorType::get({2}, b.getI32Type());
  if (name == "rng") {
    // A key from a seed: its low and high 32-bit words.
    auto a = bindArgs(name, {"seed"}, 1, args, argLocs, keywords, kwValues, l);
    if (failed(a))
      return mlir::failure();
    const EValue *seed = a->get(0);
    if (seed->kind == EValue::Int) {
      uint64_t v = (uint64_t)seed->i;
      auto attr = mlir::DenseElementsAttr::get(
          keyType, llvm::ArrayRef<int32_t>{(int32_t)(uint32_t)v,
                                           (int32_t)(uint32_t)(v >> 32)});
      return EValue::ofTensor(ConstantOp::create(b, ml, attr));
    }
    auto s = toTensor(*seed, a->locs[0]);
    if (failed(s))
      return mlir::failure();
    RankedTensorType st = s->tensorType();
    if (st.getRank() != 0 || !mlir::isa<mlir::IntegerType>(st.getElementType()))
      return fail(a->locs[0], "rng needs an integer seed, got " + typeName(st));
    auto i64 = RankedTensorType::get({}, b.getI64Type());
    auto i32 = RankedTensorType::get({}, b.getI32Type());
    mlir::Value v = s->tensor;
    if (v.getType() != i64)
      v = CastOp::create(b, ml, i64, v);
    auto shift = ConstantOp::create(
        b, ml,
        mlir::DenseElementsAttr::get(i64, b.getI64IntegerAttr(1ll << 32)));
    mlir::Value high = FloorDivOp::create(b, ml, i64, v, shift);
    mlir::Value words[2] = {CastOp::create(b, ml, i32, v),
                            CastOp::create(b, ml, i32, high)};
    auto one = RankedTensorType::get({1}, b.getI32Type());
    llvm::SmallVector<mlir::Value> parts;
    for (mlir::Value w : words)
      parts.push_back(ReshapeOp::create(b, ml, one, w));
    return EValue::ofTensor(
        ConcatenateOp::create(b, ml, keyType, parts, b.getI64IntegerAttr(0)));
  }
  auto key = [&](const BoundArgs &a) -> FailureOr<mlir::Value> {
    auto k = toTensor(*a.get(0), a.locs[0]);
    if (failed(k))
      return mlir::failure();
    if (k->tensor.getType() != keyType)
      return fail(a.locs[0], "a random key must be an i32[2] from rng() or "
                             "split(), got " +
                                 typeName(k->tensor.getType()));
    return k->tensor;
  };
  if (name == "split") {
    // Two fresh keys: four words of the key's own stream.
    auto a = bindArgs(name, {"key"}, 1, args, argLocs, keywords, kwValues, l);
    if (failed(a))
      return mlir::failure();
    auto k = key(*a);
    if (failed(k))
      return mlir::failure();
    auto four = RankedTensorType::get({4}, b.getI32Type());
    mlir::Value bits = RandomOp::create(b, ml, four, *k);
    std::vector<EValue> keys;
    for (int64_t i = 0; i < 2; ++i)
      keys.push_back(EValue::ofTensor(
          SliceOp::create(b, ml, keyType, bits, b.getDenseI64ArrayAttr({2 * i}),
                          b.getDenseI64ArrayAttr({1}))));
    return EValue::ofTuple(std::move(keys));
  }
  // random_bits(key, shape) and random_uniform(key, shape, dtype=f32).
  bool uniform = name == "random_uniform";
  auto a = uniform ? bindArgs(name, {"key", "shape", "dtype"}, 2, args, argLocs,
                              keywords, kwValues, l)
                   : bindArgs(name, {"key", "shape"}, 2, args, argLocs,
                              keywords, kwValues, l);
  if (failed(a))
    return mlir::failure();
  auto k = key(*a);
  if (failed(k))
    return mlir::failure();
  auto shape = shapeOf(*a->get(1), a->locs[1]);
  if (failed(shape))
    return mlir::failure();
  for (int64_t d : *shape)
    if (d < 0)
      return fail(a->locs[1], "negative dimension in a shape");
  Type et = uniform ? (Type)b.getF32Type() : (Type)b.getI32Type();
  if (uniform)
    if (const EValue *dt = a->get(2)) {
      if (dt->kind != EValue::DType || !mlir::isa<mlir::FloatType>(dt->dtype))
        return fail(a->locs[2], "dtype must be a floating dtype");
      et = dt->dtype;
    }
  return EValue::ofTensor(
      RandomOp::create(b, ml, RankedTensorType::get(*shape, et), *k));
}

} // namespace spore::frontend::detail
