//===- PrimRandom.cpp - random-number primitives --------------------------===//
//
// rng, split of a key, random_bits and random_uniform: counter-based random
// numbers from explicit keys (the prelude's normal, uniform, bernoulli and
// randint are built on these).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

static RankedTensorType keyType(mlir::OpBuilder &b) {
  return RankedTensorType::get({2}, b.getI32Type());
}

FailureOr<mlir::Value> FunctionEmitter::keyArg(const BoundArgs &a, size_t i) {
  auto k = toTensor(*a.get(i), a.locs[i]);
  if (failed(k))
    return mlir::failure();
  if (k->tensor.getType() != keyType(b))
    return fail(a.locs[i], "a random key must be an i32[2] from rng() or "
                           "split(), got " +
                               typeName(k->tensor.getType()));
  return k->tensor;
}

FailureOr<EValue> FunctionEmitter::primRng(const PrimitiveCall &p) {
  // A key from a seed: its low and high 32-bit words.
  mlir::Location ml = loc(p.call.loc);
  RankedTensorType type = keyType(b);
  const EValue *seed = p.a.get(0);
  if (seed->kind == EValue::Int) {
    uint64_t v = (uint64_t)seed->i;
    auto attr = mlir::DenseElementsAttr::get(
        type, llvm::ArrayRef<int32_t>{(int32_t)(uint32_t)v,
                                      (int32_t)(uint32_t)(v >> 32)});
    return EValue::ofTensor(ConstantOp::create(b, ml, attr));
  }
  auto s = toTensor(*seed, p.a.locs[0]);
  if (failed(s))
    return mlir::failure();
  RankedTensorType st = s->tensorType();
  if (st.getRank() != 0 || !mlir::isa<mlir::IntegerType>(st.getElementType()))
    return fail(p.a.locs[0], "rng needs an integer seed, got " + typeName(st));
  auto i64 = RankedTensorType::get({}, b.getI64Type());
  auto i32 = RankedTensorType::get({}, b.getI32Type());
  mlir::Value v = s->tensor;
  if (v.getType() != i64)
    v = CastOp::create(b, ml, i64, v);
  auto shift = ConstantOp::create(
      b, ml, mlir::DenseElementsAttr::get(i64, b.getI64IntegerAttr(1ll << 32)));
  mlir::Value high = FloorDivOp::create(b, ml, v, shift);
  mlir::Value words[2] = {CastOp::create(b, ml, i32, v),
                          CastOp::create(b, ml, i32, high)};
  auto one = RankedTensorType::get({1}, b.getI32Type());
  llvm::SmallVector<mlir::Value> parts;
  for (mlir::Value w : words)
    parts.push_back(ReshapeOp::create(b, ml, one, w));
  return EValue::ofTensor(
      ConcatenateOp::create(b, ml, type, parts, b.getI64IntegerAttr(0)));
}

FailureOr<EValue> FunctionEmitter::primRandomSplit(const PrimitiveCall &p) {
  // Two fresh keys: four words of the key's own stream.
  mlir::Location ml = loc(p.call.loc);
  auto k = keyArg(p.a, 0);
  if (failed(k))
    return mlir::failure();
  auto four = RankedTensorType::get({4}, b.getI32Type());
  mlir::Value bits = RandomOp::create(b, ml, four, *k);
  std::vector<EValue> keys;
  for (int64_t i = 0; i < 2; ++i)
    keys.push_back(EValue::ofTensor(SliceOp::create(
        b, ml, keyType(b), bits, b.getDenseI64ArrayAttr({2 * i}),
        b.getDenseI64ArrayAttr({1}))));
  return EValue::ofTuple(std::move(keys));
}

FailureOr<EValue> FunctionEmitter::primRandom(const PrimitiveCall &p) {
  // random_bits(key, shape) and random_uniform(key, shape, dtype=f32).
  const BoundArgs &a = p.a;
  bool uniform = p.name == "random_uniform";
  auto k = keyArg(a, 0);
  if (failed(k))
    return mlir::failure();
  auto shape = shapeOf(*a.get(1), a.locs[1]);
  if (failed(shape))
    return mlir::failure();
  for (int64_t d : *shape)
    if (d < 0)
      return fail(a.locs[1], "negative dimension in a shape");
  Type et = uniform ? (Type)b.getF32Type() : (Type)b.getI32Type();
  if (uniform)
    if (const EValue *dt = a.get(2)) {
      if (dt->kind != EValue::DType || !mlir::isa<mlir::FloatType>(dt->dtype))
        return fail(a.locs[2], "dtype must be a floating dtype");
      et = dt->dtype;
    }
  return EValue::ofTensor(RandomOp::create(
      b, loc(p.call.loc), RankedTensorType::get(*shape, et), *k));
}

} // namespace spore::frontend::detail
