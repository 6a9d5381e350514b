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
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace spore {
#define GEN_PASS_DEF_SPORELOWERVECTORS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeLowerVectorsPass
    : spore::impl::SporeLowerVectorsBase<SporeLowerVectorsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    // The accumulator tile is read and written once around the reduction
    // loop instead of at every step.
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
