//===- SporeLowerStridedCopies.cpp - copies without MLIR's runtime --------===//
//
// Defines `spore-lower-strided-copies`: a memref.copy whose source or target
// is not contiguous (a strided subview) becomes a linalg.copy, which turns
// into loops. Upstream's MemRef-to-LLVM lowering would call `memrefCopy`
// from MLIR's C runner utilities, a library that compiled Spore models do
// not link.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace spore {
#define GEN_PASS_DEF_SPORELOWERSTRIDEDCOPIES
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeLowerStridedCopiesPass
    : spore::impl::SporeLowerStridedCopiesBase<SporeLowerStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp copy) {
      auto contiguous = [](Value v) {
        auto type = cast<MemRefType>(v.getType());
        return type.getLayout().isIdentity() ||
               memref::isStaticShapeAndContiguousRowMajor(type);
      };
      if (!contiguous(copy.getSource()) || !contiguous(copy.getTarget()))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
  }
};

} // namespace
