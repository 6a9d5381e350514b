//===- SporeFuseElementwise.cpp - elementwise fusion with a cost rule -----===//
//
// Defines `spore-fuse-elementwise`: upstream's elementwise fusion patterns
// under a control function that refuses fusions which would recompute the
// producer (a consumer that reads a producer's element more than once,
// such as a contraction or a broadcast).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace spore {
#define GEN_PASS_DEF_SPOREFUSEELEMENTWISE
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeFuseElementwisePass
    : spore::impl::SporeFuseElementwiseBase<SporeFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    linalg::ControlFusionFn control = [](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      return consumer && consumer.getMatchingIndexingMap(fused).isPermutation();
    };
    RewritePatternSet patterns(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
