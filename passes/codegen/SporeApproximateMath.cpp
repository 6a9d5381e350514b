//===- SporeApproximateMath.cpp - vectorisable f32 math -------------------===//
//
// Defines `spore-approximate-math`: upstream's polynomial approximations of
// f32 transcendental functions, which upstream offers as patterns only.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace spore {
#define GEN_PASS_DEF_SPOREAPPROXIMATEMATH
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeApproximateMathPass
    : spore::impl::SporeApproximateMathBase<SporeApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
