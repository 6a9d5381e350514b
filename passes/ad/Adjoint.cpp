//===- Adjoint.cpp - activity and the reverse sweep -----------------------===//
//
// Straight-line code through the primitives' rules, checkpointed calls
// through their vjp functions, and `scf.if` by recomputing the branch
// taken inside an `scf.if` on the same condition. Loops are in
// AdjointLoops.cpp.
//
//===----------------------------------------------------------------------===//

#include "passes/ad/Adjoint.h"
#include "passes/Passes.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

#include <array>

using namespace mlir;
using namespace spore;
using namespace spore::ad;

bool spore::ad::isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

Value spore::ad::zerosOf(OpBuilder &b, Location loc, Type type) {
  auto t = cast<RankedTensorType>(type);
  return ConstantOp::create(
      b, loc, DenseElementsAttr::get(t, b.getZeroAttr(t.getElementType())));
}

bool spore::ad::isZeroConstant(Value v) {
  DenseElementsAttr value;
  if (!v || !matchPattern(v, m_Constant(&value)) || !value.isSplat())
    return false;
  auto element = dyn_cast<FloatAttr>(value.getSplatValue<Attribute>());
  return element && element.getValue().isZero();
}

/// Whether `op` works on the value stack of a differentiated loop (the
/// only dynamically shaped tensors in spore IR).
static bool readsValueStack(Operation *op) {
  auto dynamic = [](Type t) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    return tensor && !tensor.hasStaticShape();
  };
  return llvm::any_of(op->getOperandTypes(), dynamic) ||
         llvm::any_of(op->getResultTypes(), dynamic);
}

SmallVector<Value> Adjoint::capturedValues(Operation *op) {
  llvm::SetVector<Value> captured;
  for (Region &region : op->getRegions())
    region.walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        if (!op->isAncestor(v.getParentRegion()->getParentOp()))
          captured.insert(v);
    });
  return captured.takeVector();
}

bool Adjoint::isActiveOp(Operation *op) {
  if (llvm::any_of(op->getOperands(), [&](Value v) { return active.count(v); }))
    return true;
  if (op->getNumRegions() == 0)
    return false;
  return llvm::any_of(capturedValues(op),
                      [&](Value v) { return active.count(v); });
}

LogicalResult Adjoint::markActive(ArrayRef<Operation *> ops) {
  for (Operation *op : ops) {
    if (!isActiveOp(op))
      continue;
    if (isa<scf::ForOp, scf::WhileOp>(op)) {
      if (failed(markLoopActive(op)))
        return failure();
      continue;
    }
    if (op->getNumRegions() > 0 && !isa<scf::IfOp>(op))
      return op->emitError("cannot differentiate through '")
             << op->getName() << "' yet";
    for (Value r : op->getResults())
      if (isFloatTensor(r))
        active.insert(r);
  }
  return success();
}

void Adjoint::accumulate(OpBuilder &b, Location loc, CotangentMap &cot, Value v,
                         Value c) {
  Value &sum = cot[v];
  sum = sum ? AddOp::create(b, loc, sum, c).getResult() : c;
}

/// `x + y` where both are given, the one given, or zeros of `type`.
static Value sumOrZeros(OpBuilder &b, Location loc, Type type, Value x,
                        Value y) {
  if (x && y)
    return AddOp::create(b, loc, x, y);
  if (x || y)
    return x ? x : y;
  return zerosOf(b, loc, type);
}

Value Adjoint::takeCotangent(OpBuilder &b, Location loc, CotangentMap &cot,
                             Value v, Value extra) {
  Value earlier = cot.lookup(v);
  cot.erase(v);
  return sumOrZeros(b, loc, v.getType(), earlier, extra);
}

LogicalResult Adjoint::reverseOps(ArrayRef<Operation *> ops, CotangentMap &cot,
                                  OpBuilder &b) {
  for (Operation *op : llvm::reverse(ops)) {
    SmallVector<Value> resultCots;
    bool any = false;
    for (Value r : op->getResults()) {
      Value c = active.count(r) ? cot.lookup(r) : Value();
      resultCots.push_back(isZeroConstant(c) ? Value() : c);
      any |= resultCots.back() != nullptr;
    }
    if (!any)
      continue;
    LogicalResult done = success();
    if (auto branch = dyn_cast<scf::IfOp>(op))
      done = reverseIf(branch, resultCots, cot, b);
    else if (auto loop = dyn_cast<scf::ForOp>(op))
      done = reverseFor(loop, resultCots, cot, b);
    else if (auto loop = dyn_cast<scf::WhileOp>(op))
      done = reverseWhile(loop, resultCots, cot, b);
    else if (auto call = dyn_cast<CallOp>(op)) {
      auto callee = symbols->lookup<FuncOp>(call.getCallee());
      done = callee->hasAttr(kCustomVjpAttr)
                 ? reverseCustom(call, resultCots, cot, b)
             : splitOf && isSeparatePrimal(callee)
                 ? reverseSeparate(call, resultCots, cot, b)
                 : reverseCheckpointed(call, resultCots, cot, b);
    } else if (auto select = dyn_cast<arith::SelectOp>(op))
      reverseSelect(select, resultCots[0], cot, b);
    else if (auto rule = dyn_cast<DifferentiableOp>(op)) {
      SmallVector<Value> operandCots;
      done = rule.buildVJP(b, resultCots, operandCots);
      if (succeeded(done))
        for (auto [operand, c] : llvm::zip(op->getOperands(), operandCots))
          if (c && active.count(operand))
            accumulate(b, op->getLoc(), cot, operand, c);
    } else if (readsValueStack(op)) {
      return op->emitError(
          "cannot differentiate twice in reverse mode through a loop that is "
          "not unrolled yet (a run-time trip count or more than 16 "
          "iterations); forward over reverse works: hessian(f), "
          "jacfwd(grad(f)), jvp of grad(f)");
    } else {
      return op->emitError("'")
             << op->getName()
             << "' has no derivative rule yet, and it is on the path "
                "being differentiated";
    }
    if (failed(done))
      return failure();
  }
  return success();
}

FailureOr<SmallVector<Value>>
Adjoint::recomputeAndReverse(ArrayRef<Block *> blocks, IRMapping &map,
                             ArrayRef<Value> seeds, CotangentMap &local,
                             OpBuilder &b) {
  // The values a block's terminator passes on (scf.condition passes all
  // but its condition).
  auto passed = [](Block *block) -> OperandRange {
    Operation *term = block->getTerminator();
    if (auto cond = dyn_cast<scf::ConditionOp>(term))
      return cond.getArgs();
    return term->getOperands();
  };
  SmallVector<Operation *> copies;
  for (auto [i, block] : llvm::enumerate(blocks)) {
    if (i > 0)
      for (auto [arg, v] :
           llvm::zip(block->getArguments(), passed(blocks[i - 1])))
        map.map(arg, map.lookupOrDefault(v));
    for (Operation &op : block->without_terminator()) {
      // The forward pass has printed, checked and assigned already.
      if (happensOnce(&op))
        continue;
      copies.push_back(b.clone(op, map));
    }
  }
  if (failed(markActive(copies)))
    return failure();
  SmallVector<Value> values;
  for (Value v : passed(blocks.back()))
    values.push_back(map.lookupOrDefault(v));
  Location loc = blocks.back()->getTerminator()->getLoc();
  for (auto [v, c] : llvm::zip(values, seeds))
    if (c && active.count(v))
      accumulate(b, loc, local, v, c);
  if (failed(reverseOps(copies, local, b)))
    return failure();
  return values;
}

/// The adjoint of an arith.select of tensors (what canonicalisation makes
/// of an scf.if that only chooses between values): the cotangent goes to
/// the operand chosen.
void Adjoint::reverseSelect(arith::SelectOp op, Value resultCot,
                            CotangentMap &cot, OpBuilder &b) {
  Location loc = op.getLoc();
  Value zeros = zerosOf(b, loc, op.getType());
  for (auto [v, chosen] : {std::make_pair(op.getTrueValue(), true),
                           std::make_pair(op.getFalseValue(), false)})
    if (active.count(v))
      accumulate(b, loc, cot, v,
                 arith::SelectOp::create(b, loc, op.getCondition(),
                                         chosen ? resultCot : zeros,
                                         chosen ? zeros : resultCot));
}

/// The positions of `call`'s active operands.
SmallVector<int64_t> Adjoint::activeOperands(CallOp call) const {
  SmallVector<int64_t> positions;
  for (auto [i, v] : llvm::enumerate(call.getOperands()))
    if (active.count(v))
      positions.push_back(i);
  return positions;
}

/// Appends to `operands` the cotangent of each of `results`: `cots`, or
/// zeros where one is absent.
static void appendCotangents(OpBuilder &b, Location loc, ValueRange results,
                             ArrayRef<Value> cots,
                             SmallVectorImpl<Value> &operands) {
  for (auto [r, c] : llvm::zip(results, cots))
    operands.push_back(c ? c : zerosOf(b, loc, r.getType()));
}

/// The adjoint of a call of a checkpointed function: a call of its vjp
/// function, which evaluates it again and pulls the cotangents of its
/// results back to its active operands.
LogicalResult Adjoint::reverseCheckpointed(CallOp call,
                                           ArrayRef<Value> resultCots,
                                           CotangentMap &cot, OpBuilder &b) {
  auto callee = symbols->lookup<FuncOp>(call.getCallee());
  SmallVector<int64_t> wrt = activeOperands(call);
  auto vjp = vjpOf(callee, wrt);
  if (failed(vjp))
    return failure();
  SmallVector<Value> operands(call.getOperands());
  appendCotangents(b, call.getLoc(), call.getResults(), resultCots, operands);
  // Inlined, the recomputation would be merged with the forward values by
  // CSE, keeping alive what the checkpoint frees.
  (*vjp)->setAttr(CallOp::getNoInlineAttrName(), b.getUnitAttr());
  auto pulled = CallOp::create(b, call.getLoc(), *vjp, operands);
  pulled->setAttr(CallOp::getNoInlineAttrName(), b.getUnitAttr());
  for (auto [i, g] :
       llvm::zip(wrt, pulled.getResults().drop_front(call.getNumResults())))
    accumulate(b, call.getLoc(), cot, call.getOperand(i), g);
  return success();
}

/// The adjoint of a call of a separate function: the call becomes one of
/// its forward function, which also returns the residuals, and the adjoint
/// a call of its backward function, which reads them. Where the residuals
/// include a loop's value stack, the adjoint evaluates the callee again,
/// as for a checkpoint.
LogicalResult Adjoint::reverseSeparate(CallOp call, ArrayRef<Value> resultCots,
                                       CotangentMap &cot, OpBuilder &b) {
  auto callee = symbols->lookup<FuncOp>(call.getCallee());
  SmallVector<int64_t> wrt = activeOperands(call);
  auto split = splitOf(callee, wrt);
  if (failed(split))
    return failure();
  auto [fwd, bwd] = *split;
  if (!fwd)
    return reverseCheckpointed(call, resultCots, cot, b);
  Location loc = call.getLoc();
  auto noInline = b.getUnitAttr();
  OpBuilder before(call);
  auto forwardCall = CallOp::create(before, loc, fwd, call.getOperands());
  forwardCall->setAttr(CallOp::getNoInlineAttrName(), noInline);
  unsigned numResults = call.getNumResults();
  for (auto [old, now] :
       llvm::zip(call.getResults(),
                 forwardCall.getResults().take_front(numResults))) {
    if (active.erase(old))
      active.insert(now);
    cot.erase(old);
    old.replaceAllUsesWith(now);
  }
  SmallVector<Value> operands(call.getOperands());
  llvm::append_range(operands, forwardCall.getResults().drop_front(numResults));
  appendCotangents(b, loc, forwardCall.getResults().take_front(numResults),
                   resultCots, operands);
  auto pulled = CallOp::create(b, loc, bwd, operands);
  pulled->setAttr(CallOp::getNoInlineAttrName(), noInline);
  SmallVector<Value> differentiated;
  for (int64_t i : wrt)
    differentiated.push_back(call.getOperand(i));
  call.erase();
  for (auto [v, g] : llvm::zip(differentiated, pulled.getResults()))
    accumulate(b, loc, cot, v, g);
  return success();
}

/// The adjoint of a call of a @custom_vjp function: a call of its rule,
/// with the call's operands, results and the results' cotangents, which
/// returns a cotangent per argument (the operands after the state).
LogicalResult Adjoint::reverseCustom(CallOp call, ArrayRef<Value> resultCots,
                                     CotangentMap &cot, OpBuilder &b) {
  auto callee = symbols->lookup<FuncOp>(call.getCallee());
  auto ruleName = callee->getAttrOfType<FlatSymbolRefAttr>(kCustomVjpAttr);
  auto rule = symbols->lookup<FuncOp>(ruleName.getValue());
  if (!rule)
    return call.emitError("the custom vjp rule '")
           << ruleName.getValue() << "' does not exist";
  size_t numState = call.getNumOperands() - rule.getNumResults();
  for (Value state : call.getOperands().take_front(numState))
    if (active.count(state))
      return call.emitError("a @custom_vjp function reads a Parameter that "
                            "is being differentiated; its rule gives "
                            "cotangents of its arguments only (pass the "
                            "Parameter as an argument)");
  SmallVector<Value> operands(call.getOperands());
  llvm::append_range(operands, call.getResults());
  appendCotangents(b, call.getLoc(), call.getResults(), resultCots, operands);
  auto pulled = CallOp::create(b, call.getLoc(), rule, operands);
  for (auto [v, g] :
       llvm::zip(call.getOperands().drop_front(numState), pulled.getResults()))
    if (active.count(v))
      accumulate(b, call.getLoc(), cot, v, g);
  return success();
}

/// The adjoint of an scf.if: an scf.if on the same condition whose branches
/// recompute the forward branch and reverse it. For each active value the
/// branches use from outside, it yields the cotangent of its later uses
/// plus what the branch adds, so that a branch that adds nothing passes
/// the cotangent on (zeros only where there is none yet); values that no
/// branch gives a cotangent are left alone.
LogicalResult Adjoint::reverseIf(scf::IfOp op, ArrayRef<Value> resultCots,
                                 CotangentMap &cot, OpBuilder &b) {
  Location loc = op.getLoc();
  auto adj = scf::IfOp::create(b, loc, TypeRange(), op.getCondition(),
                               /*withElse=*/true);
  std::array<Region *, 2> forward = {&op.getThenRegion(), &op.getElseRegion()};
  std::array<Region *, 2> backward = {&adj.getThenRegion(),
                                      &adj.getElseRegion()};
  std::array<CotangentMap, 2> local;
  for (int i = 0; i < 2; ++i) {
    Block &block = backward[i]->front();
    block.clear();
    OpBuilder inner = OpBuilder::atBlockEnd(&block);
    IRMapping map;
    if (!forward[i]->empty() &&
        failed(recomputeAndReverse({&forward[i]->front()}, map, resultCots,
                                   local[i], inner)))
      return failure();
  }
  SmallVector<Value> outer;
  for (Value v : capturedValues(op))
    if (active.count(v) && (local[0].count(v) || local[1].count(v)))
      outer.push_back(v);
  if (outer.empty()) {
    adj.erase();
    return success();
  }
  for (int i = 0; i < 2; ++i) {
    OpBuilder inner = OpBuilder::atBlockEnd(&backward[i]->front());
    SmallVector<Value> values;
    for (Value v : outer)
      values.push_back(sumOrZeros(inner, loc, v.getType(), cot.lookup(v),
                                  local[i].lookup(v)));
    scf::YieldOp::create(inner, loc, values);
  }
  // The same op with the results the branches now yield.
  OpBuilder after(adj);
  auto withResults = scf::IfOp::create(after, loc, ValueRange(outer).getTypes(),
                                       op.getCondition(), /*withElse=*/true);
  for (int i = 0; i < 2; ++i) {
    Region &region =
        i == 0 ? withResults.getThenRegion() : withResults.getElseRegion();
    region.getBlocks().clear();
    region.getBlocks().splice(region.end(), backward[i]->getBlocks());
  }
  adj.erase();
  // The results include the cotangents of the later uses.
  for (auto [v, c] : llvm::zip(outer, withResults.getResults()))
    cot[v] = c;
  return success();
}
