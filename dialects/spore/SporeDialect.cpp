//===- SporeDialect.cpp - the spore dialect -------------------------------===//
//
// Registers the ops and types of the spore dialect (types are all ODS).
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeDialect.h"
#include "dialects/spore/SporeOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace spore;

#include "dialects/spore/SporeDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/spore/SporeTypes.cpp.inc"

void SporeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/spore/SporeOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/spore/SporeTypes.cpp.inc"
      >();
}

Operation *SporeDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}

namespace {
/// Erases an unused `bufferization.alloc_tensor`. Upstream declares no
/// memory effects on it, so it is never trivially dead; the value stacks of
/// differentiated loops are alloc_tensors, and stacks that the reverse
/// sweep never reads are left unused once their pushes are removed.
struct EraseUnusedAllocTensor : OpRewritePattern<bufferization::AllocTensorOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(bufferization::AllocTensorOp op,
                                PatternRewriter &rewriter) const override {
    if (!op->use_empty())
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void SporeDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  results.add<EraseUnusedAllocTensor>(getContext());
}
