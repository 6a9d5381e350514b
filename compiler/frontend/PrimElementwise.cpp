//===- PrimElementwise.cpp - elementwise primitives -----------------------===//
//
// Unary and binary elementwise primitives, where, astype, stop_gradient,
// and the small ones of compile-time values (len, str).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

namespace {
/// A unary elementwise op whose result has its operand's type.
template <typename Op>
mlir::Value buildUnary(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x) {
  return Op::create(b, loc, x);
}

using Unary = mlir::Value (*)(mlir::OpBuilder &, mlir::Location, mlir::Value);
struct UnaryPrim {
  Unary build;
  bool needsFloat; // integer operands become f32 first
};
/// The unary elementwise primitives: the op each emits.
const llvm::StringMap<UnaryPrim> &unaryPrimitives() {
  static const llvm::StringMap<UnaryPrim> table = {
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
  return table;
}
} // namespace

ArrayRef<StringRef> unaryPrimitiveNames() {
  static const std::vector<StringRef> names = [] {
    std::vector<StringRef> v;
    for (const auto &entry : unaryPrimitives())
      v.push_back(entry.getKey());
    return v;
  }();
  return names;
}

FailureOr<EValue> FunctionEmitter::tensorArg(const BoundArgs &a, size_t i) {
  return toTensor(*a.get(i), a.locs[i]);
}

FailureOr<EValue> FunctionEmitter::floatArg(const BoundArgs &a, size_t i) {
  auto t = tensorArg(a, i);
  if (failed(t))
    return mlir::failure();
  if (!mlir::isa<mlir::FloatType>(t->tensorType().getElementType()))
    return castTo(*t, b.getF32Type(), a.locs[i]);
  return t;
}

FailureOr<EValue> FunctionEmitter::primUnary(const PrimitiveCall &p) {
  StringRef name = p.name;
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
  const UnaryPrim &prim = unaryPrimitives().find(name)->second;
  bool needsFloat = prim.needsFloat;
  auto x = needsFloat ? floatArg(*a, 0) : tensorArg(*a, 0);
  if (failed(x))
    return mlir::failure();
  if (x->tensorType().getElementType().isInteger(1))
    return fail(l, "'" + name +
                       "' of a bool tensor is not supported; "
                       "convert with astype first");
  return EValue::ofTensor(prim.build(b, ml, x->tensor));
}

FailureOr<EValue> FunctionEmitter::primBinary(const PrimitiveCall &p) {
  StringRef name = p.name;
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  StringRef op = name == "pow" ? "**" : name == "matmul" ? "@" : name;
  return binaryOp(op, *a->get(0), *a->get(1), l);
}

FailureOr<EValue> FunctionEmitter::primAtan2(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
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

FailureOr<EValue> FunctionEmitter::primPolygamma(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  mlir::Location ml = loc(p.call.loc);
  // polygamma(n, x): the n-th derivative of digamma, n known at compile
  // time (scipy.special.polygamma); n = 0 is digamma.
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

FailureOr<EValue> FunctionEmitter::primWhere(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
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
  auto [px, qy] = *u;
  auto s1 =
      broadcastShapes(px.tensorType().getShape(), qy.tensorType().getShape());
  auto s2 =
      succeeded(s1) ? broadcastShapes(*s1, cond.tensorType().getShape()) : s1;
  if (failed(s2))
    return fail(l, "the operands of 'where' have shapes " +
                       formatShape(cond.tensorType().getShape()) + ", " +
                       formatShape(px.tensorType().getShape()) + " and " +
                       formatShape(qy.tensorType().getShape()) +
                       ", which do not broadcast");
  auto bc = broadcastTo(cond, *s2, l), bp = broadcastTo(px, *s2, l),
       bq = broadcastTo(qy, *s2, l);
  if (failed(bc) || failed(bp) || failed(bq))
    return mlir::failure();
  return EValue::ofTensor(
      SelectOp::create(b, ml, bc->tensor, bp->tensor, bq->tensor));
}

FailureOr<EValue> FunctionEmitter::primAstype(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  if (a->get(1)->kind != EValue::DType)
    return fail(a->locs[1], "astype needs a dtype such as f16, got " +
                                describe(*a->get(1)));
  auto x = tensorArg(*a, 0);
  if (failed(x))
    return mlir::failure();
  return castTo(*x, a->get(1)->dtype, l);
}

FailureOr<EValue> FunctionEmitter::primStopGradient(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  mlir::Location ml = loc(p.call.loc);
  const EValue &x = *a->get(0);
  if (x.isScalarConst())
    return x; // a constant has no derivative anyway
  if (x.kind != EValue::Tensor)
    return fail(a->locs[0], "stop_gradient takes a tensor, not " + describe(x));
  return EValue::ofTensor(
      StopGradientOp::create(b, ml, x.tensor.getType(), x.tensor));
}

FailureOr<EValue> FunctionEmitter::primCheckLabels(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  // The prelude's check of integer class labels (cross_entropy,
  // one_hot): each in [0, n), as PyTorch requires; returns the labels.
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

FailureOr<EValue> FunctionEmitter::primStr(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  // Python's str() of a compile-time value (for messages of asserts).
  if (!a->get(0)->isCompileTime())
    return fail(a->locs[0], "str() takes a value known at compile time, "
                            "not " +
                                describe(*a->get(0)));
  return EValue::named(EValue::String, pythonStr(*a->get(0)));
}

FailureOr<EValue> FunctionEmitter::primLen(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
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

FailureOr<EValue> FunctionEmitter::primCallable(const PrimitiveCall &p) {
  // Python's callable(), and the prelude's _is_tuple(): known at compile
  // time, as every function and tuple is.
  const EValue &x = *p.a.get(0);
  if (p.name == "_is_tuple")
    return EValue::ofBool(x.kind == EValue::Tuple);
  switch (x.kind) {
  case EValue::Function:
  case EValue::Primitive:
  case EValue::Choice:
  case EValue::Class:
  case EValue::Transform:
    return EValue::ofBool(true);
  case EValue::Object:
    return EValue::ofBool(!x.fn || m.findMethod(x.fn, "__call__"));
  default:
    return EValue::ofBool(false);
  }
}

} // namespace spore::frontend::detail
