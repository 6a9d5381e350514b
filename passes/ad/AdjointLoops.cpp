//===- AdjointLoops.cpp - reversing scf.for and scf.while -----------------===//
//
// A loop is reversed in two parts. The forward loop is rewritten in place
// to push the state it carries into each iteration onto a value stack: a
// tensor with one row per iteration (`tensor<?x...>` from
// `bufferization.alloc_tensor`, so the only dynamic shapes in Spore's IR
// live here). An `scf.for` knows its trip count at
// entry and sizes its stacks then; an `scf.while` starts with room for a
// few rows and doubles it when full. The reverse loop then walks the rows
// from the last to the first: each step recomputes that iteration from
// its row, reverses the copy (nested branches and loops included), and
// passes the cotangent of the carried state to the step before.
//
// Values the body uses from outside the loop accumulate their cotangents
// in the reverse loop's carried values. Loop indices are recomputed from
// the row number, so bodies that read the index see the forward value.
//
//===----------------------------------------------------------------------===//

#include "passes/ad/Adjoint.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace spore;
using namespace spore::ad;

namespace {

/// The rows a stack of values of type `row` has room for when it is
/// created for an `scf.while`.
constexpr int64_t kInitialWhileRows = 8;

/// The shape of a row: a tensor's, or none for a scalar (an integer or an
/// index that hand-written IR may carry).
ArrayRef<int64_t> rowShape(Type row) {
  if (auto t = dyn_cast<RankedTensorType>(row))
    return t.getShape();
  return {};
}

Type rowElementType(Type row) {
  if (auto t = dyn_cast<RankedTensorType>(row))
    return t.getElementType();
  return row;
}

RankedTensorType stackType(Type row) {
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  llvm::append_range(shape, rowShape(row));
  return RankedTensorType::get(shape, rowElementType(row));
}

/// A new stack with room for `rows` rows. An alloc_tensor rather than a
/// tensor.empty: empties of one type are pure and CSE merges them, and
/// two stacks of one loop starting from one buffer were then written
/// through each other by one-shot bufferisation (a wrong gradient, not an
/// error).
Value emptyStack(OpBuilder &b, Location loc, Type row, Value rows) {
  return bufferization::AllocTensorOp::create(b, loc, stackType(row),
                                              ValueRange{rows});
}

/// The offsets, sizes and strides of `rows` rows of a stack of `row`s
/// from row `k`.
void rowSlice(OpBuilder &b, Type row, OpFoldResult k, OpFoldResult rows,
              SmallVectorImpl<OpFoldResult> &offsets,
              SmallVectorImpl<OpFoldResult> &sizes,
              SmallVectorImpl<OpFoldResult> &strides) {
  ArrayRef<int64_t> shape = rowShape(row);
  offsets.assign(shape.size() + 1, b.getIndexAttr(0));
  offsets[0] = k;
  sizes.assign({rows});
  for (int64_t d : shape)
    sizes.push_back(b.getIndexAttr(d));
  strides.assign(shape.size() + 1, b.getIndexAttr(1));
}

/// `stack` with row `k` set to `value`.
Value pushRow(OpBuilder &b, Location loc, Value value, Value stack, Value k) {
  if (!isa<RankedTensorType>(value.getType()))
    return tensor::InsertOp::create(b, loc, value, stack, ValueRange{k});
  SmallVector<OpFoldResult> offsets, sizes, strides;
  rowSlice(b, value.getType(), k, b.getIndexAttr(1), offsets, sizes, strides);
  return tensor::InsertSliceOp::create(b, loc, value, stack, offsets, sizes,
                                       strides);
}

/// Row `k` of `stack`, a value of type `row`.
Value readRow(OpBuilder &b, Location loc, Value stack, Value k, Type row) {
  auto t = dyn_cast<RankedTensorType>(row);
  if (!t)
    return tensor::ExtractOp::create(b, loc, stack, ValueRange{k});
  SmallVector<OpFoldResult> offsets, sizes, strides;
  rowSlice(b, row, k, b.getIndexAttr(1), offsets, sizes, strides);
  return tensor::ExtractSliceOp::create(b, loc, t, stack, offsets, sizes,
                                        strides);
}

/// `stacks`, each with room for twice as many rows when `count` rows
/// already fill them.
SmallVector<Value> growIfFull(OpBuilder &b, Location loc, ValueRange stacks,
                              ArrayRef<Type> rows, Value count) {
  if (stacks.empty())
    return {};
  Value capacity = tensor::DimOp::create(b, loc, stacks[0], 0);
  Value full =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, count, capacity);
  auto grow = scf::IfOp::create(b, loc, stacks.getTypes(), full,
                                /*withElseRegion=*/true);
  {
    OpBuilder t = grow.getThenBodyBuilder();
    Value two = arith::ConstantIndexOp::create(t, loc, 2);
    Value doubled = arith::MulIOp::create(t, loc, capacity, two);
    SmallVector<Value> grown;
    for (auto [stack, row] : llvm::zip(stacks, rows)) {
      SmallVector<OpFoldResult> offsets, sizes, strides;
      rowSlice(t, row, t.getIndexAttr(0), capacity, offsets, sizes, strides);
      grown.push_back(tensor::InsertSliceOp::create(
          t, loc, stack, emptyStack(t, loc, row, doubled), offsets, sizes,
          strides));
    }
    scf::YieldOp::create(t, loc, grown);
  }
  OpBuilder e = grow.getElseBodyBuilder();
  scf::YieldOp::create(e, loc, stacks);
  return SmallVector<Value>(grow.getResults());
}

/// The active values that the regions of `op` use from outside.
SmallVector<Value> activeCaptures(Adjoint &adjoint, Operation *op) {
  SmallVector<Value> outer;
  for (Value v : Adjoint::capturedValues(op))
    if (adjoint.active.count(v))
      outer.push_back(v);
  return outer;
}

/// The cotangent of `v` in `local`, or zeros.
Value cotangentOrZeros(OpBuilder &b, Location loc, CotangentMap &local,
                       Value v) {
  Value c = local.lookup(v);
  return c ? c : zerosOf(b, loc, v.getType());
}

/// Forgets the values of `op` (about to be erased), so that new values
/// created at the same addresses do not inherit activity or cotangents.
void forget(Adjoint &adjoint, CotangentMap &cot, Operation *op) {
  op->walk([&](Operation *inner) {
    for (Value r : inner->getResults()) {
      adjoint.active.erase(r);
      cot.erase(r);
    }
    for (Region &region : inner->getRegions())
      for (Block &block : region)
        for (Value arg : block.getArguments()) {
          adjoint.active.erase(arg);
          cot.erase(arg);
        }
  });
}

/// `for kk in range(trips)` carrying `inits`, whose body `body` builds.
/// The body is built once the loop is in place: activity analysis of the
/// recomputed iteration looks at the ops enclosing it.
scf::ForOp reverseLoop(
    OpBuilder &b, Location loc, Value trips, ValueRange inits,
    llvm::function_ref<void(OpBuilder &, Location, Value, ValueRange)> body) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(b, loc, zero, trips, one, inits);
  Block *block = loop.getBody();
  if (!block->empty())
    block->getTerminator()->erase();
  OpBuilder ib = OpBuilder::atBlockEnd(block);
  body(ib, loc, loop.getInductionVar(), loop.getRegionIterArgs());
  return loop;
}

/// The state `op` carries into iteration `k`: its first `k` iterations
/// run again from the initial values (the replay strategy).
SmallVector<Value> replayFor(OpBuilder &b, Location loc, scf::ForOp op,
                             Value k) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(
      b, loc, zero, k, one, op.getInitArgs(),
      [&](OpBuilder &ib, Location l, Value j, ValueRange carried) {
        IRMapping map;
        map.map(op.getInductionVar(),
                arith::AddIOp::create(
                    ib, l, op.getLowerBound(),
                    arith::MulIOp::create(ib, l, j, op.getStep())));
        map.map(op.getRegionIterArgs(), carried);
        for (Operation &inner : op.getBody()->without_terminator())
          if (!happensOnce(&inner)) // printed, checked, assigned once
            ib.clone(inner, map);
        SmallVector<Value> yielded;
        for (Value v : op.getYieldedValues())
          yielded.push_back(map.lookupOrDefault(v));
        scf::YieldOp::create(ib, l, yielded);
      });
  return SmallVector<Value>(loop.getResults());
}

/// The state `op` carries into its `k`-th evaluation of the condition:
/// the condition (true then) and the body, `k` times from the initial
/// values.
SmallVector<Value> replayWhile(OpBuilder &b, Location loc, scf::WhileOp op,
                               Value k) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Block &before = op.getBefore().front(), &after = op.getAfter().front();
  auto loop = scf::ForOp::create(
      b, loc, zero, k, one, op.getInits(),
      [&](OpBuilder &ib, Location l, Value, ValueRange carried) {
        IRMapping map;
        map.map(before.getArguments(), carried);
        for (Operation &inner : before.without_terminator())
          if (!happensOnce(&inner)) // printed, checked, assigned once
            ib.clone(inner, map);
        for (auto [arg, v] :
             llvm::zip(after.getArguments(), op.getConditionOp().getArgs()))
          map.map(arg, map.lookupOrDefault(v));
        for (Operation &inner : after.without_terminator())
          if (!happensOnce(&inner))
            ib.clone(inner, map);
        SmallVector<Value> yielded;
        for (Value v : op.getYieldOp().getOperands())
          yielded.push_back(map.lookupOrDefault(v));
        scf::YieldOp::create(ib, l, yielded);
      });
  return SmallVector<Value>(loop.getResults());
}

/// An error unless a value stack can hold every value `loop` carries.
LogicalResult checkCarried(Operation *loop, TypeRange carried) {
  for (Type t : carried)
    if (!isa<RankedTensorType, IntegerType, IndexType, FloatType>(t))
      return loop->emitError("cannot differentiate a loop that carries a ")
             << t << " yet"; // the diagnostic quotes types
  return success();
}

} // namespace

LogicalResult Adjoint::markLoopActive(Operation *loop) {
  // Carried values become active through their initial values or through
  // what an iteration makes of active values: iterate to a fixed point.
  auto markBlock = [&](Block &block) {
    SmallVector<Operation *> ops;
    for (Operation &op : block.without_terminator())
      ops.push_back(&op);
    return markActive(ops);
  };
  auto activate = [&](ValueRange from, ValueRange to) {
    bool changed = false;
    for (auto [f, t] : llvm::zip(from, to))
      if (active.count(f) && isFloatTensor(t))
        changed |= active.insert(t).second;
    return changed;
  };
  if (auto forOp = dyn_cast<scf::ForOp>(loop)) {
    activate(forOp.getInitArgs(), forOp.getRegionIterArgs());
    do {
      if (failed(markBlock(*forOp.getBody())))
        return failure();
    } while (activate(forOp.getYieldedValues(), forOp.getRegionIterArgs()));
    activate(forOp.getRegionIterArgs(), forOp.getResults());
    return success();
  }
  auto whileOp = cast<scf::WhileOp>(loop);
  activate(whileOp.getInits(), whileOp.getBeforeArguments());
  do {
    if (failed(markBlock(whileOp.getBefore().front())))
      return failure();
    activate(whileOp.getConditionOp().getArgs(), whileOp.getAfterArguments());
    if (failed(markBlock(whileOp.getAfter().front())))
      return failure();
  } while (activate(whileOp.getYieldOp().getOperands(),
                    whileOp.getBeforeArguments()));
  activate(whileOp.getConditionOp().getArgs(), whileOp.getResults());
  return success();
}

LogicalResult Adjoint::reverseIterations(
    OpBuilder &b, Location loc, Value trips, ArrayRef<Block *> blocks,
    ArrayRef<unsigned> positions, ArrayRef<Value> outer, ValueRange inits,
    function_ref<SmallVector<Value>(OpBuilder &, Location, Value, IRMapping &)>
        stateAt,
    ValueRange loopInits, CotangentMap &cot) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  LogicalResult result = success();
  auto reverse = reverseLoop(
      b, loc, trips, inits,
      [&](OpBuilder &ib, Location l, Value kk, ValueRange carried) {
        Value last = arith::SubIOp::create(ib, l, trips, one);
        Value k = arith::SubIOp::create(ib, l, last, kk);
        IRMapping map;
        SmallVector<Value> state = stateAt(ib, l, k, map);
        SmallVector<Value> seeds(state.size());
        for (auto [n, j] : llvm::enumerate(positions))
          seeds[j] = carried[n];
        CotangentMap local;
        if (failed(recomputeAndReverse(blocks, map, seeds, local, ib))) {
          result = failure();
          scf::YieldOp::create(ib, l, carried);
          return;
        }
        SmallVector<Value> next;
        for (unsigned j : positions)
          next.push_back(cotangentOrZeros(ib, l, local, state[j]));
        for (auto [n, v] : llvm::enumerate(outer)) {
          Value acc = carried[positions.size() + n];
          Value c = local.lookup(v);
          next.push_back(c ? AddOp::create(ib, l, acc, c).getResult() : acc);
        }
        scf::YieldOp::create(ib, l, next);
      });
  if (failed(result))
    return failure();
  for (auto [n, j] : llvm::enumerate(positions))
    if (active.count(loopInits[j]))
      accumulate(b, loc, cot, loopInits[j], reverse.getResult(n));
  for (auto [n, v] : llvm::enumerate(outer))
    accumulate(b, loc, cot, v, reverse.getResult(positions.size() + n));
  return success();
}

LogicalResult Adjoint::reverseFor(scf::ForOp op, ArrayRef<Value> resultCots,
                                  CotangentMap &cot, OpBuilder &b) {
  Location loc = op.getLoc();
  if (!op.getInductionVar().getType().isIndex())
    return op.emitError("cannot differentiate a loop over ")
           << op.getInductionVar().getType() << " yet";
  Value lb = op.getLowerBound(), ub = op.getUpperBound(), step = op.getStep();
  SmallVector<Type> rows(op.getResultTypes());
  if (failed(checkCarried(op, rows)))
    return failure();

  // The forward loop, pushing the state of each iteration.
  OpBuilder fb(op);
  Value zero = arith::ConstantIndexOp::create(fb, loc, 0);
  Value span = arith::SubIOp::create(fb, loc, ub, lb);
  Value trips = arith::MaxSIOp::create(
      fb, loc, arith::CeilDivSIOp::create(fb, loc, span, step), zero);
  SmallVector<Value> inits(op.getInitArgs());
  if (!replay) // else the reverse loop replays the iterations
    for (Type row : rows)
      inits.push_back(emptyStack(fb, loc, row, trips));
  auto forward = scf::ForOp::create(
      fb, loc, lb, ub, step, inits,
      [&](OpBuilder &ib, Location l, Value iv, ValueRange carried) {
        Value k = arith::DivUIOp::create(
            ib, l, arith::SubIOp::create(ib, l, iv, lb), step);
        IRMapping map;
        map.map(op.getInductionVar(), iv);
        map.map(op.getRegionIterArgs(), carried.take_front(rows.size()));
        SmallVector<Value> yielded;
        for (Operation &inner : op.getBody()->without_terminator())
          ib.clone(inner, map);
        for (Value v : op.getYieldedValues())
          yielded.push_back(map.lookupOrDefault(v));
        if (!replay)
          for (auto [state, stack] : llvm::zip(op.getRegionIterArgs(),
                                               carried.drop_front(rows.size())))
            yielded.push_back(pushRow(ib, l, map.lookup(state), stack, k));
        scf::YieldOp::create(ib, l, yielded);
      });
  ValueRange stacks = forward.getResults().drop_front(rows.size());

  // The reverse loop: row trips-1 down to 0.
  SmallVector<unsigned> carriedActive;
  for (auto [j, arg] : llvm::enumerate(op.getRegionIterArgs()))
    if (active.count(arg))
      carriedActive.push_back(j);
  SmallVector<Value> outer = activeCaptures(*this, op);
  SmallVector<Value> revInits;
  for (unsigned j : carriedActive)
    revInits.push_back(resultCots[j] ? resultCots[j]
                                     : zerosOf(b, loc, rows[j]));
  for (Value v : outer)
    revInits.push_back(takeCotangent(b, loc, cot, v));
  auto stateAt = [&](OpBuilder &ib, Location l, Value k, IRMapping &map) {
    map.map(op.getInductionVar(),
            arith::AddIOp::create(ib, l, lb,
                                  arith::MulIOp::create(ib, l, k, step)));
    SmallVector<Value> state;
    if (replay)
      state = replayFor(ib, l, op, k);
    else
      for (auto [j, row] : llvm::enumerate(rows))
        state.push_back(readRow(ib, l, stacks[j], k, row));
    for (auto [j, arg] : llvm::enumerate(op.getRegionIterArgs()))
      map.map(arg, state[j]);
    for (unsigned j : carriedActive)
      active.insert(state[j]);
    return state;
  };
  if (failed(reverseIterations(b, loc, trips, {op.getBody()}, carriedActive,
                               outer, revInits, stateAt, op.getInitArgs(),
                               cot)))
    return failure();

  op.replaceAllUsesWith(forward.getResults().take_front(rows.size()));
  forget(*this, cot, op);
  op.erase();
  return success();
}

LogicalResult Adjoint::reverseWhile(scf::WhileOp op, ArrayRef<Value> resultCots,
                                    CotangentMap &cot, OpBuilder &b) {
  Location loc = op.getLoc();
  SmallVector<Type> rows(op.getInits().getTypes());
  size_t numState = rows.size(), numResults = op.getNumResults();
  Block &before = op.getBefore().front(), &after = op.getAfter().front();
  if (failed(checkCarried(op, rows)))
    return failure();

  // The forward loop, pushing the state each time the condition is
  // evaluated (one row more than the iterations run).
  OpBuilder fb(op);
  Value zero = arith::ConstantIndexOp::create(fb, loc, 0);
  Value one = arith::ConstantIndexOp::create(fb, loc, 1);
  Value initialRows =
      arith::ConstantIndexOp::create(fb, loc, kInitialWhileRows);
  SmallVector<Value> inits(op.getInits());
  size_t numStacks = replay ? 0 : numState;
  if (!replay)
    for (Type row : rows)
      inits.push_back(emptyStack(fb, loc, row, initialRows));
  inits.push_back(zero);
  SmallVector<Type> resultTypes(op.getResultTypes());
  for (Value v : ValueRange(inits).drop_front(numState))
    resultTypes.push_back(v.getType());
  auto forward = scf::WhileOp::create(
      fb, loc, resultTypes, inits,
      [&](OpBuilder &ib, Location l, ValueRange args) {
        ValueRange state = args.take_front(numState);
        ValueRange stacks = args.slice(numState, numStacks);
        Value count = args.back();
        SmallVector<Value> pushed;
        for (auto [value, stack] :
             llvm::zip(state, growIfFull(ib, l, stacks, rows, count)))
          pushed.push_back(pushRow(ib, l, value, stack, count));
        Value counted = arith::AddIOp::create(ib, l, count, one);
        IRMapping map;
        map.map(before.getArguments(), state);
        for (Operation &inner : before.without_terminator())
          ib.clone(inner, map);
        auto cond = op.getConditionOp();
        SmallVector<Value> passed;
        for (Value v : cond.getArgs())
          passed.push_back(map.lookupOrDefault(v));
        llvm::append_range(passed, pushed);
        passed.push_back(counted);
        scf::ConditionOp::create(
            ib, l, map.lookupOrDefault(cond.getCondition()), passed);
      },
      [&](OpBuilder &ib, Location l, ValueRange args) {
        IRMapping map;
        map.map(after.getArguments(), args.take_front(numResults));
        for (Operation &inner : after.without_terminator())
          ib.clone(inner, map);
        SmallVector<Value> yielded;
        for (Value v : op.getYieldOp().getOperands())
          yielded.push_back(map.lookupOrDefault(v));
        llvm::append_range(yielded, args.drop_front(numResults));
        scf::YieldOp::create(ib, l, yielded);
      });
  ValueRange stacks = forward.getResults().slice(numResults, numStacks);
  Value count = forward.getResults().back();

  SmallVector<unsigned> stateActive;
  for (auto [j, arg] : llvm::enumerate(before.getArguments()))
    if (active.count(arg))
      stateActive.push_back(j);
  SmallVector<Value> outer = activeCaptures(*this, op);

  // Maps the before block's arguments to row `k` of the stacks; returns
  // the rows.
  auto readState = [&](OpBuilder &ib, Location l, Value k, IRMapping &map) {
    SmallVector<Value> state;
    if (replay)
      state = replayWhile(ib, l, op, k);
    else
      for (auto [j, row] : llvm::enumerate(rows))
        state.push_back(readRow(ib, l, stacks[j], k, row));
    for (auto [j, arg] : llvm::enumerate(before.getArguments()))
      map.map(arg, state[j]);
    for (unsigned j : stateActive)
      active.insert(state[j]);
    return state;
  };

  // The last evaluation of the condition passed the results on.
  Value bOne = arith::ConstantIndexOp::create(b, loc, 1);
  Value iterations = arith::SubIOp::create(b, loc, count, bOne);
  CotangentMap lastLocal;
  IRMapping lastMap;
  SmallVector<Value> lastState = readState(b, loc, iterations, lastMap);
  if (failed(recomputeAndReverse({&before}, lastMap, resultCots, lastLocal, b)))
    return failure();
  SmallVector<Value> revInits;
  for (unsigned j : stateActive)
    revInits.push_back(cotangentOrZeros(b, loc, lastLocal, lastState[j]));
  for (Value v : outer)
    revInits.push_back(takeCotangent(b, loc, cot, v, lastLocal.lookup(v)));

  // Then each iteration, from the last: the condition and the body.
  if (failed(reverseIterations(b, loc, iterations, {&before, &after},
                               stateActive, outer, revInits, readState,
                               op.getInits(), cot)))
    return failure();

  op.replaceAllUsesWith(forward.getResults().take_front(numResults));
  forget(*this, cot, op);
  op.erase();
  return success();
}
