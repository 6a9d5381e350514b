//===- SporePlanStack.cpp - which heap buffers fit on the stack -----------===//
//
// Defines `spore-plan-stack`: marks the heap buffers of a function that
// upstream's promote-buffers-to-stack may turn into stack buffers, so that
// their sizes together stay within a budget.
//
// Upstream's own heuristic bounds each buffer alone, so that many of them
// could overflow the native stack; its decision function sees one buffer
// at a time, so bounding the sum there meant summing the function's stack
// buffers at every call: quadratic in the size of the function (0.2 s for
// the step of 32 transformer blocks). One walk in program order decides
// them all.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace spore {
#define GEN_PASS_DEF_SPOREPLANSTACK
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

/// Bytes of a statically shaped memref; nullopt for dynamic shapes.
static std::optional<uint64_t> staticBytes(Value buffer,
                                           const DataLayout &layout) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return layout.getTypeSize(type.getElementType()) * type.getNumElements();
}

namespace {

struct SporePlanStackPass
    : spore::impl::SporePlanStackBase<SporePlanStackPass> {
  using SporePlanStackBase::SporePlanStackBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    DataLayout layout = DataLayout::closest(fn);
    // A function that calls itself has a frame per level of recursion.
    uint64_t budget =
        fn->hasAttr(spore::kRecursiveAttr)
            ? std::min<uint64_t>(this->budget, spore::kRecursiveStackBudget)
            : uint64_t(this->budget);
    uint64_t used = 0;
    fn.walk([&](memref::AllocaOp alloca) {
      used += staticBytes(alloca.getMemref(), layout).value_or(0);
    });
    auto mark = StringAttr::get(&getContext(), spore::kStackAttr);
    fn.walk([&](memref::AllocOp alloc) {
      std::optional<uint64_t> bytes = staticBytes(alloc.getMemref(), layout);
      // spore-hoist-allocas gives each stack buffer one slot per call,
      // which a buffer carried across loop iterations cannot share.
      if (!bytes || used + *bytes > budget ||
          spore::outlivesIteration(alloc.getMemref()))
        return;
      used += *bytes;
      alloc->setAttr(mark, UnitAttr::get(&getContext()));
    });
  }
};

} // namespace
