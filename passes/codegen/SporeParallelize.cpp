//===- SporeParallelize.cpp - large linalg ops in chunks for threads ------===//
//
// Defines `spore-parallelize`: a statically shaped linalg op on buffers
// with enough work becomes an scf.forall over chunks of one parallel
// dimension, each chunk the same op on subviews. spore-forall-to-parallel
// and spore-outline-parallel then run the chunks on the runtime's threads.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Interfaces/CallInterfaces.h"

namespace spore {
#define GEN_PASS_DEF_SPOREPARALLELIZE
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// Elements of an innermost dimension that stay together in a chunk (a
/// vector of f32 on AVX-512).
constexpr int64_t kInnermostUnit = 16;

/// A dimension to split: its loop index and the size of the smallest
/// piece a chunk is made of.
struct Candidate {
  unsigned dim;
  int64_t unit;
};

struct SporeParallelizePass
    : spore::impl::SporeParallelizeBase<SporeParallelizePass> {
  using SporeParallelizeBase::SporeParallelizeBase;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (absorbedInit(op))
        return; // split with its contraction
      if (op.hasPureBufferSemantics() && !op.hasDynamicShape() &&
          !op->getParentOfType<scf::ForallOp>() &&
          !op->getParentOfType<spore::ParallelOp>() && work(op) >= minWork &&
          !callsOut(op) && !readsOtherChunks(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops)
      split(rewriter, op);
  }

  /// The fill of (or copy into) a contraction's output just before it
  /// (see spore::initBefore), for a contraction that keeps it.
  static Operation *initOfContraction(linalg::LinalgOp op) {
    if (!linalg::isaContractionOpInterface(op))
      return nullptr;
    return spore::initBefore(op);
  }

  /// Whether `op` is a fill or copy that its contraction takes into each
  /// of its chunks: it then stays next to the product of the same part of
  /// the output, which spore-vectorize-contractions turns into registers
  /// that start from that value.
  static bool absorbedInit(Operation *op) {
    auto next = dyn_cast_or_null<linalg::LinalgOp>(op->getNextNode());
    return next && initOfContraction(next) == op;
  }

  /// Iterations times the ops of the body (at least one), saturated.
  static int64_t work(linalg::LinalgOp op) {
    uint64_t iterations = 1;
    for (int64_t range : op.getStaticLoopRanges())
      iterations =
          llvm::SaturatingMultiply(iterations, static_cast<uint64_t>(range));
    uint64_t body = std::max<uint64_t>(
        llvm::range_size(op->getRegion(0).front().without_terminator()), 1);
    return static_cast<int64_t>(
        std::min<uint64_t>(llvm::SaturatingMultiply(iterations, body),
                           std::numeric_limits<int64_t>::max()));
  }

  /// Whether the body calls anything: a call could fail and unwind, which
  /// a worker thread must not.
  static bool callsOut(linalg::LinalgOp op) {
    return op->walk([](CallOpInterface) { return WalkResult::interrupt(); })
        .wasInterrupted();
  }

  /// Whether an input may be a part of an output buffer that other
  /// iterations write: chunks run in any order, so such an op (which
  /// bufferisation does not make: it copies instead) stays whole. An input
  /// read at exactly the output's positions (an update in place) is safe.
  static bool readsOtherChunks(linalg::LinalgOp op) {
    for (OpOperand *input : op.getDpsInputOperands()) {
      if (!isa<BaseMemRefType>(input->get().getType()))
        continue;
      Value root = spore::rootBuffer(input->get());
      for (OpOperand &output : op.getDpsInitsMutable())
        if (spore::rootBuffer(output.get()) == root &&
            (input->get() != output.get() ||
             op.getMatchingIndexingMap(input) !=
                 op.getMatchingIndexingMap(&output)))
          return true;
    }
    return false;
  }

  /// The dimensions worth splitting, best first. A contraction splits its
  /// batch, else the larger of its output's rows and columns (the operand
  /// that a chunk then reads in part is the larger one), in units of the
  /// register tile; any other op its outermost parallel dimension.
  SmallVector<Candidate> candidates(linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<Candidate> result;
    FailureOr<linalg::ContractionDimensions> dims = failure();
    if (linalg::isaContractionOpInterface(op))
      dims = linalg::inferContractionDims(op);
    if (succeeded(dims)) {
      for (unsigned d : dims->batch)
        result.push_back({d, 1});
      auto group = [&](ArrayRef<unsigned> group, int64_t tile) {
        SmallVector<Candidate> candidates;
        int64_t extent = 1;
        for (auto [i, d] : llvm::enumerate(group)) {
          extent *= ranges[d];
          candidates.push_back(
              {d, i + 1 == group.size()
                      ? spore::largestDivisorAtMost(ranges[d], tile)
                      : 1});
        }
        return std::make_pair(extent, candidates);
      };
      auto [rows, rowDims] = group(dims->m, spore::kRegisterTileM);
      auto [columns, columnDims] = group(dims->n, spore::kRegisterTileN);
      if (columns > rows)
        std::swap(rowDims, columnDims);
      result.append(rowDims);
      result.append(columnDims);
      return result;
    }
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    for (auto [d, iterator] : llvm::enumerate(iterators))
      if (iterator == utils::IteratorType::parallel)
        result.push_back(
            {static_cast<unsigned>(d),
             d + 1 == iterators.size()
                 ? spore::largestDivisorAtMost(ranges[d], kInnermostUnit)
                 : 1});
    return result;
  }

  void split(RewriterBase &rewriter, linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    for (Candidate c : candidates(op)) {
      int64_t units = ranges[c.dim] / c.unit;
      int64_t chunks = spore::largestDivisorAtMost(units, maxChunks);
      if (chunks < 2)
        continue;
      splitInto(rewriter, op, c.dim, chunks, ranges[c.dim] / chunks);
      return;
    }
  }

  /// Replaces `op` by an scf.forall of `chunks` copies of it, each on the
  /// subviews of `size` iterations of dimension `dim`.
  void splitInto(RewriterBase &rewriter, linalg::LinalgOp op, unsigned dim,
                 int64_t chunks, int64_t size) {
    Location loc = op.getLoc();
    Operation *init = initOfContraction(op); // before the forall goes in
    rewriter.setInsertionPoint(op);
    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(chunks)},
        ValueRange{}, std::nullopt);
    rewriter.setInsertionPointToStart(forall.getBody());
    SmallVector<OpFoldResult> tileSizes(op.getNumLoops(),
                                        rewriter.getIndexAttr(0));
    tileSizes[dim] = rewriter.getIndexAttr(size);
    Value offset = affine::AffineApplyOp::create(
        rewriter, loc,
        AffineMap::get(1, 0, rewriter.getAffineDimExpr(0) * size),
        forall.getInductionVar(0));
    SmallVector<OpFoldResult> bounds =
        getAsIndexOpFoldResult(&getContext(), op.getStaticLoopRanges());
    SmallVector<Value> operands = linalg::makeTiledShapes(
        rewriter, loc, op, op->getOperands(), {offset}, tileSizes, bounds,
        /*omitPartialTileCheck=*/true);
    if (init &&
        !spore::initTile(rewriter, init, operands[op.getNumDpsInputs()]))
      init = nullptr; // not a view of the output: stays before the chunks
    Operation *chunk = mlir::clone(rewriter, op, TypeRange{}, operands);
    SmallVector<OpFoldResult> offsets(op.getNumLoops(),
                                      rewriter.getIndexAttr(0));
    offsets[dim] = offset;
    linalg::offsetIndices(rewriter, cast<linalg::LinalgOp>(chunk), offsets);
    rewriter.eraseOp(op);
    if (init)
      rewriter.eraseOp(init);
  }
};

} // namespace
