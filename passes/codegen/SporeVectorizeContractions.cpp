//===- SporeVectorizeContractions.cpp - register tiles for matmuls --------===//
//
// Defines `spore-vectorize-contractions`: tiles every statically shaped
// contraction (matmul and its batched and vector forms) into register tiles
// and vectorises each tile to a vector.contract, with upstream's
// TilingInterface tiling and linalg vectoriser.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace spore {
#define GEN_PASS_DEF_SPOREVECTORIZECONTRACTIONS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

using spore::largestDivisorAtMost;

struct SporeVectorizeContractionsPass
    : spore::impl::SporeVectorizeContractionsBase<
          SporeVectorizeContractionsPass> {
  using SporeVectorizeContractionsBase::SporeVectorizeContractionsBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> contractions;
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!op.hasPureBufferSemantics() || op.hasDynamicShape())
        return;
      if (linalg::isaContractionOpInterface(op))
        contractions.push_back(op);
      else if (auto transpose = dyn_cast<linalg::TransposeOp>(*op))
        transposes.push_back(transpose);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : contractions)
      if (failed(tileAndVectorize(rewriter, op)))
        return signalPassFailure();
    for (linalg::TransposeOp op : transposes)
      if (failed(tileAndVectorize(rewriter, op)))
        return signalPassFailure();
  }

  /// A transpose that moves the innermost dimension, as loops, reads or
  /// writes with a large stride at every step (a power of two in most
  /// models, which also maps every access to the same cache sets): 3.9 ms
  /// for a 1024x1024 f32 matrix. Tiled into 8x8 blocks over the two
  /// dimensions that swap, each block is read by rows and written by rows
  /// through vector registers.
  LogicalResult tileAndVectorize(RewriterBase &rewriter,
                                 linalg::TransposeOp op) {
    ArrayRef<int64_t> perm = op.getPermutation();
    int64_t rank = perm.size();
    if (rank < 2 || perm.back() == rank - 1)
      return success(); // rows stay rows: copies are contiguous already
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::is_contained(ranges, 0))
      return success();
    SmallVector<int64_t> sizes(rank, 1);
    int64_t from = llvm::find(perm, rank - 1) - perm.begin();
    sizes[rank - 1] = largestDivisorAtMost(ranges[rank - 1], kTransposeTile);
    sizes[from] = largestDivisorAtMost(ranges[from], kTransposeTile);
    return tileAndVectorize(rewriter, op, sizes);
  }
  static constexpr int64_t kTransposeTile = 8;

  LogicalResult tileAndVectorize(RewriterBase &rewriter, linalg::LinalgOp op) {
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims))
      return success(); // not of a form we tile; left to the loops
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    // Batch and reduction dimensions step by one; the innermost m and n
    // dimensions form the register tile.
    SmallVector<int64_t> sizes(ranges.size(), 1);
    if (!dims->m.empty())
      sizes[dims->m.back()] =
          largestDivisorAtMost(ranges[dims->m.back()], tileM);
    if (!dims->n.empty())
      sizes[dims->n.back()] =
          largestDivisorAtMost(ranges[dims->n.back()], tileN);
    for (auto [i, range] : llvm::enumerate(ranges))
      if (range == 0)
        return success(); // an empty product: nothing to tile
    return tileAndVectorize(rewriter, op, sizes);
  }

  /// Tiles `op` by `sizes` and vectorises the tile (which stays a linalg
  /// op, and so loops, where the vectoriser declines).
  LogicalResult tileAndVectorize(RewriterBase &rewriter, linalg::LinalgOp op,
                                 ArrayRef<int64_t> sizes) {
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op.emitError("tiling failed");
    rewriter.eraseOp(op);

    Operation *tile = tiled->tiledOps.back();
    rewriter.setInsertionPoint(tile);
    // The vectoriser makes a vector.contract (which lowers to FMAs) only of
    // ops with the contraction interface; a contraction generic (matmul over
    // a batch of activations, batched attention) would vectorise to a
    // multiply and a reduction, whose adds LLVM does not fuse. As a
    // linalg.contract with the same indexing maps it has the interface.
    // Only matrix products (an m and an n dimension): a dot product's
    // scalar accumulator is not a vector.contract the vectoriser makes.
    auto matrixProduct = [](linalg::GenericOp generic) {
      FailureOr<linalg::ContractionDimensions> dims =
          linalg::inferContractionDims(generic);
      return succeeded(dims) && !dims->m.empty() && !dims->n.empty() &&
             isa<FloatType>(getElementTypeOrSelf(generic.getOutputs()[0]));
    };
    if (auto generic = dyn_cast<linalg::GenericOp>(tile);
        generic && linalg::isaContractionOpInterface(generic) &&
        matrixProduct(generic)) {
      tile = linalg::ContractOp::create(
          rewriter, generic.getLoc(), generic.getResultTypes(),
          generic.getInputs(), generic.getOutputs(), generic.getIndexingMaps());
      rewriter.replaceOp(generic, tile->getResults());
    }
    FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
        rewriter, tile, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/true);
    if (failed(vectorized))
      return success(); // the tile stays a linalg op and becomes loops
    rewriter.eraseOp(tile);
    return success();
  }
};

} // namespace
