//===- SporeDistinctResults.cpp - one value per returned tensor -----------===//
//
// Defines `spore-distinct-results`: a function that returns one tensor
// several times returns copies for the repetitions, so that bufferisation
// gives each result its own buffer. Works around a crash of upstream's
// buffer-results-to-out-params (hoistStaticAllocs) on a repeated result.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseSet.h"

namespace spore {
#define GEN_PASS_DEF_SPOREDISTINCTRESULTS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeDistinctResultsPass
    : spore::impl::SporeDistinctResultsBase<SporeDistinctResultsPass> {
  void runOnOperation() override {
    getOperation().walk([](func::ReturnOp ret) {
      llvm::DenseSet<Value> seen;
      OpBuilder b(ret);
      for (OpOperand &operand : ret->getOpOperands()) {
        Value v = operand.get();
        auto type = dyn_cast<RankedTensorType>(v.getType());
        if (!type)
          continue;
        bool repeated = !seen.insert(v).second;
        // A returned tensor.empty (a result without elements) has undefined
        // contents, so one-shot bufferization lets another op write into
        // its buffer in place (softmax of x: f32[0] into the empty that
        // cumsum of x returns): two results would share one buffer again.
        // Each use at the return gets its own empty tensor.
        if (auto e = v.getDefiningOp<tensor::EmptyOp>()) {
          if (!e->hasOneUse())
            operand.set(tensor::EmptyOp::create(b, ret.getLoc(), type,
                                                e.getDynamicSizes()));
          continue;
        }
        if (!repeated)
          continue;
        Value empty = tensor::EmptyOp::create(b, ret.getLoc(), type.getShape(),
                                              type.getElementType());
        operand.set(
            linalg::CopyOp::create(b, ret.getLoc(), v, empty).getResult(0));
      }
    });
  }
};

} // namespace
