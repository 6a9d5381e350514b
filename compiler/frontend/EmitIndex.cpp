//===- EmitIndex.cpp - indexing, slicing and indexed updates --------------===//
//
// NumPy indexing on tensors (language.md §3): integers (negative ones count
// from the end), slices with steps, `None`, `...`, run-time integer scalars
// and one integer-array index (a gather), and the functional update
// `x[key] = v`, which rebinds `x`. Tuples take compile-time integers and
// slices.
//
// A key becomes at most four ops: a strided `spore.slice` for the
// compile-time parts, a `spore.dynamic_slice` for run-time integers, a
// `spore.gather` for the array index, and a `spore.reshape` that drops the
// integer-indexed dimensions and adds the `None` ones.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

namespace {

/// How one dimension of the input is indexed.
struct DimIndex {
  enum Kind { Range, Point, DynamicPoint, Array } kind = Range;
  int64_t start = 0, size = 0, step = 1; // Range; Point uses start
  mlir::Value dynamic;                   // DynamicPoint: 0-d i64 (wrapped)
  EValue indices;                        // Array: an integer tensor
};

/// A parsed key: one entry per input dimension, and where `None` adds
/// dimensions (the number of input dimensions consumed before each).
struct IndexPlan {
  std::vector<DimIndex> dims;
  std::vector<size_t> newAxesBefore;
  /// Positions in the key of the advanced indices (integers and the
  /// array), for NumPy's rule on where the array's dimensions go.
  std::vector<size_t> advancedPositions;
  bool hasArray = false;
};

/// Python's slice.indices(n) and the number of elements taken.
void normaliseSlice(std::optional<int64_t> start, std::optional<int64_t> stop,
                    int64_t step, int64_t n, DimIndex &d) {
  auto clampIndex = [&](int64_t i, int64_t lo, int64_t hi) {
    if (i < 0)
      i += n;
    return std::min(std::max(i, lo), hi);
  };
  int64_t first, last;
  if (step > 0) {
    first = start ? clampIndex(*start, 0, n) : 0;
    last = stop ? clampIndex(*stop, 0, n) : n;
    d.size = last > first ? (last - first + step - 1) / step : 0;
  } else {
    first = start ? clampIndex(*start, -1, n - 1) : n - 1;
    last = stop ? clampIndex(*stop, -1, n - 1) : -1;
    d.size = first > last ? (first - last - step - 1) / (-step) : 0;
  }
  d.kind = DimIndex::Range;
  d.start = d.size ? first : 0;
  d.step = step;
}

} // namespace

/// Parses the key of `x[key]` for a tensor of `shape`.
static FailureOr<IndexPlan> planIndex(FunctionEmitter &fe, ModuleEmitter &m,
                                      const Expr &key, ArrayRef<int64_t> shape,
                                      mlir::OpBuilder &b) {
  std::vector<const Expr *> items;
  if (key.kind == ExprKind::Tuple)
    for (auto &e : key.elts)
      items.push_back(e.get());
  else
    items.push_back(&key);
  int64_t rank = shape.size();
  int64_t consumed = 0;
  for (const Expr *item : items)
    if (item->kind != ExprKind::None && item->kind != ExprKind::Ellipsis)
      ++consumed;
  if (consumed > rank)
    return m.fail(key.loc, "too many indices (" + std::to_string(consumed) +
                               ") for a tensor of rank " +
                               std::to_string(rank));

  IndexPlan plan;
  bool sawEllipsis = false;
  auto full = [&](int64_t d) {
    DimIndex r;
    r.size = shape[d];
    return r;
  };
  auto compileTimeInt =
      [&](const Expr *e,
          const char *what) -> FailureOr<std::optional<int64_t>> {
    if (!e)
      return std::optional<int64_t>();
    auto v = fe.emitExpr(*e);
    if (failed(v))
      return mlir::failure();
    if (v->kind == EValue::None)
      return std::optional<int64_t>();
    if (v->kind == EValue::Bool)
      return std::optional<int64_t>(v->b);
    if (v->kind != EValue::Int)
      return m.fail(e->loc, std::string("a slice ") + what +
                                " must be a compile-time int (the shape of "
                                "a slice is static; slice(x, starts, sizes) "
                                "takes run-time starts), got " +
                                describe(*v));
    return std::optional<int64_t>(v->i);
  };
  for (size_t pos = 0; pos < items.size(); ++pos) {
    const Expr *item = items[pos];
    int64_t d = plan.dims.size();
    if (item->kind == ExprKind::Ellipsis) {
      if (sawEllipsis)
        return m.fail(item->loc, "an index can only have one '...'");
      sawEllipsis = true;
      for (int64_t k = 0; k < rank - consumed; ++k)
        plan.dims.push_back(full(d + k));
      continue;
    }
    if (item->kind == ExprKind::None) {
      plan.newAxesBefore.push_back(plan.dims.size());
      continue;
    }
    if (item->kind == ExprKind::Slice) {
      auto start = compileTimeInt(item->lhs.get(), "start");
      auto stop = compileTimeInt(item->rhs.get(), "stop");
      auto step = compileTimeInt(item->cond.get(), "step");
      if (failed(start) || failed(stop) || failed(step))
        return mlir::failure();
      int64_t s = step->value_or(1);
      if (s == 0)
        return m.fail(item->cond->loc, "slice step cannot be zero");
      DimIndex r;
      normaliseSlice(*start, *stop, s, shape[d], r);
      plan.dims.push_back(r);
      continue;
    }
    auto v = fe.emitExpr(*item);
    if (failed(v))
      return mlir::failure();
    if (v->kind == EValue::Bool)
      v = EValue::ofInt(v->b);
    if (v->kind == EValue::Int) {
      int64_t i = v->i < 0 ? v->i + shape[d] : v->i;
      if (i < 0 || i >= shape[d])
        return m.fail(item->loc, "index " + std::to_string(v->i) +
                                     " is out of bounds for axis " +
                                     std::to_string(d) + " with size " +
                                     std::to_string(shape[d]));
      DimIndex r;
      r.kind = DimIndex::Point;
      r.start = i;
      r.size = 1;
      plan.dims.push_back(r);
      plan.advancedPositions.push_back(pos);
      continue;
    }
    if (v->kind != EValue::Tensor)
      return m.fail(item->loc, "an index must be an int, a slice, None, "
                               "'...' or an integer tensor, not " +
                                   describe(*v));
    RankedTensorType t = v->tensorType();
    Type et = t.getElementType();
    if (et.isInteger(1))
      return m.fail(item->loc,
                    "indexing with a bool mask gives a shape known only at "
                    "run time; use where(mask, x, y) instead");
    if (!mlir::isa<mlir::IntegerType>(et))
      return m.fail(item->loc,
                    "an index tensor must hold integers, got " + typeName(t));
    if (t.getRank() == 0) {
      // A run-time integer: negative counts from the end.
      mlir::Location l = fe.loc(item->loc);
      auto i64 = RankedTensorType::get({}, b.getI64Type());
      mlir::Value i = v->tensor;
      if (!et.isInteger(64))
        i = CastOp::create(b, l, i64, i);
      fe.checkIndex(i, shape[d], d, item->loc);
      auto constant = [&](int64_t c) {
        return ConstantOp::create(
            b, l, mlir::DenseElementsAttr::get(i64, b.getI64IntegerAttr(c)));
      };
      mlir::Value negative =
          CompareOp::create(b, l, ComparePredicate::lt, i, constant(0));
      mlir::Value wrapped = AddOp::create(b, l, i, constant(shape[d]));
      DimIndex r;
      r.kind = DimIndex::DynamicPoint;
      r.size = 1;
      r.dynamic = SelectOp::create(b, l, negative, wrapped, i);
      plan.dims.push_back(r);
      plan.advancedPositions.push_back(pos);
      continue;
    }
    if (plan.hasArray)
      return m.fail(item->loc, "indexing with more than one integer array "
                               "is not supported yet");
    fe.checkIndex(v->tensor, shape[d], d, item->loc);
    DimIndex r;
    r.kind = DimIndex::Array;
    r.size = shape[d];
    r.indices = *v;
    plan.dims.push_back(r);
    plan.hasArray = true;
    plan.advancedPositions.push_back(pos);
  }
  while ((int64_t)plan.dims.size() < rank)
    plan.dims.push_back(full(plan.dims.size()));
  return plan;
}

void FunctionEmitter::checkIndex(mlir::Value index, int64_t size, int64_t axis,
                                 SMLoc at) {
  checkRange(index, -size, size, at,
             "index {} is out of bounds for axis " + std::to_string(axis) +
                 " with size " + std::to_string(size));
}

void FunctionEmitter::checkRange(mlir::Value index, int64_t lowest,
                                 int64_t size, SMLoc at,
                                 const std::string &what) {
  mlir::Location l = loc(at);
  auto type = mlir::cast<RankedTensorType>(index.getType());
  if (type.getNumElements() == 0)
    return;
  auto i64 = RankedTensorType::get({}, b.getI64Type());
  if (!type.getElementType().isInteger(64))
    index = CastOp::create(b, l, type.clone(b.getI64Type()), index);
  // The extreme indices stand for all of them.
  mlir::Value lo = index, hi = index;
  if (type.getRank() > 0) {
    auto all = b.getDenseI64ArrayAttr(
        llvm::to_vector(llvm::seq<int64_t>(0, type.getRank())));
    lo = MinOp::create(b, l, i64, index, all, false);
    hi = MaxOp::create(b, l, i64, index, all, false);
  }
  auto constant = [&](int64_t c) {
    return ConstantOp::create(
        b, l, mlir::DenseElementsAttr::get(i64, b.getI64IntegerAttr(c)));
  };
  mlir::Value above =
      CompareOp::create(b, l, ComparePredicate::ge, hi, constant(size));
  mlir::Value below =
      CompareOp::create(b, l, ComparePredicate::lt, lo, constant(lowest));
  mlir::Value inside = CompareOp::create(
      b, l, ComparePredicate::eq,
      OrOp::create(b, l, above.getType(), above, below),
      ConstantOp::create(b, l,
                         mlir::DenseElementsAttr::get(
                             mlir::cast<RankedTensorType>(above.getType()),
                             b.getBoolAttr(false))));
  mlir::Value bad = SelectOp::create(b, l, above, hi, lo);
  // A check in the prelude (labels of cross_entropy) names the model's
  // call.
  AssertOp::create(b, l, inside, m.where(m.userSite(at)) + ": " + what,
                   mlir::ValueRange{bad}, /*precondition=*/true);
}

FailureOr<EValue> FunctionEmitter::emitSubscript(const Expr &e) {
  auto v = emitExpr(*e.lhs);
  if (failed(v))
    return mlir::failure();
  if (v->kind == EValue::Tuple)
    return indexTuple(*v, *e.rhs);
  if (v->kind != EValue::Tensor)
    return fail(e.loc, describe(*v) + " cannot be indexed");
  RankedTensorType type = v->tensorType();
  ArrayRef<int64_t> shape = type.getShape();
  auto plan = planIndex(*this, m, *e.rhs, shape, b);
  if (failed(plan))
    return mlir::failure();
  mlir::Location l = loc(e.loc);
  mlir::Value x = v->tensor;

  // 1. The compile-time block: ranges and integer points.
  llvm::SmallVector<int64_t> starts, steps, sizes;
  bool identity = true;
  for (auto [d, dim] : llvm::enumerate(plan->dims)) {
    bool point = dim.kind == DimIndex::Point;
    bool range = dim.kind == DimIndex::Range;
    starts.push_back(point || range ? dim.start : 0);
    steps.push_back(range ? dim.step : 1);
    sizes.push_back(point ? 1 : range ? dim.size : shape[d]);
    identity &=
        starts.back() == 0 && steps.back() == 1 && sizes.back() == shape[d];
  }
  if (!identity) {
    bool empty = llvm::is_contained(sizes, 0);
    auto t = RankedTensorType::get(sizes, type.getElementType());
    if (empty) // nothing is read: any in-bounds starts will do
      x = ConstantOp::create(b, l,
                             mlir::DenseElementsAttr::get(
                                 t, b.getZeroAttr(type.getElementType())));
    else
      x = SliceOp::create(b, l, t, x, b.getDenseI64ArrayAttr(starts),
                          b.getDenseI64ArrayAttr(steps));
  }

  // 2. Run-time integer points.
  if (llvm::any_of(plan->dims, [](const DimIndex &d) {
        return d.kind == DimIndex::DynamicPoint;
      })) {
    auto i64 = RankedTensorType::get({}, b.getI64Type());
    llvm::SmallVector<mlir::Value> dynStarts;
    llvm::SmallVector<int64_t> block(sizes);
    for (auto [d, dim] : llvm::enumerate(plan->dims)) {
      if (dim.kind == DimIndex::DynamicPoint) {
        dynStarts.push_back(dim.dynamic);
        block[d] = 1;
      } else {
        dynStarts.push_back(ConstantOp::create(
            b, l, mlir::DenseElementsAttr::get(i64, b.getI64IntegerAttr(0))));
      }
    }
    auto t = RankedTensorType::get(block, type.getElementType());
    x = DynamicSliceOp::create(b, l, t, x, dynStarts);
    sizes = block;
  }

  // 3. The integer array.
  llvm::SmallVector<int64_t> gathered(sizes);
  for (auto [d, dim] : llvm::enumerate(plan->dims)) {
    if (dim.kind != DimIndex::Array)
      continue;
    ArrayRef<int64_t> idx = dim.indices.tensorType().getShape();
    gathered.assign(sizes.begin(), sizes.begin() + d);
    gathered.append(idx.begin(), idx.end());
    gathered.append(sizes.begin() + d + 1, sizes.end());
    auto t = RankedTensorType::get(gathered, type.getElementType());
    x = GatherOp::create(b, l, t, x, dim.indices.tensor,
                         b.getI64IntegerAttr(d));
  }

  // 4. Drop the integer-indexed dimensions, add the None ones.
  llvm::SmallVector<int64_t> result;
  size_t nextNewAxis = 0;
  auto addNewAxes = [&](size_t before) {
    while (nextNewAxis < plan->newAxesBefore.size() &&
           plan->newAxesBefore[nextNewAxis] == before) {
      result.push_back(1);
      ++nextNewAxis;
    }
  };
  // Where the array's dimensions sit in the result.
  size_t arrayAt = 0, arrayRank = 0;
  for (auto [d, dim] : llvm::enumerate(plan->dims)) {
    addNewAxes(d);
    if (dim.kind == DimIndex::Point || dim.kind == DimIndex::DynamicPoint)
      continue;
    if (dim.kind == DimIndex::Array) {
      arrayAt = result.size();
      arrayRank = dim.indices.tensorType().getRank();
      for (int64_t s : dim.indices.tensorType().getShape())
        result.push_back(s);
      continue;
    }
    result.push_back(sizes[d]);
  }
  addNewAxes(plan->dims.size());
  auto resultType = RankedTensorType::get(result, type.getElementType());
  if (x.getType() != resultType)
    x = ReshapeOp::create(b, l, resultType, x);

  // NumPy: advanced indices separated by a slice put the array's
  // dimensions first.
  const auto &adv = plan->advancedPositions;
  bool separated = plan->hasArray && adv.size() > 1 &&
                   adv.back() - adv.front() + 1 != adv.size();
  if (separated && arrayAt != 0) {
    llvm::SmallVector<int64_t> perm;
    for (size_t k = 0; k < arrayRank; ++k)
      perm.push_back(arrayAt + k);
    for (size_t k = 0; k < result.size(); ++k)
      if (k < arrayAt || k >= arrayAt + arrayRank)
        perm.push_back(k);
    llvm::SmallVector<int64_t> permuted;
    for (int64_t p : perm)
      permuted.push_back(result[p]);
    x = TransposeOp::create(
        b, l, RankedTensorType::get(permuted, type.getElementType()), x,
        b.getDenseI64ArrayAttr(perm));
  }
  return EValue::ofTensor(x);
}

FailureOr<EValue> FunctionEmitter::indexTuple(const EValue &t,
                                              const Expr &key) {
  int64_t n = t.elts.size();
  if (key.kind == ExprKind::Slice) {
    auto bound = [&](const Expr *e) -> FailureOr<std::optional<int64_t>> {
      if (!e)
        return std::optional<int64_t>();
      auto v = emitExpr(*e);
      if (failed(v))
        return mlir::failure();
      if (v->kind == EValue::None)
        return std::optional<int64_t>();
      if (v->kind != EValue::Int)
        return fail(e->loc, "a tuple slice needs compile-time ints");
      return std::optional<int64_t>(v->i);
    };
    auto start = bound(key.lhs.get()), stop = bound(key.rhs.get()),
         step = bound(key.cond.get());
    if (failed(start) || failed(stop) || failed(step))
      return mlir::failure();
    int64_t s = step->value_or(1);
    if (s == 0)
      return fail(key.cond->loc, "slice step cannot be zero");
    DimIndex r;
    normaliseSlice(*start, *stop, s, n, r);
    std::vector<EValue> elts;
    for (int64_t i = 0; i < r.size; ++i)
      elts.push_back(t.elts[r.start + i * r.step]);
    return EValue::ofTuple(std::move(elts));
  }
  auto index = emitExpr(key);
  if (failed(index))
    return mlir::failure();
  if (index->kind != EValue::Int)
    return fail(key.loc, "a tuple index must be a compile-time int, got " +
                             describe(*index));
  int64_t i = index->i < 0 ? index->i + n : index->i;
  if (i < 0 || i >= n)
    return fail(key.loc, "tuple index " + std::to_string(index->i) +
                             " is out of range for a tuple of " +
                             std::to_string(n));
  return t.elts[i];
}

mlir::LogicalResult FunctionEmitter::assignIndexed(const Expr &target,
                                                   const EValue &value) {
  if (target.lhs->kind != ExprKind::Name)
    return m.fail(target.loc, "only a variable can be updated by index "
                              "(x[i] = v)");
  auto base = emitExpr(*target.lhs);
  if (failed(base))
    return mlir::failure();
  if (base->kind != EValue::Tensor)
    return m.fail(target.lhs->loc, describe(*base) +
                                       " cannot be updated by index; "
                                       "only tensors can");
  RankedTensorType type = base->tensorType();
  ArrayRef<int64_t> shape = type.getShape();
  auto plan = planIndex(*this, m, *target.rhs, shape, b);
  if (failed(plan))
    return mlir::failure();
  if (plan->hasArray)
    return m.fail(target.rhs->loc, "updating through an integer array "
                                   "(a scatter) is not supported yet; use "
                                   "scatter_add");
  if (!plan->newAxesBefore.empty())
    return m.fail(target.rhs->loc, "None cannot appear in an indexed "
                                   "assignment");
  mlir::Location l = loc(target.loc);

  // The region's shape (integer-indexed dimensions dropped), which the
  // value broadcasts to, as NumPy does; then the rank-preserving block.
  llvm::SmallVector<int64_t> region, block, starts, steps;
  bool dynamic = false, strided = false, reversed = false;
  for (auto [d, dim] : llvm::enumerate(plan->dims)) {
    bool point = dim.kind != DimIndex::Range;
    if (!point)
      region.push_back(dim.size);
    block.push_back(point ? 1 : dim.size);
    starts.push_back(dim.kind == DimIndex::DynamicPoint ? 0 : dim.start);
    steps.push_back(point ? 1 : dim.step);
    dynamic |= dim.kind == DimIndex::DynamicPoint;
    strided |= !point && dim.step != 1;
    reversed |= !point && dim.step < 0;
  }
  if (dynamic && strided)
    return m.fail(target.rhs->loc,
                  "an indexed assignment with both a run-time index and a "
                  "stepped slice is not supported yet");
  EValue v = value;
  if (v.isScalarConst()) {
    auto mat = materialize(v, type.getElementType(), target.loc);
    if (failed(mat))
      return mlir::failure();
    v = *mat;
  }
  if (v.kind != EValue::Tensor)
    return m.fail(target.loc,
                  "cannot assign " + describe(v) + " into a tensor");
  if (v.tensorType().getElementType() != type.getElementType())
    return m.fail(target.loc, "cannot assign " + typeName(v.tensor.getType()) +
                                  " values into " + typeName(type) +
                                  "; convert them with astype first");
  auto shapeAfter = broadcastShapes(v.tensorType().getShape(), region);
  if (failed(shapeAfter) ||
      ArrayRef<int64_t>(*shapeAfter) != ArrayRef<int64_t>(region))
    return m.fail(target.loc, "a value of shape " +
                                  formatShape(v.tensorType().getShape()) +
                                  " cannot be assigned to a region of shape " +
                                  formatShape(region));
  auto bv = broadcastTo(v, region, target.loc);
  if (failed(bv))
    return mlir::failure();
  mlir::Value update = bv->tensor;
  auto blockType = RankedTensorType::get(block, type.getElementType());
  if (update.getType() != blockType)
    update = ReshapeOp::create(b, l, blockType, update);
  if (llvm::is_contained(block, 0)) // an empty region: nothing changes
    return mlir::success();

  mlir::Value result;
  if (dynamic) {
    auto i64 = RankedTensorType::get({}, b.getI64Type());
    llvm::SmallVector<mlir::Value> dynStarts;
    for (auto [d, dim] : llvm::enumerate(plan->dims))
      dynStarts.push_back(dim.kind == DimIndex::DynamicPoint
                              ? dim.dynamic
                              : (mlir::Value)ConstantOp::create(
                                    b, l,
                                    mlir::DenseElementsAttr::get(
                                        i64, b.getI64IntegerAttr(starts[d]))));
    result = DynamicUpdateSliceOp::create(b, l, type, base->tensor, update,
                                          dynStarts);
  } else {
    if (reversed) {
      // Write a negative-step region forwards, with the update reversed.
      llvm::SmallVector<int64_t> revStarts, revSteps;
      for (size_t d = 0; d < block.size(); ++d) {
        bool neg = steps[d] < 0;
        revStarts.push_back(neg ? block[d] - 1 : 0);
        revSteps.push_back(neg ? -1 : 1);
        if (neg) {
          starts[d] += (block[d] - 1) * steps[d];
          steps[d] = -steps[d];
        }
      }
      update = SliceOp::create(b, l, blockType, update,
                               b.getDenseI64ArrayAttr(revStarts),
                               b.getDenseI64ArrayAttr(revSteps));
    }
    result = UpdateSliceOp::create(b, l, type, base->tensor, update,
                                   b.getDenseI64ArrayAttr(starts),
                                   b.getDenseI64ArrayAttr(steps));
  }
  scope[target.lhs->name] = EValue::ofTensor(result);
  return mlir::success();
}

} // namespace spore::frontend::detail
