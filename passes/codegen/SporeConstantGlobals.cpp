//===- SporeConstantGlobals.cpp - constant globals in program order -------===//
//
// Defines `spore-constant-globals`: every tensor constant gets its
// memref.global before bufferisation, in program order. One-shot
// bufferisation would make them as it meets the constants, visiting
// functions in an order that depends on pointer values (MLIR 22.1): the
// globals' names (`__constant_16x256xf32_2` or `_3`) and order, and so the
// object's bytes, changed from one run to the next. Bufferisation reuses a
// global of the same value and alignment (bufferization::getGlobalFor), so
// it finds them all made.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/Transforms/BufferUtils.h"

namespace spore {
#define GEN_PASS_DEF_SPORECONSTANTGLOBALS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeConstantGlobalsPass
    : spore::impl::SporeConstantGlobalsBase<SporeConstantGlobalsPass> {
  using SporeConstantGlobalsBase::SporeConstantGlobalsBase;

  void runOnOperation() override {
    SymbolTableCollection symbols;
    WalkResult result = getOperation()->walk([&](arith::ConstantOp constant) {
      if (!isa<RankedTensorType>(constant.getType()))
        return WalkResult::advance();
      if (failed(bufferization::getGlobalFor(constant, symbols, alignment))) {
        constant.emitError("no global for this constant");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
