//===- SporeHoistInvariants.cpp - loop-invariant tensor code hoisted ------===//
//
// Defines `spore-hoist-invariants`: upstream's loop-invariant code motion
// on tensors. A loop whose body evaluates the same function at the same
// point on every iteration (the primal of a `jvp` with a new tangent per
// iteration: a Jacobian built column by column) computes it once. A fill
// that an op of the loop writes into (the zeros a reduction starts from,
// the tensor a slice is written into) is filled again in the loop: from
// outside, bufferisation would copy it on every iteration instead of
// filling a buffer in place.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace spore {
#define GEN_PASS_DEF_SPOREHOISTINVARIANTS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

/// Gives each op that writes into the result of `fill` from inside a loop
/// that `fill` is outside of a fill of its own, right before it.
static void refillInLoops(linalg::FillOp fill) {
  for (OpOperand &use : llvm::make_early_inc_range(fill->getUses())) {
    Operation *user = use.getOwner();
    auto dps = dyn_cast<DestinationStyleOpInterface>(user);
    auto loop = user->getParentOfType<LoopLikeOpInterface>();
    if (!dps || !dps.isDpsInit(&use) || !loop || loop->isAncestor(fill))
      continue;
    OpBuilder b(user);
    use.set(b.clone(*fill)->getResult(0));
  }
}

namespace {

struct SporeHoistInvariantsPass
    : spore::impl::SporeHoistInvariantsBase<SporeHoistInvariantsPass> {
  void runOnOperation() override {
    // Inner loops first, so that what leaves them may leave the outer too.
    getOperation()->walk(
        [](LoopLikeOpInterface loop) { moveLoopInvariantCode(loop); });
    getOperation()->walk(refillInLoops);
  }
};

} // namespace
