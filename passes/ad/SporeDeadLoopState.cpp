//===- SporeDeadLoopState.cpp - drop loop state that nothing reads --------===//
//
// Defines `spore-dead-loop-state`. A differentiated loop often carries
// state that nothing reads: a forward loop pushes onto a value stack that
// the reverse sweep never pops (the rules needed no forward value), or
// keeps computing a value that only the primal result needed.
// Canonicalisation cannot remove it, because the state feeds itself
// around the loop's back edge. This pass finds the live values of each
// `scf.for` and `scf.while` (what its used results, its condition and its
// side effects need, closed over the back edges) and makes every dead
// position carry its initial value unchanged; upstream's loop
// canonicalisations then drop the position and the code that computed it.
//
// Upstream's remove-dead-values does this and more, but walks the symbol
// uses of the whole module once per function (quadratic: 2.3 s on the
// gradient checker's module, run once per export by spore-run --eager),
// and crashes on calls inside functions that nobody calls (MLIR 22.1).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"

namespace spore {
#define GEN_PASS_DEF_SPOREDEADLOOPSTATE
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// The values of a loop's regions that its results, its condition or its
/// side effects need, closed over the loop's back edges.
class LoopLiveness {
public:
  /// `backEdge` maps a block argument of the loop's regions to the
  /// terminator operand that feeds it on the next trip.
  LoopLiveness(Operation *loop,
               llvm::function_ref<OpOperand *(BlockArgument)> backEdge)
      : loop(loop), backEdge(backEdge) {}

  void mark(Value v) {
    if (live.insert(v).second)
      work.push_back(v);
  }

  /// Marks the operands of `op` and of every op nested in it.
  void markUses(Operation *op) {
    op->walk([&](Operation *inner) {
      for (Value v : inner->getOperands())
        mark(v);
    });
  }

  /// Whether `op`, an op without regions, must run for its effect.
  static bool hasEffect(Operation *op) {
    // An allocation is dead when its buffer is; upstream declares no
    // effects on alloc_tensor, which makes it look like a write.
    if (isa<bufferization::AllocTensorOp>(op))
      return false;
    return !isMemoryEffectFree(op);
  }

  void solve() {
    // An op with an effect needs its operands, and the operands (such as
    // a condition) of each op around it.
    loop->walk([&](Operation *op) {
      if (op->getNumRegions() > 0 || !hasEffect(op))
        return;
      for (Operation *at = op; at != loop; at = at->getParentOp())
        for (Value v : at->getOperands())
          mark(v);
    });
    while (!work.empty()) {
      Value v = work.pop_back_val();
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        if (arg.getOwner()->getParentOp() == loop)
          if (OpOperand *feed = backEdge(arg))
            mark(feed->get());
        continue;
      }
      Operation *def = v.getDefiningOp();
      if (def != loop && loop->isProperAncestor(def))
        markUses(def);
    }
  }

  bool isLive(Value v) const { return live.contains(v); }

private:
  Operation *loop;
  llvm::function_ref<OpOperand *(BlockArgument)> backEdge;
  llvm::DenseSet<Value> live;
  SmallVector<Value> work;
};

/// An `scf.for` position is dead when its result is unused and its region
/// argument is not live; it then yields its region argument unchanged.
void pruneFor(scf::ForOp loop) {
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  auto backEdge = [&](BlockArgument arg) -> OpOperand * {
    if (arg.getArgNumber() < loop.getNumInductionVars())
      return nullptr;
    return &yield->getOpOperand(arg.getArgNumber() -
                                loop.getNumInductionVars());
  };
  LoopLiveness liveness(loop, backEdge);
  for (auto [result, operand] :
       llvm::zip(loop.getResults(), yield->getOpOperands()))
    if (!result.use_empty())
      liveness.mark(operand.get());
  liveness.solve();
  for (auto [arg, result, operand] : llvm::zip(
           loop.getRegionIterArgs(), loop.getResults(), yield->getOpOperands()))
    if (result.use_empty() && !liveness.isLive(arg))
      operand.set(arg);
}

/// An `scf.while` before-argument that is not live is fed its initial
/// value on every trip. The after-arguments and results that only it
/// needed are then unused, and upstream's canonicalisations remove them.
void pruneWhile(scf::WhileOp loop) {
  scf::ConditionOp condition = loop.getConditionOp();
  scf::YieldOp yield = loop.getYieldOp();
  auto backEdge = [&](BlockArgument arg) -> OpOperand * {
    if (arg.getOwner() == loop.getBeforeBody())
      return &yield->getOpOperand(arg.getArgNumber());
    return &condition.getArgsMutable()[arg.getArgNumber()];
  };
  LoopLiveness liveness(loop, backEdge);
  liveness.mark(condition.getCondition());
  for (auto [result, operand] :
       llvm::zip(loop.getResults(), condition.getArgsMutable()))
    if (!result.use_empty())
      liveness.mark(operand.get());
  liveness.solve();
  for (auto [arg, init, operand] : llvm::zip(
           loop.getBeforeArguments(), loop.getInits(), yield->getOpOperands()))
    if (!liveness.isLive(arg))
      operand.set(init);
}

struct SporeDeadLoopStatePass
    : spore::impl::SporeDeadLoopStateBase<SporeDeadLoopStatePass> {
  void runOnOperation() override {
    // Inner loops first: what an inner loop drops is not needed outside.
    getOperation()->walk([](Operation *op) {
      if (auto loop = dyn_cast<scf::ForOp>(op))
        pruneFor(loop);
      else if (auto loop = dyn_cast<scf::WhileOp>(op))
        pruneWhile(loop);
    });
  }
};

} // namespace
