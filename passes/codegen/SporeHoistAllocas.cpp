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
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

namespace spore {
#define GEN_PASS_DEF_SPOREHOISTALLOCAS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

static bool isLoop(Operation *op) {
  return isa<LoopLikeOpInterface>(op) || isa<scf::WhileOp>(op);
}

static bool isBuffer(Value v) { return isa<BaseMemRefType>(v.getType()); }

llvm::SetVector<Value> spore::bufferAliases(Value buffer) {
  // Over-approximated: the results of views, of any op that takes an alias
  // and returns a buffer, of the regions an alias is yielded out of, and
  // the region arguments of ops it enters. A return ends the search.
  llvm::SetVector<Value> aliases;
  aliases.insert(buffer);
  auto addBuffers = [&](auto values) {
    for (Value v : values)
      if (isBuffer(v))
        aliases.insert(v);
  };
  for (size_t i = 0; i < aliases.size(); ++i) {
    for (OpOperand &use : aliases[i].getUses()) {
      Operation *user = use.getOwner();
      Operation *from = user;
      if (user->hasTrait<mlir::OpTrait::IsTerminator>()) {
        from = user->getParentOp();
        if (isa<FunctionOpInterface>(from))
          continue;
      }
      addBuffers(from->getResults());
      for (Region &region : from->getRegions())
        if (!region.empty())
          addBuffers(region.front().getArguments());
    }
  }
  return aliases;
}

bool spore::outlivesIteration(Value buffer) {
  Operation *def = buffer.getDefiningOp();
  if (!def)
    return true;
  for (Value alias : bufferAliases(buffer)) {
    for (Operation *user : alias.getUsers()) {
      if (!user->hasTrait<mlir::OpTrait::IsTerminator>())
        continue;
      // Carried to the next iteration of a loop around the buffer's
      // definition, or returned: live beyond the iteration.
      Operation *parent = user->getParentOp();
      if (isa<FunctionOpInterface>(parent) ||
          (isLoop(parent) && parent->isProperAncestor(def)))
        return true;
    }
  }
  return false;
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
