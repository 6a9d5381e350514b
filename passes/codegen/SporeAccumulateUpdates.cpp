//===- SporeAccumulateUpdates.cpp - p - s * (A @ B) as one product --------===//
//
// Defines `spore-accumulate-updates`: before bufferisation, an elementwise
// `p - s * g` (an SGD step: a Parameter, a 0-d learning rate, a gradient)
// whose `g` is a matrix product `A @ B` from zeros, used only there,
// becomes the product `(-s * A) @ B` accumulated onto `p`: the smaller
// operand is scaled instead of the product's result, and the gradient is
// never written to memory nor read back. Bufferisation copies `p` into the
// product's output (the new Parameter's buffer), and the code generation
// of products takes that copy into the register tiles of the product, as
// it does with a fill (spore::initBefore): each element of the new
// Parameter is read from the old one and written once.
//
// The sum is reassociated: (-s * a) * b summed onto p, for p - s * sum(a *
// b). Rounding differs as it does for an FMA contraction.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Matchers.h"

namespace spore {
#define GEN_PASS_DEF_SPOREACCUMULATEUPDATES
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// An update `p - s * g` with `g` a product from zeros, used only there.
struct Update {
  linalg::GenericOp op;
  Value base;  // p
  Value scale; // s, a 0-d tensor
  linalg::MatmulOp product;
};

/// The update that `op` is, if it is one.
std::optional<Update> matchUpdate(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 3 || op.getNumLoops() != 2 ||
      op.getNumReductionLoops() != 0)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(op.getResult(0).getType());
  if (!type || !type.hasStaticShape() || !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return std::nullopt;
  auto sub = dyn_cast<arith::SubFOp>(
      body.getTerminator()->getOperand(0).getDefiningOp());
  if (!sub)
    return std::nullopt;
  auto mul = sub.getRhs().getDefiningOp<arith::MulFOp>();
  auto baseArg = dyn_cast<BlockArgument>(sub.getLhs());
  if (!mul || !baseArg || baseArg.getOwner() != &body)
    return std::nullopt;
  auto lhs = dyn_cast<BlockArgument>(mul.getLhs());
  auto rhs = dyn_cast<BlockArgument>(mul.getRhs());
  if (!lhs || !rhs || lhs.getOwner() != &body || rhs.getOwner() != &body)
    return std::nullopt;
  // Which of the multiplied arguments is the 0-d scale, which the product.
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, op.getContext());
  auto input = [&](BlockArgument arg) -> OpOperand * {
    if (arg.getArgNumber() >= op.getNumDpsInputs())
      return nullptr; // the output's element: not read by an update
    return op.getDpsInputOperand(arg.getArgNumber());
  };
  OpOperand *base = input(baseArg), *scale = input(lhs), *grad = input(rhs);
  if (!base || !scale || !grad)
    return std::nullopt;
  if (op.getMatchingIndexingMap(scale).getNumResults() != 0)
    std::swap(scale, grad);
  if (op.getMatchingIndexingMap(scale).getNumResults() != 0 ||
      op.getMatchingIndexingMap(grad) != identity ||
      op.getMatchingIndexingMap(base) != identity ||
      op.getMatchingIndexingMap(op.getDpsInitOperand(0)) != identity ||
      base == scale || base == grad || scale == grad ||
      base->get().getType() != type || grad->get().getType() != type)
    return std::nullopt;
  auto product = grad->get().getDefiningOp<linalg::MatmulOp>();
  // Static shapes (the smaller operand is the one scaled) of the same
  // element type as the update.
  auto sameElements = [&](Value v) {
    auto operand = dyn_cast<RankedTensorType>(v.getType());
    return operand && operand.hasStaticShape() &&
           operand.getElementType() == type.getElementType();
  };
  if (!product || product.hasUserDefinedMaps() ||
      !llvm::all_of(product.getDpsInputs(), sameElements) ||
      !product.getResult(0).hasOneUse() || !product.hasPureTensorSemantics())
    return std::nullopt;
  // From zeros: the product is then the gradient alone.
  auto fill = product.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs()[0], m_AnyZeroFloat()))
    return std::nullopt;
  return Update{op, base->get(), scale->get(), product};
}

struct SporeAccumulateUpdatesPass
    : spore::impl::SporeAccumulateUpdatesBase<SporeAccumulateUpdatesPass> {
  void runOnOperation() override {
    SmallVector<Update> updates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<Update> update = matchUpdate(op))
        updates.push_back(*update);
    });
    IRRewriter rewriter(&getContext());
    for (Update &update : updates)
      rewrite(rewriter, update);
  }

  /// `-s * x` elementwise, for a tensor x of the product's element type.
  static Value scaled(RewriterBase &rewriter, Location loc, Value x,
                      Value scale) {
    auto type = cast<RankedTensorType>(x.getType());
    MLIRContext *ctx = rewriter.getContext();
    int64_t rank = type.getRank();
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<AffineMap> maps = {identity, AffineMap::get(rank, 0, ctx),
                                   identity};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               rewriter, loc, type, ValueRange{x, scale}, ValueRange{empty},
               maps, iterators,
               [](OpBuilder &b, Location l, ValueRange args) {
                 Value negated = arith::NegFOp::create(b, l, args[1]);
                 linalg::YieldOp::create(
                     b, l,
                     arith::MulFOp::create(b, l, negated, args[0]).getResult());
               })
        .getResult(0);
  }

  /// `-s * x` for an operand of the product: a transposed operand is
  /// scaled before its transpose, which spore-fold-transposes can then
  /// still read in place.
  static Value scaledOperand(RewriterBase &rewriter, Location loc, Value x,
                             Value scale) {
    if (auto transpose = x.getDefiningOp<linalg::TransposeOp>()) {
      Value input = scaled(rewriter, loc, transpose.getInput(), scale);
      Value empty = tensor::EmptyOp::create(
          rewriter, loc, cast<RankedTensorType>(x.getType()).getShape(),
          getElementTypeOrSelf(x));
      return linalg::TransposeOp::create(rewriter, loc, input, empty,
                                         transpose.getPermutation())
          .getResult()[0];
    }
    return scaled(rewriter, loc, x, scale);
  }

  void rewrite(RewriterBase &rewriter, Update update) {
    linalg::MatmulOp product = update.product;
    Location loc = update.op.getLoc();
    Value a = product.getDpsInputs()[0], b = product.getDpsInputs()[1];
    auto elements = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getNumElements();
    };
    rewriter.setInsertionPoint(update.op);
    if (elements(a) <= elements(b))
      a = scaledOperand(rewriter, loc, a, update.scale);
    else
      b = scaledOperand(rewriter, loc, b, update.scale);
    auto accumulated =
        linalg::MatmulOp::create(rewriter, loc, update.op.getResultTypes(),
                                 ValueRange{a, b}, ValueRange{update.base});
    rewriter.replaceOp(update.op, accumulated->getResults());
    rewriter.eraseOp(product);
  }
};

} // namespace
