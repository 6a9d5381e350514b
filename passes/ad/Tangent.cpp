//===- Tangent.cpp - the forward sweep ------------------------------------===//
//
// See Tangent.h. Region ops are rebuilt: a new op with the tangents beside
// the values it yields or carries, whose regions are clones of the old
// ones with the forward sweep run over them; the old op is then erased.
//
//===----------------------------------------------------------------------===//

#include "passes/ad/Tangent.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace spore;
using namespace spore::ad;

Value Tangent::zerosLike(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.hasStaticShape())
    return zerosOf(b, loc, type);
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, v, d));
  return bufferization::AllocTensorOp::create(b, loc, type, sizes);
}

Value Tangent::tangentOrZeros(OpBuilder &b, Location loc, Value v) {
  Value t = tangent.lookup(v);
  return t ? t : zerosLike(b, loc, v);
}

LogicalResult Tangent::forwardOps(ArrayRef<Operation *> ops) {
  for (Operation *op : ops)
    if (failed(forwardOp(op)))
      return failure();
  return success();
}

FailureOr<Operation *> Tangent::cloneForward(Block &block, IRMapping &map,
                                             OpBuilder &b) {
  SmallVector<Operation *> copies;
  for (Operation &op : block)
    copies.push_back(b.clone(op, map));
  // The terminator is cloned too, so that its operands follow the region
  // ops that the sweep rebuilds (the mapping would keep the old ones).
  Operation *terminator = copies.pop_back_val();
  if (failed(forwardOps(copies)))
    return failure();
  b.setInsertionPoint(terminator);
  return terminator;
}

LogicalResult Tangent::cloneYielding(Block &block, IRMapping &map, OpBuilder &b,
                                     ArrayRef<unsigned> positions) {
  auto terminator = cloneForward(block, map, b);
  if (failed(terminator))
    return failure();
  Location loc = (*terminator)->getLoc();
  scf::YieldOp::create(
      b, loc, withTangents(b, loc, (*terminator)->getOperands(), positions));
  (*terminator)->erase();
  return success();
}

/// Forgets the values of `op` (about to be erased).
static void forget(CotangentMap &tangent, Operation *op) {
  op->walk([&](Operation *inner) {
    for (Value r : inner->getResults())
      tangent.erase(r);
    for (Region &region : inner->getRegions())
      for (Block &block : region)
        for (Value arg : block.getArguments())
          tangent.erase(arg);
  });
}

/// The float positions of `values`.
static SmallVector<unsigned> floatPositions(ValueRange values) {
  SmallVector<unsigned> positions;
  for (auto [i, v] : llvm::enumerate(values))
    if (isFloatTensor(v))
      positions.push_back(i);
  return positions;
}

SmallVector<Value> Tangent::withTangents(OpBuilder &b, Location loc,
                                         ValueRange values,
                                         ArrayRef<unsigned> positions) {
  SmallVector<Value> all(values);
  for (unsigned i : positions)
    all.push_back(tangentOrZeros(b, loc, all[i]));
  return all;
}

void Tangent::bindTangents(ValueRange values, size_t count,
                           ArrayRef<unsigned> positions) {
  for (auto [k, i] : llvm::enumerate(positions))
    tangent[values[i]] = values[count + k];
}

void Tangent::replaceRebuilt(Operation *op, ValueRange results,
                             ArrayRef<unsigned> positions) {
  size_t n = op->getNumResults();
  op->replaceAllUsesWith(results.take_front(n));
  bindTangents(results, n, positions);
  forget(tangent, op);
  op->erase();
}

LogicalResult Tangent::forwardOp(Operation *op) {
  bool any = llvm::any_of(op->getOperands(),
                          [&](Value v) { return tangent.count(v); });
  if (!any && op->getNumRegions() > 0)
    any = llvm::any_of(Adjoint::capturedValues(op),
                       [&](Value v) { return tangent.count(v); });
  if (!any)
    return success();
  if (auto branch = dyn_cast<scf::IfOp>(op))
    return forwardIf(branch);
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return forwardFor(loop);
  if (auto loop = dyn_cast<scf::WhileOp>(op))
    return forwardWhile(loop);
  OpBuilder b(op->getContext());
  b.setInsertionPointAfter(op);
  SmallVector<Value> operandTangents;
  for (Value v : op->getOperands()) {
    Value t = tangent.lookup(v);
    operandTangents.push_back(isZeroConstant(t) ? Value() : t);
  }
  if (auto rule = dyn_cast<DifferentiableOp>(op)) {
    SmallVector<Value> results;
    if (failed(rule.buildJVP(b, operandTangents, results)))
      return failure();
    for (auto [r, t] : llvm::zip(op->getResults(), results))
      if (t)
        tangent[r] = t;
    return success();
  }
  // Value stacks, casts and selects (a canonicalised scf.if) are linear in
  // their float tensor operands.
  if (isa<tensor::InsertSliceOp, tensor::ExtractSliceOp, tensor::CastOp,
          arith::SelectOp>(op)) {
    SmallVector<Value> values;
    for (Value v : op->getOperands())
      values.push_back(isFloatTensor(v) ? tangentOrZeros(b, op->getLoc(), v)
                                        : Value());
    Operation *copy = b.clone(*op);
    for (auto [i, v] : llvm::enumerate(values))
      if (v)
        copy->setOperand(i, v);
    tangent[op->getResult(0)] = copy->getResult(0);
    return success();
  }
  if (auto call = dyn_cast<CallOp>(op))
    return forwardCall(call);
  if (llvm::none_of(op->getResults(), [](Value r) { return isFloatTensor(r); }))
    return success();
  return op->emitError("'") << op->getName()
                            << "' has no forward-mode rule yet, and it is "
                               "on the path being differentiated";
}

/// A call kept by differentiation (of a recursive or separate function): a call
/// of the callee's tangent function, with the tangents of the operands that
/// have one, which returns the results, then their tangents.
LogicalResult Tangent::forwardCall(CallOp op) {
  auto callee = symbols->lookup<FuncOp>(op.getCallee());
  if (callee && callee->hasAttr(kCustomVjpAttr))
    return op->emitError("forward-mode differentiation through a "
                         "@custom_vjp function is not supported (its rule "
                         "is for reverse mode)");
  SmallVector<int64_t> wrt;
  for (auto [i, v] : llvm::enumerate(op.getOperands()))
    if (tangent.count(v))
      wrt.push_back(i);
  auto fn = jvpOf(callee, wrt);
  if (failed(fn))
    return failure();
  OpBuilder b(op);
  SmallVector<Value> operands(op.getOperands());
  for (int64_t i : wrt)
    operands.push_back(tangent.lookup(op.getOperand(i)));
  auto call = CallOp::create(b, op.getLoc(), *fn, operands);
  // The tangent function of a separate function is separate too.
  if (isSeparatePrimal(callee))
    call->setAttr(CallOp::getNoInlineAttrName(), b.getUnitAttr());
  SmallVector<unsigned> positions = floatPositions(op.getResults());
  SmallVector<Value> results(call.getResults().take_front(op.getNumResults()));
  for (unsigned i : positions)
    results.push_back(call.getResult(op.getNumResults() + i));
  replaceRebuilt(op, results, positions);
  return success();
}

LogicalResult Tangent::forwardIf(scf::IfOp op) {
  SmallVector<unsigned> positions = floatPositions(op.getResults());
  if (positions.empty())
    return success();
  Location loc = op.getLoc();
  SmallVector<Type> types(op.getResultTypes());
  for (unsigned i : positions)
    types.push_back(op.getResult(i).getType());
  OpBuilder b(op);
  auto branch = scf::IfOp::create(b, loc, types, op.getCondition(),
                                  /*withElseRegion=*/true);
  for (auto [from, to] :
       {std::make_pair(&op.getThenRegion(), &branch.getThenRegion()),
        std::make_pair(&op.getElseRegion(), &branch.getElseRegion())}) {
    Block &block = to->front();
    block.clear();
    OpBuilder inner = OpBuilder::atBlockEnd(&block);
    IRMapping map;
    if (failed(cloneYielding(from->front(), map, inner, positions)))
      return failure();
  }
  // A result whose tangent is zeros in both branches has none (a symbolic
  // zero): rules downstream then skip its terms. Its yields are left for
  // canonicalisation to remove.
  size_t n = op.getNumResults();
  auto zeroInBoth = [&](size_t k) {
    return isZeroConstant(branch.thenYield().getOperand(n + k)) &&
           isZeroConstant(branch.elseYield().getOperand(n + k));
  };
  SmallVector<unsigned> nonzero;
  SmallVector<Value> results(branch.getResults().take_front(n));
  for (auto [k, i] : llvm::enumerate(positions))
    if (!zeroInBoth(k)) {
      nonzero.push_back(i);
      results.push_back(branch.getResult(n + k));
    }
  replaceRebuilt(op, results, nonzero);
  return success();
}

LogicalResult Tangent::forwardFor(scf::ForOp op) {
  SmallVector<unsigned> positions = floatPositions(op.getInitArgs());
  Location loc = op.getLoc();
  OpBuilder b(op);
  size_t n = op.getNumResults();
  auto loop = scf::ForOp::create(
      b, loc, op.getLowerBound(), op.getUpperBound(), op.getStep(),
      withTangents(b, loc, op.getInitArgs(), positions));
  Block *body = loop.getBody();
  if (!body->empty())
    body->getTerminator()->erase();
  IRMapping map;
  map.map(op.getInductionVar(), loop.getInductionVar());
  for (unsigned i = 0; i < n; ++i)
    map.map(op.getRegionIterArgs()[i], loop.getRegionIterArgs()[i]);
  bindTangents(loop.getRegionIterArgs(), n, positions);
  OpBuilder inner = OpBuilder::atBlockEnd(body);
  if (failed(cloneYielding(*op.getBody(), map, inner, positions)))
    return failure();
  replaceRebuilt(op, loop.getResults(), positions);
  return success();
}

LogicalResult Tangent::forwardWhile(scf::WhileOp op) {
  Block &before = op.getBefore().front(), &after = op.getAfter().front();
  SmallVector<unsigned> state = floatPositions(op.getInits());
  SmallVector<unsigned> passed = floatPositions(op.getConditionOp().getArgs());
  Location loc = op.getLoc();
  OpBuilder b(op);
  size_t numState = op.getInits().size(), numPassed = op.getNumResults();
  SmallVector<Value> inits = withTangents(b, loc, op.getInits(), state);
  SmallVector<Type> resultTypes(op.getResultTypes());
  for (unsigned i : passed)
    resultTypes.push_back(op.getResult(i).getType());
  auto loop = scf::WhileOp::create(b, loc, resultTypes, inits);
  SmallVector<Location> stateLocs(inits.size(), loc),
      passedLocs(resultTypes.size(), loc);
  Block *newBefore = b.createBlock(&loop.getBefore(), {},
                                   ValueRange(inits).getTypes(), stateLocs);
  Block *newAfter =
      b.createBlock(&loop.getAfter(), {}, resultTypes, passedLocs);

  // Before: the state and its tangents; passes on values and tangents.
  IRMapping map;
  for (unsigned i = 0; i < numState; ++i)
    map.map(before.getArgument(i), newBefore->getArgument(i));
  bindTangents(newBefore->getArguments(), numState, state);
  OpBuilder inner = OpBuilder::atBlockEnd(newBefore);
  auto terminator = cloneForward(before, map, inner);
  if (failed(terminator))
    return failure();
  auto cond = cast<scf::ConditionOp>(*terminator);
  scf::ConditionOp::create(inner, loc, cond.getCondition(),
                           withTangents(inner, loc, cond.getArgs(), passed));
  cond->erase();

  // After: the passed values and their tangents; yields the next state.
  IRMapping afterMap;
  for (unsigned i = 0; i < numPassed; ++i)
    afterMap.map(after.getArgument(i), newAfter->getArgument(i));
  bindTangents(newAfter->getArguments(), numPassed, passed);
  inner = OpBuilder::atBlockEnd(newAfter);
  if (failed(cloneYielding(after, afterMap, inner, state)))
    return failure();

  replaceRebuilt(op, loop.getResults(), passed);
  return success();
}
