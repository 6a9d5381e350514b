//===- SporeScalarize.cpp - 0-d tensors as scalars ------------------------===//
//
// Defines `spore-scalarize`: on linalg on tensors, before bufferisation,
// arithmetic on 0-d tensors (the scalars of a model: `x = x + 0.1 * v`)
// becomes arithmetic on their elements, and the 0-d tensors that loops
// carry become scalars that the loop carries. Bufferised as they were,
// each scalar was a heap or stack buffer written and read back at every
// step, and a loop-carried one a new buffer per iteration: a recurrence of
// four flops cost about 360 ns per iteration against 9 ns in C. As values,
// they live in registers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace spore {
#define GEN_PASS_DEF_SPORESCALARIZE
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

bool isScalarTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getRank() == 0 &&
         tensor.getElementType().isIntOrIndexOrFloat();
}

/// A linalg.generic on 0-d tensors only runs its body once: the body's ops
/// on the extracted elements, the result rebuilt with from_elements (which
/// folds away against the extracts of its users).
struct ScalarGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || op.getNumLoops() != 0 ||
        !llvm::all_of(op->getOperandTypes(), isScalarTensor))
      return failure();
    Block &body = op.getRegion().front();
    if (!llvm::all_of(body.without_terminator(), [](Operation &inner) {
          return inner.getNumRegions() == 0 && isMemoryEffectFree(&inner);
        }))
      return failure();
    Location loc = op.getLoc();
    IRMapping map;
    for (auto [operand, arg] :
         llvm::zip(op->getOperands(), body.getArguments()))
      map.map(arg,
              tensor::ExtractOp::create(rewriter, loc, operand, ValueRange{}));
    for (Operation &inner : body.without_terminator())
      rewriter.clone(inner, map);
    SmallVector<Value> results;
    for (auto [yielded, type] :
         llvm::zip(body.getTerminator()->getOperands(), op.getResultTypes()))
      results.push_back(tensor::FromElementsOp::create(
          rewriter, loc, type, ValueRange{map.lookupOrDefault(yielded)}));
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// An scf.for that carries a 0-d tensor carries its element instead.
struct ScalarIterArg : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    for (OpOperand &init : loop.getInitArgsMutable()) {
      if (!isScalarTensor(init.get().getType()))
        continue;
      Value element = tensor::ExtractOp::create(rewriter, loop.getLoc(),
                                                init.get(), ValueRange{});
      auto cast = [](OpBuilder &b, Location loc, Type type,
                     Value value) -> Value {
        if (isa<RankedTensorType>(type))
          return tensor::FromElementsOp::create(b, loc, type,
                                                ValueRange{value});
        return tensor::ExtractOp::create(b, loc, value, ValueRange{});
      };
      rewriter.replaceOp(loop, scf::replaceAndCastForOpIterArg(
                                   rewriter, loop, init, element, cast));
      return success();
    }
    return failure();
  }
};

struct SporeScalarizePass
    : spore::impl::SporeScalarizeBase<SporeScalarizePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<ScalarGeneric, ScalarIterArg>(ctx);
    tensor::ExtractOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::FromElementsOp::getCanonicalizationPatterns(patterns, ctx);
    scf::ForOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
