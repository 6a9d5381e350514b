//===- SporeRuntimeBuffers.cpp - heap buffers from the runtime ------------===//
//
// Defines `spore-runtime-buffers`: the lowered `malloc` and `free` of
// memref allocations become calls of the runtime's spore_buffer_alloc_at
// and spore_buffer_free, which keep large freed buffers for the next call
// (runtime/src/buffers.cpp says why) and turn a failed allocation into
// SPORE_ERROR_MEMORY with the source location of the op that needed it.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

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
    for (StringRef from : {"malloc", "free"}) {
      auto fn = symbols.lookup<LLVM::LLVMFuncOp>(from);
      if (fn && !fn.isExternal()) {
        fn.emitError("'") << from << "' is defined in the module";
        return signalPassFailure();
      }
    }
    for (StringRef to : {"spore_buffer_alloc_at", "spore_buffer_free"})
      if (symbols.lookup(to)) {
        module.emitError("'") << to << "' is already declared";
        return signalPassFailure();
      }
    if (auto free = symbols.lookup<LLVM::LLVMFuncOp>("free"))
      if (failed(symbols.rename(free, "spore_buffer_free")))
        return signalPassFailure();
    auto malloc = symbols.lookup<LLVM::LLVMFuncOp>("malloc");
    if (!malloc)
      return;

    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    OpBuilder b(malloc);
    auto alloc =
        LLVM::LLVMFuncOp::create(b, malloc.getLoc(), "spore_buffer_alloc_at",
                                 LLVM::LLVMFunctionType::get(ptr, {i64, ptr}));
    symbols.insert(alloc);
    // One constant string per source position.
    llvm::StringMap<LLVM::GlobalOp> sites;
    auto siteGlobal = [&](const std::string &site) {
      LLVM::GlobalOp &global = sites[site];
      if (!global) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(alloc);
        std::string text = site + '\0';
        global = LLVM::GlobalOp::create(
            b, alloc.getLoc(),
            LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), text.size()),
            /*isConstant=*/true, LLVM::Linkage::Internal,
            "__spore_site_" + std::to_string(sites.size() - 1),
            b.getStringAttr(text));
        symbols.insert(global);
      }
      return global;
    };
    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      if (call.getCallee() == "malloc")
        calls.push_back(call);
    });
    for (LLVM::CallOp call : calls) {
      b.setInsertionPoint(call);
      Value site = LLVM::AddressOfOp::create(
          b, call.getLoc(), siteGlobal(spore::sourceSite(call.getLoc())));
      auto replacement = LLVM::CallOp::create(
          b, call.getLoc(), alloc, ValueRange{call.getOperand(0), site});
      call.replaceAllUsesWith(replacement.getResults());
      call.erase();
    }
    if (!SymbolTable::symbolKnownUseEmpty(malloc, module)) {
      malloc.emitError("'malloc' is used other than by a call");
      return signalPassFailure();
    }
    malloc.erase();
  }
};

} // namespace
