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
    SmallVector<linalg::MatmulOp> fewRows;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!readsTransposed(op))
        return;
      if (packed(op))
        products.push_back(op);
      else if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation());
               matmul && fewRowsTimesTransposed(matmul))
        fewRows.push_back(matmul);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : products)
      fold(rewriter, op);
    for (linalg::MatmulOp op : fewRows)
      swap(rewriter, op);
  }

  /// Whether `op` is C = G S^T (C filled before) with few rows in G (a
  /// small batch: at most 4 register tiles) and a large S (a weight): the
  /// backward pass's `g @ w^T` at batch 16, which copied all of w into its
  /// transpose to multiply 16 rows by it.
  static bool fewRowsTimesTransposed(linalg::MatmulOp op) {
    if (op.hasUserDefinedMaps() || !transposed(op.getInputs()[1]) ||
        !op.getOutputs()[0].getDefiningOp<linalg::FillOp>())
      return false;
    std::optional<spore::MatrixProduct> p = spore::matrixProduct(op);
    return p && p->m <= kFewRows && p->n >= kManyColumns &&
           p->k >= kManyColumns;
  }
  static constexpr int64_t kFewRows = 4 * spore::kRegisterTileM;
  static constexpr int64_t kManyColumns = 4 * spore::kRegisterTileN;

  /// C = G S^T as C = (S G^T)^T: S is read as it is, by rows, and only
  /// the small G and the result are transposed.
  static void swap(RewriterBase &rewriter, linalg::MatmulOp op) {
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    Value g = op.getInputs()[0];
    Value s = transposed(op.getInputs()[1]);
    auto fill = op.getOutputs()[0].getDefiningOp<linalg::FillOp>();
    auto gType = cast<RankedTensorType>(g.getType());
    auto sType = cast<RankedTensorType>(s.getType());
    auto f32 = rewriter.getF32Type();
    int64_t m = gType.getDimSize(0), k = gType.getDimSize(1),
            n = sType.getDimSize(0);
    auto transpose = [&](Value v, int64_t rows, int64_t columns) {
      Value empty = tensor::EmptyOp::create(
          rewriter, loc, ArrayRef<int64_t>{columns, rows}, f32);
      return linalg::TransposeOp::create(rewriter, loc, v, empty,
                                         ArrayRef<int64_t>{1, 0})
          ->getResult(0);
    };
    Value gt = transpose(g, m, k);
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{n, m}, f32);
    Value init = linalg::FillOp::create(rewriter, loc, fill.getInputs(), empty)
                     .getResult(0);
    Value d = linalg::MatmulOp::create(rewriter, loc, ValueRange{s, gt},
                                       ValueRange{init})
                  .getResult(0);
    Value transposedS = op.getInputs()[1];
    rewriter.replaceOp(op, transpose(d, n, m));
    if (Operation *t = transposedS.getDefiningOp(); t && t->use_empty())
      rewriter.eraseOp(t);
  }

  static bool readsTransposed(linalg::LinalgOp op) {
    return op.hasPureTensorSemantics() &&
           llvm::any_of(op.getDpsInputs(),
                        [](Value v) { return bool(transposed(v)); });
  }

  /// Whether `op` is an f32 matrix product that spore-pack-contractions
  /// will pack.
  static bool packed(linalg::LinalgOp op) {
    std::optional<spore::MatrixProduct> p = spore::matrixProduct(op);
    return p && spore::packsProduct(p->m, p->n, p->k);
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
