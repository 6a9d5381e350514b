//===- SporeLowerVectors.cpp - vector code ready for LLVM -----------------===//
//
// Defines `spore-lower-vectors`: after bufferisation, hoists the accumulator
// transfers of vectorised contractions out of their reduction loops and
// lowers contractions and transfers with upstream's vector lowering
// patterns.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace spore {
#define GEN_PASS_DEF_SPORELOWERVECTORS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// Keeps the accumulator tile of a reduction loop in registers: a loop
/// whose body reads a vector from a buffer and later writes a vector back
/// to the same place (indices defined outside the loop), and touches that
/// buffer nowhere else, reads it once before the loop, carries it, and
/// writes it once after. Upstream's hoistRedundantVectorTransfers does the
/// same but refuses any buffer that has a view anywhere, such as the
/// reshape into heads that follows the Q, K and V projections, whose
/// accumulators were then loaded and stored at every step of the
/// reduction.
void hoistAccumulator(scf::ForOp loop) {
  Block *body = loop.getBody();
  vector::TransferWriteOp write;
  for (Operation &op : *body)
    if (auto w = dyn_cast<vector::TransferWriteOp>(op)) {
      if (write)
        return; // one accumulator per loop
      write = w;
    }
  if (!write || !isa<MemRefType>(write.getBase().getType()) || write.getMask())
    return;
  Value buffer = write.getBase();
  vector::TransferReadOp read;
  for (Operation &op : *body)
    if (auto r = dyn_cast<vector::TransferReadOp>(op);
        r && r.getBase() == buffer) {
      if (read)
        return;
      read = r;
    }
  if (!read || read.getMask() || !read->isBeforeInBlock(write) ||
      read.getVectorType() != write.getVectorType() ||
      read.getPermutationMap() != write.getPermutationMap() ||
      read.getIndices() != write.getIndices() ||
      read.getInBounds() != write.getInBounds())
    return;
  if (llvm::any_of(read->getOperands(),
                   [&](Value v) { return !loop.isDefinedOutsideOfLoop(v); }))
    return;
  // Nothing else in the loop writes memory, or reads memory that may be
  // part of the buffer.
  Value root = spore::rootBuffer(buffer);
  WalkResult clash = body->walk([&](Operation *op) {
    if (op == read.getOperation() || op == write.getOperation() ||
        isMemoryEffectFree(op) || op->getNumRegions() > 0)
      return WalkResult::advance();
    Value source;
    if (auto other = dyn_cast<vector::TransferReadOp>(op))
      source = other.getBase();
    else if (auto load = dyn_cast<memref::LoadOp>(op))
      source = load.getMemRef();
    if (source && isa<MemRefType>(source.getType()) &&
        spore::distinctBuffers(root, spore::rootBuffer(source)))
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  if (clash.wasInterrupted())
    return;

  IRRewriter rewriter(loop.getContext());
  // A tile written just before the loop (the fill that
  // spore-vectorize-contractions gives each tile of a product's output)
  // is where the accumulator starts: it needs no read, and the write,
  // overwritten after the loop with nothing reading it before, goes.
  auto start = dyn_cast_or_null<vector::TransferWriteOp>(loop->getPrevNode());
  if (start && (start.getBase() != buffer || start.getMask() ||
                start.getIndices() != read.getIndices() ||
                start.getVectorType() != read.getVectorType() ||
                start.getPermutationMap() != read.getPermutationMap() ||
                start.getInBounds() != read.getInBounds()))
    start = {};
  Value tile;
  if (start) {
    tile = start.getVector();
  } else {
    rewriter.moveOpBefore(read, loop);
    tile = read.getResult();
  }
  FailureOr<LoopLikeOpInterface> carried =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, ValueRange{tile},
              /*replaceInitOperandUsesInLoop=*/!start,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                return SmallVector<Value>{write.getVector()};
              });
  if (failed(carried))
    return;
  if (start) {
    rewriter.replaceAllUsesWith(read.getResult(),
                                carried->getRegionIterArgs().back());
    rewriter.eraseOp(read);
    rewriter.eraseOp(start);
  }
  Operation *newLoop = carried->getOperation();
  rewriter.moveOpAfter(write, newLoop);
  rewriter.modifyOpInPlace(write, [&] {
    write.getValueToStoreMutable().assign(newLoop->getResults().back());
  });
}

struct SporeLowerVectorsPass
    : spore::impl::SporeLowerVectorsBase<SporeLowerVectorsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    // The accumulator tile is read and written once around the reduction
    // loop instead of at every step.
    SmallVector<scf::ForOp> loops;
    fn.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // inner first
    for (scf::ForOp loop : loops) {
      // Index arithmetic that does not change in the loop (the offset of a
      // chunk of spore-parallelize, say) moves out first, so that the
      // accumulator's indices are seen to be loop-invariant.
      moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
      hoistAccumulator(loop);
    }
    linalg::hoistRedundantVectorTransfers(fn, /*verifyNonZeroTrip=*/true);

    RewritePatternSet patterns(&getContext());
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorOuterProductLoweringPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::EltWise);
    if (failed(applyPatternsGreedily(fn, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
