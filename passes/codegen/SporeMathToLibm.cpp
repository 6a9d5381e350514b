//===- SporeMathToLibm.cpp - libm calls for math without intrinsics -------===//
//
// Defines `spore-math-to-libm`: upstream's math-to-libm patterns, applied
// to the math ops that convert-math-to-llvm cannot lower (upstream's own
// pass makes every math op illegal and fails on the others).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace spore {
#define GEN_PASS_DEF_SPOREMATHTOLIBM
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeMathToLibmPass
    : spore::impl::SporeMathToLibmBase<SporeMathToLibmPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    target.addIllegalOp<math::ErfOp, math::ErfcOp, math::TanOp, math::AtanOp,
                        math::Atan2Op, math::AsinOp, math::AcosOp, math::SinhOp,
                        math::CoshOp, math::TanhOp, math::AsinhOp,
                        math::AcoshOp, math::AtanhOp, math::CbrtOp>();
    RewritePatternSet patterns(ctx);
    populateMathToLibmConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
