//===- EmitPrimitives.cpp - the primitive library -------------------------===//
//
// Calls of language.md §5 primitives: argument binding, shape and dtype
// checks, and the spore ops they emit.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>

using namespace spore;

namespace spore::frontend::detail {

FailureOr<EValue>
FunctionEmitter::callPrimitive(StringRef name, std::vector<EValue> args,
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

  // Unary elementwise.
  if (name == "relu" || name == "exp" || name == "log" || name == "tanh" ||
      name == "sigmoid" || name == "neg") {
    auto a = bind({"x"}, 1);
    if (failed(a))
      return mlir::failure();
    bool needsFloat = name != "relu" && name != "neg";
    auto x = needsFloat ? floatArg(*a, 0) : tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    if (x->tensorType().getElementType().isInteger(1))
      return fail(l, "'" + name +
                         "' of a bool tensor is not supported; "
                         "convert with astype first");
    mlir::Value v = x->tensor, r;
    if (name == "relu")
      r = ReluOp::create(b, ml, v);
    else if (name == "exp")
      r = ExpOp::create(b, ml, v);
    else if (name == "log")
      r = LogOp::create(b, ml, v);
    else if (name == "tanh")
      r = TanhOp::create(b, ml, v);
    else if (name == "sigmoid")
      r = SigmoidOp::create(b, ml, v);
    else
      r = NegOp::create(b, ml, v);
    return EValue::ofTensor(r);
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
  if (name == "sum" || name == "mean" || name == "max") {
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
    if (name == "max")
      for (int64_t axis : *axes)
        if (t.getDimSize(axis) == 0)
          return fail(l, "'max' over an axis of size 0 has no identity");
    auto type = RankedTensorType::get(
        reducedShape(t.getShape(), *axes, keepdims), t.getElementType());
    mlir::Value r;
    if (name == "sum")
      r = SumOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else if (name == "mean")
      r = MeanOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else
      r = MaxOp::create(b, ml, type, x->tensor, *axes, keepdims);
    if (et.isInteger(1) && name == "max")
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
  return fail(l, "'" + name + "' is not supported yet");
}

} // namespace spore::frontend::detail
