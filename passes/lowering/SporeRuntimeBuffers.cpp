//===- SporeRuntimeBuffers.cpp - heap buffers from the runtime ------------===//
//
// Defines `spore-runtime-buffers`: the lowered `malloc` and `free` of
// memref allocations become calls of the runtime's spore_buffer_alloc_at
// and spore_buffer_free, which keep large freed buffers for the next call
// (runtime/src/buffers.cpp says why) and turn a failed allocation into
// SPORE_ERROR_MEMORY with the source location of the op that needed it.
// Functions that call themselves check the native stack at their entry
// (spore_stack_check), so that deep recursion fails the same way.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

namespace spore {
#define GEN_PASS_DEF_SPOREBUFFERALIGNMENT
#define GEN_PASS_DEF_SPORERUNTIMEBUFFERS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeBufferAlignmentPass
    : spore::impl::SporeBufferAlignmentBase<SporeBufferAlignmentPass> {
  void runOnOperation() override {
    getOperation()->walk([](memref::AllocOp alloc) {
      std::optional<uint64_t> alignment = alloc.getAlignment();
      // Without the attribute, buffers of vectors are still aligned to
      // their element by integer arithmetic: leave those as they are.
      if (alignment && *alignment <= spore::kRuntimeBufferAlignment &&
          alloc.getType().getElementType().isIntOrIndexOrFloat())
        alloc.removeAlignmentAttr();
    });
  }
};

struct SporeRuntimeBuffersPass
    : spore::impl::SporeRuntimeBuffersBase<SporeRuntimeBuffersPass> {
  /// One constant string per source position, placed before `anchor`.
  llvm::StringMap<LLVM::GlobalOp> sites;
  Value siteAt(OpBuilder &b, Location loc, Operation *anchor,
               SymbolTable &symbols) {
    std::string site = spore::sourceSite(loc);
    LLVM::GlobalOp &global = sites[site];
    if (!global) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(anchor);
      std::string text = site + '\0';
      global = LLVM::GlobalOp::create(
          b, loc,
          LLVM::LLVMArrayType::get(IntegerType::get(b.getContext(), 8),
                                   text.size()),
          /*isConstant=*/true, LLVM::Linkage::Internal,
          "__spore_site_" + std::to_string(sites.size() - 1),
          b.getStringAttr(text));
      symbols.insert(global);
    }
    return LLVM::AddressOfOp::create(b, loc, global);
  }

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
    for (StringRef to :
         {"spore_buffer_alloc_at", "spore_buffer_free", "spore_stack_check"})
      if (symbols.lookup(to)) {
        module.emitError("'") << to << "' is already declared";
        return signalPassFailure();
      }
    if (auto free = symbols.lookup<LLVM::LLVMFuncOp>("free"))
      if (failed(symbols.rename(free, "spore_buffer_free")))
        return signalPassFailure();
    if (failed(routeMalloc(module, symbols)))
      return signalPassFailure();
    checkStackOfRecursion(module, symbols);
  }

  LogicalResult routeMalloc(ModuleOp module, SymbolTable &symbols) {
    auto malloc = symbols.lookup<LLVM::LLVMFuncOp>("malloc");
    if (!malloc)
      return success();
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    OpBuilder b(malloc);
    auto alloc =
        LLVM::LLVMFuncOp::create(b, malloc.getLoc(), "spore_buffer_alloc_at",
                                 LLVM::LLVMFunctionType::get(ptr, {i64, ptr}));
    // Like malloc's, each buffer it returns is new: LLVM may then assume
    // that two buffers never overlap (no run-time alias checks, no scalar
    // fallback loops between them). It is aligned as spore-buffer-alignment
    // assumes.
    alloc.setResultAttr(0, LLVM::LLVMDialect::getNoAliasAttrName(),
                        b.getUnitAttr());
    alloc.setResultAttr(0, LLVM::LLVMDialect::getAlignAttrName(),
                        b.getI64IntegerAttr(spore::kRuntimeBufferAlignment));
    symbols.insert(alloc);
    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      if (call.getCallee() == "malloc")
        calls.push_back(call);
    });
    for (LLVM::CallOp call : calls) {
      b.setInsertionPoint(call);
      Value site = siteAt(b, call.getLoc(), alloc, symbols);
      auto replacement = LLVM::CallOp::create(
          b, call.getLoc(), alloc, ValueRange{call.getOperand(0), site});
      call.replaceAllUsesWith(replacement.getResults());
      call.erase();
    }
    if (!SymbolTable::symbolKnownUseEmpty(malloc, module))
      return malloc.emitError("'malloc' is used other than by a call");
    malloc.erase();
    return success();
  }

  /// Recursion as deep as its run-time arguments say would overflow the
  /// native stack: each function that calls itself first checks that
  /// enough of the stack is left (spore_stack_check, which otherwise fails
  /// the call with SPORE_ERROR_MEMORY naming the function's position).
  void checkStackOfRecursion(ModuleOp module, SymbolTable &symbols) {
    SymbolTableCollection collection;
    SmallVector<LLVM::LLVMFuncOp> recursive;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (!fn.isExternal() && spore::callsItself(fn, collection))
        recursive.push_back(fn);
    if (recursive.empty())
      return;
    MLIRContext *ctx = &getContext();
    OpBuilder b(recursive.front());
    auto check = LLVM::LLVMFuncOp::create(
        b, module.getLoc(), "spore_stack_check",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                    {LLVM::LLVMPointerType::get(ctx)}));
    symbols.insert(check);
    for (LLVM::LLVMFuncOp fn : recursive) {
      b.setInsertionPointToStart(&fn.getBody().front());
      LLVM::CallOp::create(b, fn.getLoc(), check,
                           ValueRange{siteAt(b, fn.getLoc(), check, symbols)});
    }
  }
};

} // namespace
