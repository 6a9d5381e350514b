//===- Batch.cpp - a function over a batch of some of its arguments -------===//
//
// Two steps. The analysis finds the values that depend on the batched
// arguments (through loops and branches, to a fixed point); those carry a
// leading dimension of the batch's width, the others are computed once.
// The emission then rebuilds the function op by op: an op none of whose
// operands is batched is cloned; one that has batched operands follows its
// rule (elementwise ops broadcast their other operands, axes move by one,
// a contraction becomes a batched contraction), and an op without a rule
// runs once per lane in a loop, which is correct for any op.
//
//===----------------------------------------------------------------------===//

#include "passes/ad/Batch.h"

#include "passes/ad/Adjoint.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"

using namespace mlir;
using namespace spore;
using namespace spore::ad;

namespace {

/// The values of a function that depend on its batched arguments.
struct BatchedValues {
  llvm::DenseSet<Value> set;

  bool contains(Value v) const { return set.contains(v); }
  bool any(ValueRange values) const {
    return llvm::any_of(values, [&](Value v) { return contains(v); });
  }
  /// Whether an operand of `op`, or a value its regions use from above,
  /// is batched.
  bool reaches(Operation *op) const {
    if (any(op->getOperands()))
      return true;
    if (op->getNumRegions() == 0)
      return false;
    llvm::SetVector<Value> captured;
    getUsedValuesDefinedAbove(op->getRegions(), captured);
    return any(captured.getArrayRef());
  }
  bool add(Value v) { return set.insert(v).second; }

  /// One round of propagation over `block`; whether anything was added.
  bool propagate(Block &block) {
    bool changed = false;
    for (Operation &op : block) {
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
        for (unsigned i = 0; i < loop.getNumResults(); ++i)
          if (contains(loop.getInitArgs()[i]) ||
              contains(yield.getOperand(i))) {
            changed |= add(loop.getRegionIterArgs()[i]);
            changed |= add(loop.getResult(i));
          }
        changed |= propagate(*loop.getBody());
      } else if (auto branch = dyn_cast<scf::IfOp>(op)) {
        for (Region *region :
             {&branch.getThenRegion(), &branch.getElseRegion()})
          if (!region->empty()) {
            changed |= propagate(region->front());
            auto yield = cast<scf::YieldOp>(region->front().getTerminator());
            for (auto [result, value] :
                 llvm::zip(branch.getResults(), yield.getOperands()))
              if (contains(value))
                changed |= add(result);
          }
      } else if (reaches(&op)) {
        // Batched by a rule, or by a loop over the lanes: all results.
        for (Value r : op.getResults())
          changed |= add(r);
      }
    }
    return changed;
  }
};

class Emitter {
public:
  Emitter(OpBuilder &b, const BatchedValues &batched, int64_t width)
      : b(b), batched(batched), width(width) {}

  IRMapping map;

  RankedTensorType batchedType(Type t) const {
    auto tensor = cast<RankedTensorType>(t);
    SmallVector<int64_t> shape{width};
    llvm::append_range(shape, tensor.getShape());
    return RankedTensorType::get(shape, tensor.getElementType());
  }

  /// The rebuilt `v`, with the batch dimension (broadcast when `v` is
  /// not batched).
  Value batchedOf(Value v, Location loc) {
    Value mapped = map.lookup(v);
    if (batched.contains(v))
      return mapped;
    return BroadcastToOp::create(b, loc, batchedType(v.getType()), mapped);
  }

  LogicalResult emitOps(Block &source) {
    for (Operation &op : source.without_terminator())
      if (failed(emit(&op)))
        return failure();
    return success();
  }

private:
  OpBuilder &b;
  const BatchedValues &batched;
  int64_t width;

  Value i64Scalar(Location loc, int64_t v) {
    auto type = RankedTensorType::get({}, b.getI64Type());
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getI64IntegerAttr(v)));
  }

  Value reshape(Location loc, Value v, ArrayRef<int64_t> shape) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getShape() == shape)
      return v;
    return ReshapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v);
  }

  /// `op` cloned with `operands` in place of its own (same number) and its
  /// results of `types`; attributes are then adjusted by the caller.
  Operation *cloneWith(Operation *op, ArrayRef<Value> operands,
                       TypeRange types) {
    IRMapping m;
    m.map(op->getOperands(), operands);
    Operation *n = b.clone(*op, m);
    for (auto [r, t] : llvm::zip(n->getResults(), types))
      r.setType(t);
    return n;
  }

  SmallVector<Type> batchedTypes(Operation *op) {
    SmallVector<Type> types;
    for (Type t : op->getResultTypes())
      types.push_back(batchedType(t));
    return types;
  }

  SmallVector<Value> allBatched(Operation *op) {
    SmallVector<Value> operands;
    for (Value v : op->getOperands())
      operands.push_back(batchedOf(v, op->getLoc()));
    return operands;
  }

  /// `values` with one added to each (axes move past the batch dimension).
  static SmallVector<int64_t> shifted(ArrayRef<int64_t> values) {
    SmallVector<int64_t> out;
    for (int64_t v : values)
      out.push_back(v + 1);
    return out;
  }
  static SmallVector<int64_t> prefixed(int64_t first, ArrayRef<int64_t> rest) {
    SmallVector<int64_t> out{first};
    llvm::append_range(out, rest);
    return out;
  }

  void bind(Operation *op, Operation *n) {
    map.map(op->getResults(), n->getResults());
  }

  LogicalResult emit(Operation *op) {
    if (auto loop = dyn_cast<scf::ForOp>(op))
      return emitFor(loop);
    if (auto branch = dyn_cast<scf::IfOp>(op))
      return emitIf(branch);
    if (!batched.reaches(op)) {
      b.clone(*op, map);
      return success();
    }
    if (succeeded(emitRule(op)))
      return success();
    return emitLanes(op);
  }

  /// The batched form of `op` by its rule; failure (having built nothing)
  /// where it has none.
  LogicalResult emitRule(Operation *op) {
    Location loc = op->getLoc();
    // Elementwise ops and reshapes only prefix their types.
    if (isa<ScalarElementwiseOp, StopGradientOp, ReshapeOp>(op)) {
      bind(op, cloneWith(op, allBatched(op), batchedTypes(op)));
      return success();
    }
    if (auto broadcast = dyn_cast<BroadcastToOp>(op)) {
      // Align the operand's dimensions with the result's, after the batch.
      auto in = cast<RankedTensorType>(broadcast.getInput().getType());
      auto out = cast<RankedTensorType>(broadcast.getType());
      SmallVector<int64_t> shape{width};
      shape.append(out.getRank() - in.getRank(), 1);
      llvm::append_range(shape, in.getShape());
      Value aligned = reshape(loc, map.lookup(broadcast.getInput()), shape);
      map.map(broadcast.getResult(),
              BroadcastToOp::create(b, loc, batchedType(out), aligned));
      return success();
    }
    if (auto t = dyn_cast<TransposeOp>(op)) {
      Operation *n = cloneWith(op, allBatched(op), batchedTypes(op));
      n->setAttr("permutation", b.getDenseI64ArrayAttr(
                                    prefixed(0, shifted(t.getPermutation()))));
      bind(op, n);
      return success();
    }
    if (isa<SumOp, MeanOp, MaxOp, MinOp, ProdOp>(op)) {
      auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
      Operation *n = cloneWith(op, allBatched(op), batchedTypes(op));
      n->setAttr("axes", b.getDenseI64ArrayAttr(shifted(axes.asArrayRef())));
      bind(op, n);
      return success();
    }
    if (isa<CumsumOp, SoftmaxOp, LogSoftmaxOp, ConcatenateOp>(op) ||
        (isa<GatherOp>(op) && !batched.contains(op->getOperand(1))) ||
        (isa<ScatterAddOp>(op) && !batched.contains(op->getOperand(1)))) {
      SmallVector<Value> operands;
      for (auto [i, v] : llvm::enumerate(op->getOperands()))
        // Indices (operand 1 of gather and scatter_add) stay as they are.
        operands.push_back(isa<GatherOp, ScatterAddOp>(op) && i == 1
                               ? map.lookup(v)
                               : batchedOf(v, loc));
      Operation *n = cloneWith(op, operands, batchedTypes(op));
      auto axis = op->getAttrOfType<IntegerAttr>("axis");
      n->setAttr("axis", b.getI64IntegerAttr(axis.getInt() + 1));
      bind(op, n);
      return success();
    }
    if (isa<SliceOp, UpdateSliceOp>(op)) {
      auto starts = op->getAttrOfType<DenseI64ArrayAttr>("starts");
      auto steps = op->getAttrOfType<DenseI64ArrayAttr>("steps");
      Operation *n = cloneWith(op, allBatched(op), batchedTypes(op));
      n->setAttr("starts",
                 b.getDenseI64ArrayAttr(prefixed(0, starts.asArrayRef())));
      n->setAttr("steps",
                 b.getDenseI64ArrayAttr(prefixed(1, steps.asArrayRef())));
      bind(op, n);
      return success();
    }
    if (auto slice = dyn_cast<DynamicSliceOp>(op)) {
      if (batched.any(slice.getStarts()))
        return failure();
      SmallVector<Value> starts{i64Scalar(loc, 0)};
      for (Value s : slice.getStarts())
        starts.push_back(map.lookup(s));
      map.map(slice.getResult(),
              DynamicSliceOp::create(b, loc, batchedType(slice.getType()),
                                     map.lookup(slice.getInput()), starts));
      return success();
    }
    if (auto update = dyn_cast<DynamicUpdateSliceOp>(op)) {
      if (batched.any(update.getStarts()))
        return failure();
      SmallVector<Value> starts{i64Scalar(loc, 0)};
      for (Value s : update.getStarts())
        starts.push_back(map.lookup(s));
      map.map(update.getResult(),
              DynamicUpdateSliceOp::create(
                  b, loc, batchedType(update.getType()),
                  batchedOf(update.getInput(), loc),
                  batchedOf(update.getUpdate(), loc), starts));
      return success();
    }
    if (auto matmul = dyn_cast<MatmulOp>(op))
      return emitMatmul(matmul);
    if (isa<Conv2DOp, Pool2DOp>(op)) {
      // The batch joins the images: [W, N, ...] as [W * N, ...]. A batched
      // filter has no rule.
      if (isa<Conv2DOp>(op) && batched.contains(op->getOperand(1)))
        return failure();
      auto in = cast<RankedTensorType>(op->getOperand(0).getType());
      auto out = cast<RankedTensorType>(op->getResult(0).getType());
      SmallVector<int64_t> joined(in.getShape());
      joined[0] *= width;
      SmallVector<Value> operands{
          reshape(loc, map.lookup(op->getOperand(0)), joined)};
      for (Value v : op->getOperands().drop_front())
        operands.push_back(map.lookup(v));
      SmallVector<int64_t> outJoined(out.getShape());
      outJoined[0] *= width;
      Operation *n = cloneWith(
          op, operands, RankedTensorType::get(outJoined, out.getElementType()));
      map.map(op->getResult(0),
              reshape(loc, n->getResult(0), batchedType(out).getShape()));
      return success();
    }
    return failure();
  }

  /// A batched operand of rank r is reshaped to [W, 1, ..., shape] of the
  /// larger rank of the two, so that NumPy's matmul broadcasting pairs the
  /// lanes; a vector operand is a matrix of one row (lhs) or column (rhs).
  LogicalResult emitMatmul(MatmulOp op) {
    Location loc = op.getLoc();
    auto shapeOf = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getShape();
    };
    Value lhsValue = op.getLhs(), rhsValue = op.getRhs();
    bool lhsBatched = batched.contains(lhsValue),
         rhsBatched = batched.contains(rhsValue);
    size_t lhsRank = shapeOf(lhsValue).size(),
           rhsRank = shapeOf(rhsValue).size();
    auto result = [&](Value product) {
      map.map(op.getResult(),
              reshape(loc, product, batchedType(op.getType()).getShape()));
      return success();
    };
    // One side batched, the other a matrix: the lanes become rows of one
    // matrix product, the form contractions run fastest in.
    if (lhsBatched && !rhsBatched && rhsRank <= 2 && lhsRank <= 2) {
      // [W, (m,) k] @ [k(, n)]: [W * m, k] @ [k(, n)].
      int64_t k = shapeOf(lhsValue).back();
      Value rowsOf =
          reshape(loc, map.lookup(lhsValue),
                  {width * (lhsRank == 2 ? shapeOf(lhsValue)[0] : 1), k});
      return result(MatmulOp::create(b, loc, rowsOf, map.lookup(rhsValue)));
    }
    if (rhsBatched && !lhsBatched && lhsRank == 2 && rhsRank <= 2) {
      // A @ B per lane is (B^T @ A^T)^T: [W * n, k] @ A^T, where B^T needs
      // no transpose for a vector or a column (n = 1).
      auto swap = b.getDenseI64ArrayAttr({1, 0});
      Value transposed =
          TransposeOp::create(b, loc, map.lookup(lhsValue), swap);
      int64_t k = shapeOf(rhsValue)[0];
      int64_t n = rhsRank == 2 ? shapeOf(rhsValue)[1] : 1;
      Value rows = map.lookup(rhsValue);
      if (n != 1)
        rows = TransposeOp::create(b, loc, rows,
                                   b.getDenseI64ArrayAttr({0, 2, 1}));
      rows = reshape(loc, rows, {width * n, k});
      Value product = MatmulOp::create(b, loc, rows, transposed);
      if (n != 1) {
        int64_t m = shapeOf(lhsValue)[0];
        product =
            TransposeOp::create(b, loc, reshape(loc, product, {width, n, m}),
                                b.getDenseI64ArrayAttr({0, 2, 1}));
      }
      return result(product);
    }
    SmallVector<int64_t> lhs(shapeOf(op.getLhs())), rhs(shapeOf(op.getRhs()));
    if (lhs.size() == 1)
      lhs.insert(lhs.begin(), 1);
    if (rhs.size() == 1)
      rhs.push_back(1);
    size_t rank = std::max(lhs.size(), rhs.size());
    auto operand = [&](Value v, SmallVector<int64_t> shape) {
      if (!batched.contains(v))
        return reshape(loc, map.lookup(v), shape);
      SmallVector<int64_t> full{width};
      full.append(rank - shape.size(), 1);
      llvm::append_range(full, shape);
      return reshape(loc, map.lookup(v), full);
    };
    return result(MatmulOp::create(b, loc, operand(lhsValue, lhs),
                                   operand(rhsValue, rhs)));
  }

  /// `op` once per lane, in a loop that writes lane k of each result.
  LogicalResult emitLanes(Operation *op) {
    Location loc = op->getLoc();
    SmallVector<Value> accumulators;
    for (Type t : op->getResultTypes()) {
      if (!isa<RankedTensorType>(t))
        return failure();
      accumulators.push_back(zerosOf(b, loc, batchedType(t)));
    }
    llvm::SetVector<Value> inputs(op->getOperands().begin(),
                                  op->getOperands().end());
    getUsedValuesDefinedAbove(op->getRegions(), inputs);

    auto lower = arith::ConstantIndexOp::create(b, loc, 0);
    auto upper = arith::ConstantIndexOp::create(b, loc, width);
    auto step = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(b, loc, lower, upper, step, accumulators);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value lane = tensor::FromElementsOp::create(
        b, loc, RankedTensorType::get({}, b.getI64Type()),
        ValueRange{arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                              loop.getInductionVar())});
    IRMapping local = map;
    // Lane k of a batched [W, ...] value is its block at [k, 0, ...].
    auto laneStarts = [&](RankedTensorType type) {
      SmallVector<Value> starts{lane};
      for (int64_t d = 0; d < type.getRank(); ++d)
        starts.push_back(i64Scalar(loc, 0));
      return starts;
    };
    for (Value v : inputs) {
      if (!batched.contains(v))
        continue;
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> one = prefixed(1, type.getShape());
      Value row = DynamicSliceOp::create(
          b, loc, RankedTensorType::get(one, type.getElementType()),
          map.lookup(v), laneStarts(type));
      local.map(v, reshape(loc, row, type.getShape()));
    }
    Operation *n = b.clone(*op, local);
    SmallVector<Value> next;
    for (auto [r, acc] : llvm::zip(n->getResults(), loop.getRegionIterArgs())) {
      auto type = cast<RankedTensorType>(r.getType());
      Value row = reshape(loc, r, prefixed(1, type.getShape()));
      next.push_back(DynamicUpdateSliceOp::create(b, loc, acc.getType(), acc,
                                                  row, laneStarts(type)));
    }
    scf::YieldOp::create(b, loc, next);
    map.map(op->getResults(), loop.getResults());
    return success();
  }

  /// The carried values of `values` (mapped): batched where `carried` is.
  SmallVector<Value> carriedOf(ValueRange values, ValueRange carried,
                               Location loc) {
    SmallVector<Value> out;
    for (auto [v, c] : llvm::zip(values, carried))
      out.push_back(batched.contains(c) ? batchedOf(v, loc) : map.lookup(v));
    return out;
  }

  LogicalResult emitFor(scf::ForOp op) {
    Location loc = op.getLoc();
    auto loop = scf::ForOp::create(
        b, loc, map.lookup(op.getLowerBound()), map.lookup(op.getUpperBound()),
        map.lookup(op.getStep()),
        carriedOf(op.getInitArgs(), op.getResults(), loc));
    map.map(op.getInductionVar(), loop.getInductionVar());
    map.map(op.getRegionIterArgs(), loop.getRegionIterArgs());
    OpBuilder::InsertionGuard guard(b);
    Block *body = loop.getBody();
    if (!body->empty())
      body->getTerminator()->erase();
    b.setInsertionPointToEnd(body);
    if (failed(emitOps(*op.getBody())))
      return failure();
    auto yield = cast<scf::YieldOp>(op.getBody()->getTerminator());
    scf::YieldOp::create(
        b, yield.getLoc(),
        carriedOf(yield.getOperands(), op.getResults(), yield.getLoc()));
    map.map(op.getResults(), loop.getResults());
    return success();
  }

  LogicalResult emitIf(scf::IfOp op) {
    Location loc = op.getLoc();
    SmallVector<Type> types;
    for (Value r : op.getResults())
      types.push_back(batched.contains(r) ? batchedType(r.getType())
                                          : r.getType());
    bool withElse = !op.getElseRegion().empty();
    auto branch = scf::IfOp::create(b, loc, types,
                                    map.lookup(op.getCondition()), withElse);
    OpBuilder::InsertionGuard guard(b);
    for (auto [from, to] :
         {std::pair{&op.getThenRegion(), &branch.getThenRegion()},
          std::pair{&op.getElseRegion(), &branch.getElseRegion()}}) {
      if (from->empty())
        continue;
      if (to->empty())
        to->push_back(new Block);
      Block &block = to->front();
      while (!block.empty())
        block.back().erase();
      b.setInsertionPointToEnd(&block);
      if (failed(emitOps(from->front())))
        return failure();
      auto yield = cast<scf::YieldOp>(from->front().getTerminator());
      scf::YieldOp::create(
          b, yield.getLoc(),
          carriedOf(yield.getOperands(), op.getResults(), yield.getLoc()));
    }
    map.map(op.getResults(), branch.getResults());
    return success();
  }
};

} // namespace

FailureOr<FuncOp> spore::ad::batchFunction(FuncOp fn, ArrayRef<unsigned> args,
                                           int64_t width, StringRef name,
                                           SymbolTable &symbols) {
  if (auto done = symbols.lookup<FuncOp>(name))
    return done;
  Block &source = fn.getBody().front();
  BatchedValues batched;
  for (unsigned i : args)
    batched.add(source.getArgument(i));
  while (batched.propagate(source)) {
  }
  // Lanes live in tensors: a batched scalar (a loop bound, a branch
  // condition) has no form. Nor, for now, does a batched value of dynamic
  // shape (the tangent of a value stack whose rows are a run-time trip
  // count): the rules build static shapes.
  for (Value v : batched.set) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.hasStaticShape())
      return failure();
  }
  for (Type t : fn.getResultTypes())
    if (!isa<RankedTensorType>(t))
      return failure();

  OpBuilder b(fn);
  b.setInsertionPointAfter(fn);
  auto batchedFn = cast<FuncOp>(b.cloneWithoutRegions(*fn.getOperation()));
  batchedFn.setSymName(name);
  batchedFn.setPrivate();
  batchedFn->removeAttr(FuncOp::getExportAttrName());
  batchedFn->removeAttr("spore.checkpoint");
  batchedFn->removeAttr(kCustomVjpAttr);
  for (unsigned i = 0; i < batchedFn.getNumArguments(); ++i)
    batchedFn.setArgAttrs(i, ArrayRef<NamedAttribute>{});

  Emitter emitter(b, batched, width);
  SmallVector<Type> inputs;
  for (BlockArgument arg : source.getArguments())
    inputs.push_back(batched.contains(arg) ? emitter.batchedType(arg.getType())
                                           : arg.getType());
  SmallVector<Type> results;
  for (Type t : fn.getResultTypes())
    results.push_back(emitter.batchedType(t));
  batchedFn.setFunctionType(
      FunctionType::get(fn.getContext(), inputs, results));
  Block *body = new Block;
  batchedFn.getBody().push_back(body);
  for (auto [arg, type] : llvm::zip(source.getArguments(), inputs))
    emitter.map.map(arg, body->addArgument(type, arg.getLoc()));

  b.setInsertionPointToEnd(body);
  auto ret = cast<ReturnOp>(source.getTerminator());
  SmallVector<Value> values;
  LogicalResult emitted = emitter.emitOps(source);
  if (succeeded(emitted)) {
    for (Value v : ret.getOperands())
      values.push_back(emitter.batchedOf(v, ret.getLoc()));
    ReturnOp::create(b, ret.getLoc(), values);
  }
  // A rule that built an invalid op is a bug, but batching is an
  // optimisation: the caller then differentiates lane by lane.
  bool valid = false;
  if (succeeded(emitted)) {
    ScopedDiagnosticHandler quiet(fn.getContext(),
                                  [](Diagnostic &) { return success(); });
    valid = succeeded(verify(batchedFn));
  }
  if (!valid) {
    batchedFn.erase();
    return failure();
  }
  symbols.insert(batchedFn);
  return batchedFn;
}
