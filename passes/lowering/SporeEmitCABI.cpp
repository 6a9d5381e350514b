//===- SporeEmitCABI.cpp - the C entry points of exported functions -------===//
//
// Defines `spore-emit-c-abi`: wraps each lowered export in the documented C
// signature (`int prefix_name(ptr, ...)`) and a packed variant for spore-run.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace spore {
#define GEN_PASS_DEF_SPOREEMITCABI
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;
using namespace spore;

namespace {

struct SporeEmitCABIPass : spore::impl::SporeEmitCABIBase<SporeEmitCABIPass> {
  using SporeEmitCABIBase::SporeEmitCABIBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> exports;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (fn->hasAttr(FuncOp::getExportAttrName()))
        exports.push_back(fn);
    // Only the entry points are visible outside the object: every other
    // defined function is internal, so two models link into one program.
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (!fn.isExternal())
        fn.setLinkage(LLVM::Linkage::Internal);
    SymbolTable symbols(module);
    for (LLVM::LLVMFuncOp fn : exports)
      if (failed(wrap(fn, symbols)))
        return signalPassFailure();
  }

  LogicalResult wrap(LLVM::LLVMFuncOp impl, SymbolTable &symbols) {
    MLIRContext *ctx = &getContext();
    LLVM::LLVMFunctionType implType = impl.getFunctionType();
    if (!isa<LLVM::LLVMVoidType>(implType.getReturnType()))
      return impl.emitOpError("exported function must return through "
                              "out-parameters after bufferisation");
    for (Type t : implType.getParams())
      if (!isa<LLVM::LLVMPointerType>(t))
        return impl.emitOpError(
            "exported function parameters must be bare pointers; lower with "
            "use-bare-ptr-memref-call-conv");

    auto sourceName =
        impl->getAttrOfType<StringAttr>(FuncOp::getExportAttrName());
    if (!sourceName)
      return impl.emitOpError("spore.export must hold the source name");
    std::string name = prefix + "_" + sourceName.str();
    std::string packedName = "__spore_packed_" + name;
    for (StringRef n : {StringRef(name), StringRef(packedName)})
      if (symbols.lookup(n))
        return impl.emitOpError("the C entry point '")
               << n << "' clashes with another symbol of the module";

    impl->removeAttr(FuncOp::getExportAttrName());
    // The ABI promises that no result buffer overlaps another buffer of
    // the call (inputs may overlap each other: they are only read). In
    // LLVM's terms every pointer is `noalias`, which lets loads of inputs
    // be reordered with stores to results, and accumulators stay in
    // registers.
    for (unsigned i = 0; i < impl.getNumArguments(); ++i)
      impl.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                      UnitAttr::get(ctx));

    OpBuilder b(ctx);
    b.setInsertionPointAfter(impl);
    Location loc = impl.getLoc();
    auto i32 = IntegerType::get(ctx, 32);
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    size_t numParams = implType.getNumParams();

    // int <prefix>_<name>(ptr...): call and return 0, or the status of a
    // failure (an assert) raised during the call when the module can.
    auto entry = LLVM::LLVMFuncOp::create(
        b, loc, name, LLVM::LLVMFunctionType::get(i32, implType.getParams()));
    for (unsigned i = 0; i < numParams; ++i)
      entry.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                       UnitAttr::get(ctx));
    {
      OpBuilder::InsertionGuard guard(b);
      Block *body = entry.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      LLVM::CallOp::create(b, loc, impl, body->getArguments());
      Value status;
      if (symbols.lookup("spore_fail")) {
        auto take = symbols.lookup<LLVM::LLVMFuncOp>("spore_take_status");
        if (!take) {
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPointToStart(getOperation().getBody());
          take = LLVM::LLVMFuncOp::create(b, loc, "spore_take_status",
                                          LLVM::LLVMFunctionType::get(i32, {}));
          symbols.insert(take);
        }
        status = LLVM::CallOp::create(b, loc, take, ValueRange{}).getResult();
      } else {
        status = LLVM::ConstantOp::create(b, loc, i32, 0);
      }
      LLVM::ReturnOp::create(b, loc, status);
    }

    // int __spore_packed_<prefix>_<name>(void** args).
    b.setInsertionPointAfter(entry);
    auto packed = LLVM::LLVMFuncOp::create(
        b, loc, packedName, LLVM::LLVMFunctionType::get(i32, {ptr}));
    OpBuilder::InsertionGuard guard(b);
    Block *body = packed.addEntryBlock(b);
    b.setInsertionPointToStart(body);
    SmallVector<Value> args;
    for (size_t i = 0; i < numParams; ++i) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
      args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
    }
    auto call = LLVM::CallOp::create(b, loc, entry, args);
    LLVM::ReturnOp::create(b, loc, call.getResult());
    symbols.insert(entry);
    symbols.insert(packed);
    return success();
  }
};

} // namespace
