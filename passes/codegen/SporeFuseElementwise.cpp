//===- SporeFuseElementwise.cpp - elementwise fusion with a cost rule -----===//
//
// Defines `spore-fuse-elementwise`: upstream's elementwise fusion patterns
// under a control function that refuses fusions which would recompute the
// producer (a consumer that reads a producer's element more than once,
// such as a contraction or a broadcast). A producer whose result has other
// users is fused too, and keeps that result: the fused op computes both in
// one pass. A cheap producer (cheapToRecompute) is computed again in each
// elementwise op that reads it instead of being stored for them.
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

/// The most ops (besides the yield) in the body of a producer that is
/// computed again in each of its consumers rather than stored.
constexpr unsigned kRecomputeOps = 6;

/// Whether `producer` is cheap enough to compute again in each elementwise
/// op that reads it, rather than store: all-parallel, one result, at most
/// one input read in full (the others are broadcasts: a bias, a scale),
/// and a body of at most kRecomputeOps additions, multiplications,
/// comparisons and selects (no division or transcendental function, which
/// cost more than reading a stored value). Its consumers then read its
/// input instead, which they often read anyway, and once each has taken
/// it, the producer's result is neither written nor read: the chains that
/// reverse mode keeps for its backward pass (x * x, 0.5 * x, x + b, ...,
/// each read again by an adjoint) are recomputed from the one value they
/// come from.
bool cheapToRecompute(Operation *op) {
  auto producer = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!producer || producer.getNumResults() != 1 ||
      producer.getNumReductionLoops() != 0 ||
      !producer.hasPureTensorSemantics())
    return false;
  llvm::SmallPtrSet<Value, 2> full;
  for (OpOperand *input : producer.getDpsInputOperands())
    if (producer.getMatchingIndexingMap(input).isPermutation())
      full.insert(input->get());
  if (full.size() > 1)
    return false;
  Block &body = producer.getRegion().front();
  if (body.getOperations().size() > kRecomputeOps + 1)
    return false;
  return llvm::all_of(body.without_terminator(), [](Operation &inner) {
    return isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::NegFOp,
               arith::MaximumFOp, arith::MinimumFOp, arith::CmpFOp,
               arith::SelectOp, arith::ConstantOp>(inner);
  });
}

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
      if (!linalg::areElementwiseOpsFusable(&operand))
        continue;
      Operation *producer = operand.get().getDefiningOp();
      bool copied = false;
      if (!producer->hasOneUse() && cheapToRecompute(producer) &&
          consumer.getMatchingIndexingMap(&operand).isPermutation()) {
        // This consumer gets a copy of its own, just before it (upstream
        // puts the fused op where the producer was), which it fuses: the
        // producer stays for its other users.
        rewriter.setInsertionPoint(consumer);
        Operation *copy = rewriter.clone(*producer);
        rewriter.modifyOpInPlace(consumer,
                                 [&] { operand.set(copy->getResult(0)); });
        producer = copy;
        copied = true;
      } else if (!fusible(&operand)) {
        continue;
      }
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, &operand);
      if (failed(fused)) // the copy, if made, is the change
        return copied ? success()
                      : rewriter.notifyMatchFailure(consumer, "fusion failed");
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
