//===- SporeFoldTransposes.cpp - products read transposed operands --------===//
//
// Defines `spore-fold-transposes`: a large matrix product on tensors reads
// an operand that a 2-d linalg.transpose made through a transposed
// indexing map instead, so that the transpose's copy goes. The packed
// products of spore-pack-contractions read either layout alike.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace spore {
#define GEN_PASS_DEF_SPOREFOLDTRANSPOSES
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// The input of `v`'s producer when that is a 2-d transpose on tensors.
Value transposed(Value v) {
  auto transpose = v.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose.hasPureTensorSemantics() ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return {};
  return transpose.getInput();
}

struct SporeFoldTransposesPass
    : spore::impl::SporeFoldTransposesBase<SporeFoldTransposesPass> {
  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> products;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (readsTransposed(op) && packed(op))
        products.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : products)
      fold(rewriter, op);
  }

  static bool readsTransposed(linalg::LinalgOp op) {
    return op.hasPureTensorSemantics() &&
           llvm::any_of(op.getDpsInputs(),
                        [](Value v) { return bool(transposed(v)); });
  }

  /// Whether `op` is an f32 matrix product that spore-pack-contractions
  /// will pack (its rows, columns and reduction each of one or more loops).
  static bool packed(linalg::LinalgOp op) {
    if (op.hasDynamicShape() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
      return false;
    for (Value v : op->getOperands())
      if (!getElementTypeOrSelf(v.getType()).isF32())
        return false;
    FailureOr<linalg::ContractionDimensions> dims =
        linalg::inferContractionDims(op);
    if (failed(dims) || !dims->batch.empty())
      return false;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    auto extent = [&](ArrayRef<unsigned> group) {
      int64_t e = 1;
      for (unsigned d : group)
        e *= ranges[d];
      return e;
    };
    return spore::packsProduct(extent(dims->m), extent(dims->n),
                               extent(dims->k));
  }

  /// Reads each transposed input S^T of `op` as S, through its indexing
  /// map with the two results swapped.
  static void fold(RewriterBase &rewriter, linalg::LinalgOp op) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::GenericOp> general =
          linalg::generalizeNamedOp(rewriter, op);
      if (failed(general))
        return;
      generic = *general;
    }
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    llvm::SetVector<Operation *> transposes;
    for (OpOperand *input : generic.getDpsInputOperands()) {
      Value source = transposed(input->get());
      if (!source)
        continue;
      AffineMap map = maps[input->getOperandNumber()];
      maps[input->getOperandNumber()] =
          AffineMap::get(map.getNumDims(), map.getNumSymbols(),
                         {map.getResult(1), map.getResult(0)}, op.getContext());
      transposes.insert(input->get().getDefiningOp());
      rewriter.modifyOpInPlace(generic, [&] { input->set(source); });
    }
    rewriter.modifyOpInPlace(generic, [&] {
      generic.setIndexingMapsAttr(rewriter.getAffineMapArrayAttr(maps));
    });
    for (Operation *t : transposes)
      if (t->use_empty())
        rewriter.eraseOp(t);
  }
};

} // namespace
