//===- SporeHoistAllocas.cpp - a bounded native stack in every loop -------===//
//
// Defines `spore-hoist-allocas`: every statically sized memref.alloca moves
// to the entry block of its function, so that its stack slot is reserved
// once per call instead of once per loop iteration. Upstream lowers scf.for
// to branches without releasing the allocas of its body (scf.for is an
// AutomaticAllocationScope, but convert-scf-to-cf inserts no
// stacksave/stackrestore), so a loop with a run-time trip count grew the
// native stack by its body's buffers at every iteration.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Interfaces/LoopLikeInterface.h"

namespace spore {
#define GEN_PASS_DEF_SPOREHOISTALLOCAS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

static bool isLoop(Operation *op) {
  return isa<LoopLikeOpInterface>(op) || isa<scf::WhileOp>(op);
}

namespace {

struct SporeHoistAllocasPass
    : spore::impl::SporeHoistAllocasBase<SporeHoistAllocasPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaOp> allocas;
    getOperation()->walk(
        [&](memref::AllocaOp alloca) { allocas.push_back(alloca); });
    DenseMap<Block *, Operation *> lastHoisted;
    for (memref::AllocaOp alloca : allocas) {
      // Iterations of parallel loops run at once: each keeps its own.
      Operation *scope = alloca->getParentOp();
      while (!isa<FunctionOpInterface, scf::ParallelOp, scf::ForallOp,
                  spore::ParallelOp>(scope))
        scope = scope->getParentOp();
      Block *entry = &scope->getRegion(0).front();
      if (alloca->getBlock() == entry)
        continue;
      bool inLoop = false;
      for (Operation *p = alloca->getParentOp(); p != scope;
           p = p->getParentOp())
        inLoop |= isLoop(p);
      if (!alloca.getDynamicSizes().empty() ||
          !alloca.getSymbolOperands().empty() ||
          spore::outlivesIteration(alloca.getMemref())) {
        if (!inLoop)
          continue;
        alloca.emitError("a stack buffer inside a loop ")
            << (alloca.getDynamicSizes().empty()
                    ? "outlives its iteration"
                    : "has a size known only at run time")
            << ", so the native stack would grow with the trip count";
        return signalPassFailure();
      }
      Operation *&after = lastHoisted[entry];
      if (after)
        alloca->moveAfter(after);
      else
        alloca->moveBefore(entry, entry->begin());
      after = alloca;
    }
  }
};

} // namespace
