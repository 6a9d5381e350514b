//===- PrimReduce.cpp - reductions and scans ------------------------------===//
//
// sum, mean, max, min, prod, softmax, log_softmax and cumsum.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

FailureOr<EValue> FunctionEmitter::primReduce(const PrimitiveCall &p) {
  StringRef name = p.name;
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
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
        return fail(l, "'" + name + "' over an axis of size 0 has no identity");
  // The result type is inferred (InferTypeOpInterface).
  mlir::Value r;
  if (name == "sum")
    r = SumOp::create(b, ml, x->tensor, *axes, keepdims);
  else if (name == "mean")
    r = MeanOp::create(b, ml, x->tensor, *axes, keepdims);
  else if (name == "prod")
    r = ProdOp::create(b, ml, x->tensor, *axes, keepdims);
  else if (name == "min")
    r = MinOp::create(b, ml, x->tensor, *axes, keepdims);
  else
    r = MaxOp::create(b, ml, x->tensor, *axes, keepdims);
  if (et.isInteger(1) && (name == "max" || name == "min"))
    return castTo(EValue::ofTensor(r), et, l);
  return EValue::ofTensor(r);
}

FailureOr<EValue> FunctionEmitter::primSoftmax(const PrimitiveCall &p) {
  StringRef name = p.name;
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
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

FailureOr<EValue> FunctionEmitter::primCumsum(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
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

} // namespace spore::frontend::detail
