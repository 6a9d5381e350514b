//===- PrimConstruct.cpp - constant constructors --------------------------===//
//
// zeros, ones, full, arange, linspace and eye: constants built at compile
// time from compile-time arguments.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

FailureOr<double> FunctionEmitter::numberArg(const PrimitiveCall &p, size_t i,
                                             const char *what) {
  const EValue *v = p.a.get(i);
  if (!v || !v->isScalarConst())
    return fail(p.a.locs[i], std::string(what) + " of '" + p.name.str() +
                                 "' must be a compile-time number");
  return v->asDouble();
}

FailureOr<Type> FunctionEmitter::dtypeArg(const PrimitiveCall &p, size_t i,
                                          Type dflt) {
  const EValue *v = p.a.get(i);
  if (!v || v->kind == EValue::None)
    return dflt;
  if (v->kind != EValue::DType)
    return fail(p.a.locs[i], "dtype must be a dtype such as f32");
  return v->dtype;
}

EValue FunctionEmitter::constantOf(ArrayRef<int64_t> shape, Type et,
                                   ArrayRef<double> values, SMLoc l) {
  auto type = RankedTensorType::get(shape, et);
  llvm::SmallVector<mlir::Attribute> attrs;
  for (double v : values)
    attrs.push_back(mlir::isa<mlir::FloatType>(et)
                        ? (mlir::Attribute)b.getFloatAttr(et, v)
                        : (mlir::Attribute)b.getIntegerAttr(et, (int64_t)v));
  return EValue::ofTensor(
      ConstantOp::create(b, loc(l), mlir::DenseElementsAttr::get(type, attrs)));
}

FailureOr<EValue> FunctionEmitter::primFill(const PrimitiveCall &p) {
  StringRef name = p.name;
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  bool isFull = name == "full";
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

FailureOr<EValue> FunctionEmitter::primArange(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  const EValue *second = a->get(1);
  bool isFloat = false;
  for (size_t i = 0; i < 3; ++i)
    if (const EValue *v = a->get(i))
      isFloat |= v->kind == EValue::Float;
  double start = 0, stop, step = 1;
  auto s0 = numberArg(p, 0, "start");
  if (failed(s0))
    return mlir::failure();
  if (second && second->kind != EValue::None) {
    auto s1 = numberArg(p, 1, "stop");
    if (failed(s1))
      return mlir::failure();
    start = *s0;
    stop = *s1;
  } else {
    stop = *s0;
  }
  if (a->get(2)) {
    auto s2 = numberArg(p, 2, "step");
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
  auto et =
      dtypeArg(p, 3, isFloat ? (Type)b.getF32Type() : (Type)b.getI64Type());
  if (failed(et))
    return mlir::failure();
  llvm::SmallVector<double> values;
  for (int64_t i = 0; i < n; ++i)
    values.push_back(start + i * step);
  return constantOf({n}, *et, values, l);
}

FailureOr<EValue> FunctionEmitter::primLinspace(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  auto start = numberArg(p, 0, "start");
  auto stop = numberArg(p, 1, "stop");
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
  auto et = dtypeArg(p, 4, b.getF32Type());
  if (failed(et))
    return mlir::failure();
  double div = endpoint ? num - 1 : num;
  llvm::SmallVector<double> values;
  for (int64_t i = 0; i < num; ++i)
    values.push_back(div > 0 ? *start + (*stop - *start) * i / div : *start);
  return constantOf({num}, *et, values, p.call.loc);
}

FailureOr<EValue> FunctionEmitter::primEye(const PrimitiveCall &p) {
  // eye(n, m=None, k=0, dtype=f32)
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
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
  auto et = dtypeArg(p, 3, b.getF32Type());
  if (failed(et))
    return mlir::failure();
  llvm::SmallVector<double> values;
  for (int64_t i = 0; i < *n; ++i)
    for (int64_t j = 0; j < *mm; ++j)
      values.push_back(j - i == *k ? 1.0 : 0.0);
  return constantOf({*n, *mm}, *et, values, l);
}

} // namespace spore::frontend::detail
