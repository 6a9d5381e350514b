//===- PrimShape.cpp - shape primitives -----------------------------------===//
//
// reshape, transpose, broadcast_to, concatenate, flip, pad, split, gather,
// scatter_add and slice.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

FailureOr<int64_t> FunctionEmitter::axisArg(const EValue *v, SMLoc at,
                                            int64_t rank, int64_t dflt) {
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
}

FailureOr<EValue> FunctionEmitter::primReshape(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  mlir::Location ml = loc(p.call.loc);
  // reshape(x, shape); the method form x.reshape(2, 3) has its sizes
  // packed into one shape (Primitive::PacksRest).
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

FailureOr<EValue> FunctionEmitter::primTranspose(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  mlir::Location ml = loc(p.call.loc);
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
  return EValue::ofTensor(TransposeOp::create(b, ml, x->tensor, perm));
}

FailureOr<EValue> FunctionEmitter::primBroadcastTo(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
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

FailureOr<EValue> FunctionEmitter::primConcatenate(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
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
  auto axis = axisArg(a->get(1), a->locs[1], first.getRank(), 0);
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

FailureOr<EValue> FunctionEmitter::primGather(const PrimitiveCall &p) {
  StringRef name = p.name;
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
  bool scatter = name == "scatter_add";
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
  if (failed(broadcastShapes(uc->tensorType().getShape(), shape)) || failed(ub))
    return fail(a->locs[2], "updates of shape " +
                                formatShape(uc->tensorType().getShape()) +
                                " do not broadcast to " + formatShape(shape));
  return EValue::ofTensor(ScatterAddOp::create(
      b, ml, x->tensor, idx->tensor, ub->tensor, b.getI64IntegerAttr(ax)));
}

FailureOr<EValue> FunctionEmitter::primSlice(const PrimitiveCall &p) {
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(p.call.loc);
  // slice(x, starts, sizes): a block at compile-time or run-time starts.
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

FailureOr<EValue> FunctionEmitter::primFlip(const PrimitiveCall &p) {
  mlir::Location ml = loc(p.call.loc);
  const BoundArgs *a = &p.a;
  auto xv = tensorArg(*a, 0);
  if (failed(xv))
    return mlir::failure();
  RankedTensorType t = xv->tensorType();
  ArrayRef<int64_t> shape = t.getShape();
  int64_t rank = t.getRank();
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

FailureOr<EValue> FunctionEmitter::primPad(const PrimitiveCall &p) {
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(l);
  const BoundArgs *a = &p.a;
  auto xv = tensorArg(*a, 0);
  if (failed(xv))
    return mlir::failure();
  RankedTensorType t = xv->tensorType();
  ArrayRef<int64_t> shape = t.getShape();
  int64_t rank = t.getRank();
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

FailureOr<EValue> FunctionEmitter::primSplit(const PrimitiveCall &p) {
  // split(key) gives two fresh random keys.
  if (!p.a.get(1) && !p.a.get(2))
    return primRandomSplit(p);
  SMLoc l = p.call.loc;
  mlir::Location ml = loc(l);
  const BoundArgs *a = &p.a;
  auto xv = tensorArg(*a, 0);
  if (failed(xv))
    return mlir::failure();
  RankedTensorType t = xv->tensorType();
  ArrayRef<int64_t> shape = t.getShape();
  int64_t rank = t.getRank();
  // split(x, sections or indices, axis=0): a tuple of slices.
  if (rank == 0)
    return fail(a->locs[0], "split needs a tensor of rank >= 1");
  auto axis = axisArg(a->get(2), a->locs[2], rank, 0);
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

} // namespace spore::frontend::detail
