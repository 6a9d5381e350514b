//===- SporeFillsAtUses.cpp - a fill for each op that writes into it ------===//
//
// Defines `spore-fills-at-uses`: before bufferisation, each op whose
// destination is a filled empty tensor gets its own fill, just before it.
// One zero tensor shared as the init of several products bufferised into
// one filled buffer and a copy of it per other product.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace spore {
#define GEN_PASS_DEF_SPOREFILLSATUSES
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeFillsAtUsesPass
    : spore::impl::SporeFillsAtUsesBase<SporeFillsAtUsesPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() &&
          fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>())
        fills.push_back(fill);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::FillOp fill : fills) {
      auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
      for (OpOperand &use :
           llvm::make_early_inc_range(fill.getResult(0).getUses())) {
        auto user = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
        if (!user || !user.isDpsInit(&use) || use.getOwner() == fill)
          continue;
        rewriter.setInsertionPoint(user);
        Operation *newEmpty = rewriter.clone(*empty);
        auto newFill =
            linalg::FillOp::create(rewriter, fill.getLoc(), fill.getInputs(),
                                   ValueRange{newEmpty->getResult(0)});
        rewriter.modifyOpInPlace(user, [&] { use.set(newFill.getResult(0)); });
      }
      if (fill->use_empty()) {
        rewriter.eraseOp(fill);
        if (empty->use_empty())
          rewriter.eraseOp(empty);
      }
    }
  }
};

} // namespace
