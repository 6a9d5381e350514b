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
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (rank < 2 || llvm::is_contained(ranges, 0))
      return success();
    SmallVector<int64_t> sizes(rank, 1);
    if (perm.back() == rank - 1) {
      // Rows stay rows: each row is copied whole through vector registers
      // (as loops, rows of 8 elements, as in the packing of a transposed
      // operand, were copied element by element, and rows of 64 by a
      // memcpy call each).
      sizes[rank - 1] = largestDivisorAtMost(ranges[rank - 1], kCopyRow);
      return tileAndVectorize(rewriter, op, sizes);
    }
    int64_t from = llvm::find(perm, rank - 1) - perm.begin();
    sizes[rank - 1] = largestDivisorAtMost(ranges[rank - 1], kTransposeTile);
    sizes[from] = largestDivisorAtMost(ranges[from], kTransposeTile);
    return tileAndVectorize(rewriter, op, sizes);
  }
  static constexpr int64_t kTransposeTile = 8;
  /// The most elements of a row copied at once (4 AVX-512 registers).
  static constexpr int64_t kCopyRow = 64;

  /// Initialises the tile of op's output that the loops `loops` (the loop
  /// of dimension order[i] at i, outermost first) are at as `init` (a fill
  /// or a copy, spore::initBefore) initialises the whole output, just
  /// before the reduction loops, through a vector write. Fails, changing
  /// nothing, unless the reduction loops are the innermost and the output
  /// is indexed by the other loops alone.
  LogicalResult initTiles(RewriterBase &rewriter, linalg::LinalgOp op,
                          ArrayRef<int64_t> sizes, ArrayRef<int64_t> order,
                          ArrayRef<LoopLikeOpInterface> loops,
                          Operation *init) {
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    if (loops.size() != iterators.size() || order.size() != loops.size())
      return failure();
    auto isReduction = [&](int64_t d) {
      return iterators[d] == utils::IteratorType::reduction;
    };
    size_t first = llvm::find_if(order, isReduction) - order.begin();
    if (first == 0 || first == order.size() ||
        !llvm::all_of(llvm::drop_begin(order, first), isReduction))
      return failure();
    OpOperand *output = op.getDpsInitOperand(0);
    AffineMap map = op.getMatchingIndexingMap(output);
    SmallVector<OpFoldResult> offsets, tileSizes, strides;
    for (AffineExpr e : map.getResults()) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d || isReduction(d.getPosition()))
        return failure();
      size_t at = llvm::find(order, d.getPosition()) - order.begin();
      std::optional<SmallVector<Value>> ivs =
          LoopLikeOpInterface(loops[at]).getLoopInductionVars();
      if (!ivs || ivs->size() != 1)
        return failure();
      offsets.push_back(ivs->front());
      tileSizes.push_back(rewriter.getIndexAttr(sizes[d.getPosition()]));
      strides.push_back(rewriter.getIndexAttr(1));
    }
    rewriter.setInsertionPoint(loops[first]);
    Value tile = memref::SubViewOp::create(
        rewriter, init->getLoc(), output->get(), offsets, tileSizes, strides);
    Operation *tileInit = spore::initTile(rewriter, init, tile);
    if (!tileInit) { // not reached: `tile` is a subview of the output
      rewriter.eraseOp(tile.getDefiningOp());
      return failure();
    }
    // Where the vectoriser declines, the tile's initialisation stays a
    // linalg op.
    if (succeeded(linalg::vectorize(rewriter, tileInit)))
      rewriter.eraseOp(tileInit);
    return success();
  }

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
    // Loops in the order of the dimensions, except for a product of few
    // rows (a small batch): its columns go outside its rows, so that each
    // column panel of B is read from memory once and used by every row
    // tile from the cache (rows outside read all of B once per row tile).
    SmallVector<int64_t> order =
        llvm::to_vector(llvm::seq<int64_t>(0, ranges.size()));
    if (dims->m.size() == 1 && dims->n.size() == 1 && dims->m[0] < dims->n[0] &&
        ranges[dims->m[0]] <= kFewRowTiles * sizes[dims->m[0]])
      std::swap(order[dims->m[0]], order[dims->n[0]]);
    return tileAndVectorize(rewriter, op, sizes, order, spore::initBefore(op));
  }
  /// Row tiles of a product few enough to go inside its column tiles.
  static constexpr int64_t kFewRowTiles = 4;

  /// Tiles `op` by `sizes` and vectorises the tile (which stays a linalg
  /// op, and so loops, where the vectoriser declines). With `init`, the
  /// fill of op's whole output just before it (or a copy into it), each
  /// tile of the output is filled (or copied) just before its reduction
  /// loops instead, and `init` goes: spore-lower-vectors then starts the
  /// tile's accumulator from that value, so the output is written once
  /// instead of three times (filled, read and written).
  LogicalResult tileAndVectorize(RewriterBase &rewriter, linalg::LinalgOp op,
                                 ArrayRef<int64_t> sizes,
                                 ArrayRef<int64_t> order = {},
                                 Operation *init = nullptr) {
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
    if (!order.empty())
      options.setInterchange(order);
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op.emitError("tiling failed");
    if (init &&
        succeeded(initTiles(rewriter, op, sizes, order, tiled->loops, init)))
      rewriter.eraseOp(init);
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
