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
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

#include <array>

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
    // Each function keeps its stack buffers within a budget
    // (promote-buffers-to-stack); LLVM's inliner would add a callee's
    // frame to its caller's and could overflow the stack (a call of a
    // checkpointed function's adjoint in the backward pass, for one).
    // Functions kept out of line before (spore.no_inline: separate
    // functions, the adjoints of checkpoints) stay out of line in LLVM.
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (!fn.isExternal() && (stackBytes(fn) > kInlineStackLimit ||
                               fn->hasAttr(CallOp::getNoInlineAttrName())))
        fn.setNoInline(true);
    SymbolTable symbols(module);
    // The state (spore.parameter): every export takes the Parameters first;
    // the C entry points fetch them from the caller's state object.
    numState = llvm::range_size(module.getOps<ParameterOp>());
    if (numState > 0 && failed(emitStateFunctions(symbols)))
      return signalPassFailure();
    for (ParameterOp p :
         llvm::make_early_inc_range(module.getOps<ParameterOp>()))
      p.erase();
    for (LLVM::LLVMFuncOp fn : exports)
      if (failed(wrap(fn, symbols)))
        return signalPassFailure();
    if (auto text = module->getAttrOfType<StringAttr>(kExportsAttr)) {
      module->removeAttr(kExportsAttr);
      if (failed(emitModelFunction(text.getValue(), symbols)))
        return signalPassFailure();
    }
  }

  size_t numState = 0;
  LLVM::GlobalOp descriptor;

  /// Above this many bytes of stack buffers a function is not inlined.
  static constexpr uint64_t kInlineStackLimit = 64 * 1024;

  /// Bytes of the statically sized allocas of `fn`.
  static uint64_t stackBytes(LLVM::LLVMFuncOp fn) {
    uint64_t total = 0;
    DataLayout layout = DataLayout::closest(fn);
    fn.walk([&](LLVM::AllocaOp alloca) {
      IntegerAttr count;
      if (!matchPattern(alloca.getArraySize(), m_Constant(&count)))
        return;
      total += layout.getTypeSize(alloca.getElemType()) *
               count.getValue().getZExtValue();
    });
    return total;
  }

  /// The external runtime function `name`, declared once.
  LLVM::LLVMFuncOp runtimeFunction(SymbolTable &symbols, StringRef name,
                                   Type result, ArrayRef<Type> params) {
    if (auto fn = symbols.lookup<LLVM::LLVMFuncOp>(name))
      return fn;
    OpBuilder b(getOperation().getBodyRegion());
    auto fn =
        LLVM::LLVMFuncOp::create(b, getOperation().getLoc(), name,
                                 LLVM::LLVMFunctionType::get(result, params));
    symbols.insert(fn);
    return fn;
  }

  /// `<prefix>_state_create/init/save/load/destroy`, each forwarding to
  /// spore_state_* (runtime.h); create passes the module's descriptor.
  LogicalResult emitStateFunctions(SymbolTable &symbols) {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Location loc = module.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i32 = IntegerType::get(ctx, 32);
    auto i64 = IntegerType::get(ctx, 64);
    auto voidType = LLVM::LLVMVoidType::get(ctx);
    OpBuilder b(module.getBodyRegion());
    descriptor = stringGlobal(b, "__spore_state_descriptor",
                              spore::stateDescriptor(module), symbols);

    struct Forward {
      StringRef suffix;
      Type result;
      SmallVector<Type> params;
      bool withDescriptor;
    };
    Forward forwards[] = {
        {"create", i32, {ptr, ptr}, true},   {"init", i32, {ptr, i64}, false},
        {"save", i32, {ptr, ptr}, false},    {"load", i32, {ptr, ptr}, false},
        {"destroy", voidType, {ptr}, false},
    };
    b.setInsertionPointToEnd(module.getBody());
    for (const Forward &f : forwards) {
      std::string name = prefix + "_state_" + f.suffix.str();
      if (symbols.lookup(name))
        return module.emitError("the C function '")
               << name << "' clashes with another symbol of the module";
      SmallVector<Type> runtimeParams = f.params;
      if (f.withDescriptor)
        runtimeParams.insert(runtimeParams.begin() + 1, ptr);
      LLVM::LLVMFuncOp target = runtimeFunction(
          symbols, ("spore_state_" + f.suffix).str(), f.result, runtimeParams);
      auto fn = LLVM::LLVMFuncOp::create(
          b, loc, name, LLVM::LLVMFunctionType::get(f.result, f.params));
      OpBuilder::InsertionGuard guard(b);
      Block *body = fn.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      SmallVector<Value> args(body->getArguments());
      if (f.withDescriptor)
        args.insert(args.begin() + 1,
                    LLVM::AddressOfOp::create(b, loc, descriptor));
      auto call = LLVM::CallOp::create(b, loc, target, args);
      if (isa<LLVM::LLVMVoidType>(f.result))
        LLVM::ReturnOp::create(b, loc, ValueRange{});
      else
        LLVM::ReturnOp::create(b, loc, call.getResult());
      symbols.insert(fn);
    }
    return success();
  }

  /// An internal constant NUL-terminated string named `name`.
  LLVM::GlobalOp stringGlobal(OpBuilder &b, StringRef name, StringRef value,
                              SymbolTable &symbols) {
    std::string text = value.str();
    text.push_back('\0');
    auto type = LLVM::LLVMArrayType::get(b.getI8Type(), text.size());
    auto global = LLVM::GlobalOp::create(
        b, getOperation().getLoc(), type, /*isConstant=*/true,
        LLVM::Linkage::Internal, name, b.getStringAttr(text));
    symbols.insert(global);
    return global;
  }

  /// `const spore_model *<prefix>_model(void)` (runtime.h): the module's
  /// name, state descriptor, exports descriptor (`exports`, one line per
  /// export) and the packed entry points in the descriptor's order.
  LogicalResult emitModelFunction(StringRef exports, SymbolTable &symbols) {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    Location loc = module.getLoc();
    auto [i32, i64, ptr, voidType] = types();
    std::string name = prefix + "_model";
    if (symbols.lookup(name))
      return module.emitError("the C function '")
             << name << "' clashes with another symbol of the module";
    SmallVector<LLVM::LLVMFuncOp> entries;
    SmallVector<StringRef> lines;
    exports.split(lines, '\n', -1, /*KeepEmpty=*/false);
    for (StringRef line : lines) {
      std::string packed =
          "__spore_packed_" + prefix + "_" + line.split(' ').first.str();
      auto fn = symbols.lookup<LLVM::LLVMFuncOp>(packed);
      if (!fn)
        return module.emitError("spore.exports names '")
               << line.split(' ').first << "', which is not an export";
      entries.push_back(fn);
    }
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    LLVM::GlobalOp nameText =
        stringGlobal(b, "__spore_model_name", prefix, symbols);
    LLVM::GlobalOp stateText =
        numState > 0 ? descriptor
                     : stringGlobal(b, "__spore_state_descriptor", "", symbols);
    LLVM::GlobalOp exportsText =
        stringGlobal(b, "__spore_exports_descriptor", exports, symbols);
    auto tableType = LLVM::LLVMArrayType::get(ptr, entries.size());
    auto table = LLVM::GlobalOp::create(b, loc, tableType, /*isConstant=*/true,
                                        LLVM::Linkage::Internal,
                                        "__spore_entries", Attribute());
    symbols.insert(table);
    {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&table.getInitializerRegion());
      Value array = LLVM::UndefOp::create(b, loc, tableType);
      for (auto [i, fn] : llvm::enumerate(entries))
        array = LLVM::InsertValueOp::create(
            b, loc, array, LLVM::AddressOfOp::create(b, loc, fn),
            ArrayRef<int64_t>{(int64_t)i});
      LLVM::ReturnOp::create(b, loc, array);
    }
    // struct spore_model { name, state_descriptor, exports, entries,
    // num_entries }.
    auto modelType =
        LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, ptr, ptr, i32});
    auto model = LLVM::GlobalOp::create(b, loc, modelType, /*isConstant=*/true,
                                        LLVM::Linkage::Internal,
                                        "__spore_model", Attribute());
    symbols.insert(model);
    {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&model.getInitializerRegion());
      Value value = LLVM::UndefOp::create(b, loc, modelType);
      // A named array: an initializer list's would end with the loop's
      // first line.
      LLVM::GlobalOp fields[] = {nameText, stateText, exportsText, table};
      for (auto [i, global] : llvm::enumerate(fields))
        value = LLVM::InsertValueOp::create(
            b, loc, value, LLVM::AddressOfOp::create(b, loc, global),
            ArrayRef<int64_t>{(int64_t)i});
      value = LLVM::InsertValueOp::create(
          b, loc, value,
          LLVM::ConstantOp::create(b, loc, i32, (int32_t)entries.size()),
          ArrayRef<int64_t>{4});
      LLVM::ReturnOp::create(b, loc, value);
    }
    auto fn = LLVM::LLVMFuncOp::create(b, loc, name,
                                       LLVM::LLVMFunctionType::get(ptr, {}));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(fn.addEntryBlock(b));
    LLVM::ReturnOp::create(
        b, loc, ValueRange{LLVM::AddressOfOp::create(b, loc, model)});
    symbols.insert(fn);
    return success();
  }

  /// The LLVM types of the C entry points: i32, i64, ptr and void.
  std::tuple<Type, Type, Type, Type> types() {
    MLIRContext *ctx = &getContext();
    return {IntegerType::get(ctx, 32), IntegerType::get(ctx, 64),
            LLVM::LLVMPointerType::get(ctx), LLVM::LLVMVoidType::get(ctx)};
  }

  /// Whether `fn` or a function it calls calls one of `targets`.
  static bool reaches(LLVM::LLVMFuncOp fn, ArrayRef<StringRef> targets,
                      SymbolTable &symbols) {
    llvm::SmallPtrSet<Operation *, 16> seen;
    SmallVector<LLVM::LLVMFuncOp> work{fn};
    while (!work.empty()) {
      LLVM::LLVMFuncOp f = work.pop_back_val();
      if (!f || !seen.insert(f).second)
        continue;
      bool found = false;
      f.walk([&](LLVM::CallOp call) {
        std::optional<StringRef> callee = call.getCallee();
        if (!callee)
          return;
        found |= llvm::is_contained(targets, *callee);
        work.push_back(symbols.lookup<LLVM::LLVMFuncOp>(*callee));
      });
      if (found)
        return true;
    }
    return false;
  }

  /// The `count` pointers of the array at `base`.
  static SmallVector<Value> loadPointers(OpBuilder &b, Location loc, Value base,
                                         size_t count) {
    auto ptr = LLVM::LLVMPointerType::get(b.getContext());
    SmallVector<Value> loaded;
    for (size_t i = 0; i < count; ++i) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, base,
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
      loaded.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
    }
    return loaded;
  }

  /// Returns `status` from `entry` when `pointer` is NULL; the builder
  /// goes on where it is not.
  static void returnIfNull(OpBuilder &b, Location loc, LLVM::LLVMFuncOp entry,
                           Value pointer, int32_t status) {
    auto ptr = LLVM::LLVMPointerType::get(b.getContext());
    Value missing =
        LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, pointer,
                             LLVM::ZeroOp::create(b, loc, ptr));
    Block *fail = entry.addBlock();
    Block *ok = entry.addBlock();
    LLVM::CondBrOp::create(b, loc, missing, fail, ok);
    b.setInsertionPointToStart(fail);
    LLVM::ReturnOp::create(
        b, loc, LLVM::ConstantOp::create(b, loc, b.getI32Type(), status));
    b.setInsertionPointToStart(ok);
  }

  /// The runtime functions that unwind a call to its guard: a failed
  /// allocation, a recursion that used up the native stack.
  static constexpr std::array<StringRef, 2> kUnwinding = {
      "spore_buffer_alloc_at", "spore_stack_check"};

  /// Calls `impl` on `args` and returns the call's status: 0, or, when
  /// `impl` allocates heap buffers or recurses, SPORE_ERROR_MEMORY from
  /// spore_call_guarded if one of its allocations failed or the stack ran
  /// out (the runtime then unwinds the call and frees what it had
  /// allocated). The guarded call
  /// goes through an internal trampoline that takes the arguments as an
  /// array of pointers.
  Value callImpl(OpBuilder &b, LLVM::LLVMFuncOp impl, ValueRange args,
                 SymbolTable &symbols) {
    Location loc = impl.getLoc();
    auto [i32, i64, ptr, voidType] = types();
    if (!reaches(impl, kUnwinding, symbols)) {
      LLVM::CallOp::create(b, loc, impl, args);
      return LLVM::ConstantOp::create(b, loc, i32, 0);
    }
    std::string name = (impl.getSymName() + ".guarded").str();
    auto trampoline = symbols.lookup<LLVM::LLVMFuncOp>(name);
    if (!trampoline) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfter(impl);
      trampoline = LLVM::LLVMFuncOp::create(
          b, loc, name, LLVM::LLVMFunctionType::get(voidType, {ptr}),
          LLVM::Linkage::Internal);
      Block *body = trampoline.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      LLVM::CallOp::create(
          b, loc, impl,
          loadPointers(b, loc, body->getArgument(0), args.size()));
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      symbols.insert(trampoline);
    }
    Value frame = LLVM::AllocaOp::create(
        b, loc, ptr, ptr,
        LLVM::ConstantOp::create(b, loc, i64,
                                 std::max<size_t>(args.size(), 1)));
    for (auto [i, arg] : llvm::enumerate(args)) {
      Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, frame,
                                       ArrayRef<LLVM::GEPArg>{(int32_t)i});
      LLVM::StoreOp::create(b, loc, arg, slot);
    }
    auto guarded =
        runtimeFunction(symbols, "spore_call_guarded", i32, {ptr, ptr});
    return LLVM::CallOp::create(
               b, loc, guarded,
               ValueRange{LLVM::AddressOfOp::create(b, loc, trampoline), frame})
        .getResult();
  }

  /// Calls `impl` when the call can fail (an assert, an index check, a
  /// heap allocation): its results go to one staging block of the
  /// runtime's memory, copied to the caller's buffers only if the call
  /// succeeds, so that a failing call writes none of them; returns the
  /// call's status.
  /// The new values of the state (the last `numWrites` results) go to
  /// the state's spare buffers directly: they become the state only when
  /// the call succeeds. Leaves the builder where the call has returned.
  FailureOr<Value> callStaged(OpBuilder &b, LLVM::LLVMFuncOp entry,
                              LLVM::LLVMFuncOp impl,
                              SmallVector<Value> implArgs, size_t numWrites,
                              SymbolTable &symbols) {
    Location loc = impl.getLoc();
    auto [i32, i64, ptr, voidType] = types();
    auto bytesAttr = impl->getAttrOfType<DenseI64ArrayAttr>(
        FuncOp::getResultBytesAttrName());
    if (!bytesAttr || bytesAttr.size() > (int64_t)implArgs.size() ||
        bytesAttr.size() < (int64_t)numWrites)
      return impl.emitOpError("export without the bytes of its results");
    ArrayRef<int64_t> resultBytes = bytesAttr.asArrayRef().drop_back(numWrites);
    // Each result at a 64-byte aligned offset of the block.
    SmallVector<int64_t> offsets;
    int64_t total = 0;
    for (int64_t bytes : resultBytes) {
      offsets.push_back(total);
      total += (bytes + 63) / 64 * 64;
    }
    auto take = runtimeFunction(symbols, "spore_take_status", i32, {});
    // The status of a call: its allocations' failure, else its checks'.
    auto statusOf = [&, i32 = i32](Value guarded) -> Value {
      Value checked =
          LLVM::CallOp::create(b, loc, take, ValueRange{}).getResult();
      Value failedAlloc =
          LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, guarded,
                               LLVM::ConstantOp::create(b, loc, i32, 0));
      return LLVM::SelectOp::create(b, loc, failedAlloc, guarded, checked);
    };
    if (total == 0)
      return statusOf(callImpl(b, impl, implArgs, symbols));
    auto alloc =
        runtimeFunction(symbols, "spore_aligned_alloc", ptr, {i64, i64});
    auto release = runtimeFunction(symbols, "spore_free", voidType, {ptr});
    Value block = LLVM::CallOp::create(
                      b, loc, alloc,
                      ValueRange{LLVM::ConstantOp::create(b, loc, i64, 64),
                                 LLVM::ConstantOp::create(b, loc, i64, total)})
                      .getResult();
    returnIfNull(b, loc, entry, block, 4 /*SPORE_ERROR_MEMORY*/);
    size_t first = implArgs.size() - numWrites - offsets.size();
    SmallVector<Value> outputs(implArgs.begin() + first,
                               implArgs.begin() + first + offsets.size());
    SmallVector<Value> staged;
    for (int64_t offset : offsets)
      staged.push_back(LLVM::GEPOp::create(b, loc, ptr, b.getI8Type(), block,
                                           ArrayRef<LLVM::GEPArg>{offset}));
    llvm::copy(staged, implArgs.begin() + first);
    Value status = statusOf(callImpl(b, impl, implArgs, symbols));
    Value ok = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, status,
                                    LLVM::ConstantOp::create(b, loc, i32, 0));
    Block *copy = entry.addBlock();
    Block *done = entry.addBlock();
    LLVM::CondBrOp::create(b, loc, ok, copy, done);
    b.setInsertionPointToStart(copy);
    for (auto [to, from, bytes] : llvm::zip(outputs, staged, resultBytes))
      LLVM::MemcpyOp::create(b, loc, to, from,
                             LLVM::ConstantOp::create(b, loc, i64, bytes),
                             /*isVolatile=*/false);
    LLVM::BrOp::create(b, loc, done);
    b.setInsertionPointToStart(done);
    LLVM::CallOp::create(b, loc, release, ValueRange{block});
    return status;
  }

  Type voidTypeOf() { return std::get<3>(types()); }

  /// The address of a constant array of the i64 `slots`, named after the
  /// entry point `name`.
  Value slotArray(OpBuilder &b, Location loc, StringRef name,
                  ArrayRef<int64_t> slots, SymbolTable &symbols) {
    MLIRContext *ctx = &getContext();
    auto i64 = IntegerType::get(ctx, 64);
    auto arrayType = LLVM::LLVMArrayType::get(i64, slots.size());
    std::string global = ("__spore_writes_" + name).str();
    auto existing = symbols.lookup<LLVM::GlobalOp>(global);
    if (!existing) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(getOperation().getBody());
      existing = LLVM::GlobalOp::create(
          b, loc, arrayType, /*isConstant=*/true, LLVM::Linkage::Internal,
          global,
          DenseElementsAttr::get(
              RankedTensorType::get({(int64_t)slots.size()}, i64), slots));
      symbols.insert(existing);
    }
    return LLVM::AddressOfOp::create(b, loc, existing);
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

    if (numParams < numState)
      return impl.emitOpError("exported function takes fewer arguments than "
                              "the module has Parameters");
    // The slots whose new values the export's last results are
    // (spore-thread-state): spare buffers of the state, not the caller's.
    SmallVector<int64_t> writes;
    if (auto attr = impl->getAttrOfType<DenseI64ArrayAttr>(kStateWritesAttr))
      llvm::append_range(writes, attr.asArrayRef());
    impl->removeAttr(kStateWritesAttr);
    if (numParams < numState + writes.size())
      return impl.emitOpError("exported function takes fewer arguments than "
                              "its Parameters and state updates");
    // The C parameters: the state object (when the module has one), then
    // the buffers after the Parameters, but for the state updates.
    SmallVector<Type> cParams;
    if (numState > 0)
      cParams.push_back(ptr);
    llvm::append_range(
        cParams,
        implType.getParams().drop_front(numState).drop_back(writes.size()));
    size_t numCParams = cParams.size();

    // int <prefix>_<name>(ptr...): call and return 0, or the status of a
    // failure (an assert, an index out of bounds) raised during the call
    // when the module can.
    auto entry = LLVM::LLVMFuncOp::create(
        b, loc, name, LLVM::LLVMFunctionType::get(i32, cParams));
    for (unsigned i = numState > 0 ? 1 : 0; i < numCParams; ++i)
      entry.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                       UnitAttr::get(ctx));
    {
      OpBuilder::InsertionGuard guard(b);
      Block *body = entry.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      SmallVector<Value> implArgs;
      if (numState > 0) {
        // The Parameters' buffers; a NULL state, or one made for another
        // model, fails the call with the runtime's message.
        LLVM::LLVMFuncOp buffers =
            runtimeFunction(symbols, "spore_state_buffers", ptr, {ptr, ptr});
        Value table =
            LLVM::CallOp::create(
                b, loc, buffers,
                ValueRange{body->getArgument(0),
                           LLVM::AddressOfOp::create(b, loc, descriptor)})
                .getResult();
        returnIfNull(b, loc, entry, table, 1 /*SPORE_ERROR_ARGUMENT*/);
        implArgs = loadPointers(b, loc, table, numState);
        llvm::append_range(implArgs, body->getArguments().drop_front());
      } else {
        llvm::append_range(implArgs, body->getArguments());
      }
      Value slots;
      if (!writes.empty()) {
        slots = slotArray(b, loc, name, writes, symbols);
        auto spares = runtimeFunction(symbols, "spore_state_spares", ptr,
                                      {ptr, ptr, i32});
        Value count = LLVM::ConstantOp::create(b, loc, i32, writes.size());
        Value table =
            LLVM::CallOp::create(b, loc, spares,
                                 ValueRange{entry.getArgument(0), slots, count})
                .getResult();
        returnIfNull(b, loc, entry, table, 4 /*SPORE_ERROR_MEMORY*/);
        llvm::append_range(implArgs,
                           loadPointers(b, loc, table, writes.size()));
      }
      // A call that can fail (a check, a heap allocation) writes its
      // results only when it succeeds.
      Value status;
      if (!reaches(impl, {"spore_fail_code", kUnwinding[0], kUnwinding[1]},
                   symbols)) {
        LLVM::CallOp::create(b, loc, impl, implArgs);
        status = LLVM::ConstantOp::create(b, loc, i32, 0);
      } else {
        auto staged =
            callStaged(b, entry, impl, implArgs, writes.size(), symbols);
        if (failed(staged))
          return failure();
        status = *staged;
      }
      if (!writes.empty()) {
        // The new values become the state when the call succeeded.
        Value ok =
            LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, status,
                                 LLVM::ConstantOp::create(b, loc, i32, 0));
        Block *commit = entry.addBlock();
        Block *done = entry.addBlock();
        LLVM::CondBrOp::create(b, loc, ok, commit, done);
        b.setInsertionPointToStart(commit);
        auto commitFn = runtimeFunction(symbols, "spore_state_commit",
                                        voidTypeOf(), {ptr, ptr, i32});
        LLVM::CallOp::create(
            b, loc, commitFn,
            ValueRange{entry.getArgument(0), slots,
                       LLVM::ConstantOp::create(b, loc, i32, writes.size())});
        LLVM::BrOp::create(b, loc, done);
        b.setInsertionPointToStart(done);
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
    auto call = LLVM::CallOp::create(
        b, loc, entry, loadPointers(b, loc, body->getArgument(0), numCParams));
    LLVM::ReturnOp::create(b, loc, call.getResult());
    symbols.insert(entry);
    symbols.insert(packed);
    return success();
  }
};

} // namespace
