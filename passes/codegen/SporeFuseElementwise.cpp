//===- SporeFuseElementwise.cpp - elementwise fusion with a cost rule -----===//
//
// Defines `spore-fuse-elementwise`: upstream's elementwise fusion patterns
// under a control function that refuses fusions which would recompute the
// producer (a consumer that reads a producer's element more than once,
// such as a contraction or a broadcast). A producer whose result has other
// users is fused too, and keeps that result: the fused op computes both in
// one pass.
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

/// Whether the producer of `fused` may be fused into its consumer: the
/// consumer reads each of its elements once, and the producer's other
/// users, if any, are the terminator of the consumer's block (the values a
/// function returns), which the fused op can serve. Another op reading the
/// producer would make the fused op copy the producer's computation again
/// when it fuses in turn: across the many shared values of a backward
/// pass, bodies would grow without bound. A kept producer has one result
/// and is read once by the consumer, so that each fusion retires it.
bool fusible(OpOperand *fused) {
  Operation *producer = fused->get().getDefiningOp();
  auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
  if (!producer || !consumer ||
      !consumer.getMatchingIndexingMap(fused).isPermutation())
    return false;
  if (producer->hasOneUse())
    return true;
  // Kept as a result: a one-result producer that the consumer reads once.
  Operation *terminator = consumer->getBlock()->getTerminator();
  unsigned reads = 0;
  for (OpOperand &use : producer->getUses()) {
    if (use.getOwner() == consumer.getOperation())
      ++reads;
    else if (use.getOwner() != terminator)
      return false;
  }
  return producer->getNumResults() == 1 && reads == 1;
}

/// Upstream's fusion of a producer into a consumer, with the producer's
/// other users moved to the fused op. Upstream's own pattern leaves them
/// on the producer, so a value that is both a result and an input of a
/// later elementwise op (an optimizer's new moment: state, and an input of
/// the new Parameter) was computed twice, in two passes over memory; here
/// one op computes both, in one pass.
struct FuseKeepingResults : OpRewritePattern<linalg::GenericOp> {
  FuseKeepingResults(MLIRContext *ctx)
      : OpRewritePattern<linalg::GenericOp>(ctx, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    for (OpOperand &operand : consumer->getOpOperands()) {
      if (!linalg::areElementwiseOpsFusable(&operand) || !fusible(&operand))
        continue;
      Operation *producer = operand.get().getDefiningOp();
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fused))
        return rewriter.notifyMatchFailure(consumer, "fusion failed");
      // The fused op may still read the producer (the consumer took it
      // twice): only the other users move.
      Operation *fusedOp = fused->fusedOp;
      for (auto [original, replacement] : fused->replacements)
        rewriter.replaceUsesWithIf(original, replacement, [&](OpOperand &use) {
          return use.getOwner() != fusedOp;
        });
      rewriter.eraseOp(consumer);
      if (producer->use_empty())
        rewriter.eraseOp(producer);
      return success();
    }
    return failure();
  }
};

struct SporeFuseElementwisePass
    : spore::impl::SporeFuseElementwiseBase<SporeFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    linalg::ControlFusionFn control = fusible;
    RewritePatternSet patterns(ctx);
    patterns.add<FuseKeepingResults>(ctx);
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    ctx->getLoadedDialect<linalg::LinalgDialect>()->getCanonicalizationPatterns(
        patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
