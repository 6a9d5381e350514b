//===- SporeRuntimeBuffers.cpp - heap buffers from the runtime ------------===//
//
// Defines `spore-runtime-buffers`: the lowered `malloc` and `free` of
// memref allocations become calls of the runtime's spore_buffer_alloc and
// spore_buffer_free, which keep large freed buffers for the next call
// (runtime/src/buffers.cpp says why).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace spore {
#define GEN_PASS_DEF_SPORERUNTIMEBUFFERS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeRuntimeBuffersPass
    : spore::impl::SporeRuntimeBuffersBase<SporeRuntimeBuffersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto [from, to] :
         {std::pair<StringRef, StringRef>{"malloc", "spore_buffer_alloc"},
          {"free", "spore_buffer_free"}}) {
      auto fn = symbols.lookup<LLVM::LLVMFuncOp>(from);
      if (!fn)
        continue;
      if (!fn.isExternal()) {
        fn.emitError("'") << from << "' is defined in the module";
        return signalPassFailure();
      }
      if (symbols.lookup(to)) {
        module.emitError("'") << to << "' is already declared";
        return signalPassFailure();
      }
      if (failed(symbols.rename(fn, to)))
        return signalPassFailure();
    }
  }
};

} // namespace
