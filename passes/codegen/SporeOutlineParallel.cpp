//===- SporeOutlineParallel.cpp - parallel loop bodies as functions -------===//
//
// Defines `spore-outline-parallel`: on the LLVM dialect, the body of each
// spore.parallel becomes an internal function of (context, begin, end),
// and the op a call of the runtime's spore_parallel_for, which runs ranges
// of iterations on oneTBB's workers. The values the body uses from outside
// travel in a struct on the caller's stack.
//
// Upstream's route to threads (async-parallel-for, then the async runtime
// and LLVM coroutines) needs MLIR's own async runtime library at run time;
// outlining to one runtime call keeps Spore's runtime the only dependency.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"

namespace spore {
#define GEN_PASS_DEF_SPOREOUTLINEPARALLEL
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kRuntimeFn = "spore_parallel_for";

/// Values cheaper to make again inside the body than to pass.
bool rematerializable(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         (def->hasTrait<OpTrait::ConstantLike>() ||
          isa<LLVM::AddressOfOp, LLVM::ZeroOp, LLVM::UndefOp, LLVM::PoisonOp>(
              def));
}

struct SporeOutlineParallelPass
    : spore::impl::SporeOutlineParallelBase<SporeOutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<spore::ParallelOp> loops;
    // Post-order: a loop nested in another is outlined first, and its call
    // then moves with the outer body.
    module.walk([&](spore::ParallelOp op) { loops.push_back(op); });
    if (loops.empty())
      return;
    SymbolTable symbols(module);
    if (symbols.lookup(kRuntimeFn)) {
      module.emitError("'") << kRuntimeFn << "' is already declared";
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    runtime = LLVM::LLVMFuncOp::create(
        b, module.getLoc(), kRuntimeFn,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                    {ptr, ptr, i64}));
    symbols.insert(runtime);
    for (spore::ParallelOp op : loops)
      if (failed(outline(op, symbols)))
        return signalPassFailure();
  }

  LogicalResult outline(spore::ParallelOp op, SymbolTable &symbols) {
    auto parent = op->getParentOfType<LLVM::LLVMFuncOp>();
    if (!parent)
      return op.emitOpError("must be inside an llvm.func: run this pass "
                            "after the conversion to the LLVM dialect");
    for (Block &block : op.getBody())
      for (Operation &inner : block)
        if (!isa<LLVM::LLVMDialect>(inner.getDialect()) &&
            !isa<spore::ParallelYieldOp>(inner))
          return inner.emitOpError("is left in a spore.parallel body after "
                                   "the conversion to the LLVM dialect");
    MLIRContext *ctx = &getContext();
    Location loc = op.getLoc();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    Region &body = op.getBody();
    Block &entry = body.front();

    // What the body uses from outside: constants are made again inside,
    // the rest goes through the context struct.
    llvm::SetVector<Value> used;
    getUsedValuesDefinedAbove(body, used);
    OpBuilder b(ctx);
    b.setInsertionPointToStart(&entry);
    SmallVector<Value> captures;
    for (Value v : used) {
      if (!rematerializable(v)) {
        captures.push_back(v);
        continue;
      }
      Value copy = b.clone(*v.getDefiningOp())->getResult(0);
      replaceAllUsesInRegionWith(v, copy, body);
    }
    SmallVector<Type> fields;
    for (Value v : captures)
      fields.push_back(v.getType());
    auto contextType = LLVM::LLVMStructType::getLiteral(ctx, fields);

    // The context lives in the entry block of the caller's allocation
    // scope, so that a loop around the op reuses one slot.
    Operation *scope = op->getParentOp();
    while (!isa<LLVM::LLVMFuncOp, spore::ParallelOp>(scope))
      scope = scope->getParentOp();
    b.setInsertionPointToStart(&scope->getRegion(0).front());
    Value one = LLVM::ConstantOp::create(b, loc, i64, 1);
    Value context = LLVM::AllocaOp::create(b, loc, ptr, contextType, one);

    b.setInsertionPoint(op);
    for (auto [i, v] : llvm::enumerate(captures)) {
      Value field = LLVM::GEPOp::create(
          b, loc, ptr, contextType, context,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(b, loc, v, field);
    }

    // The body as `void <parent>_parallel<N>(ptr, i64, i64)`.
    b.setInsertionPoint(parent);
    auto fn = LLVM::LLVMFuncOp::create(
        b, loc, (parent.getName() + "_parallel").str(),
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                    {ptr, i64, i64}),
        LLVM::Linkage::Internal);
    symbols.insert(fn); // renames it when the name is taken
    fn.getBody().takeBody(body);
    Block &fnEntry = fn.getBody().front();
    Value fnContext = fnEntry.insertArgument(0u, ptr, loc);
    b.setInsertionPointToStart(&fnEntry);
    for (auto [i, v] : llvm::enumerate(captures)) {
      Value field = LLVM::GEPOp::create(
          b, loc, ptr, contextType, fnContext,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      Value loaded = LLVM::LoadOp::create(b, loc, v.getType(), field);
      v.replaceUsesWithIf(loaded, [&](OpOperand &use) {
        return fn->isProperAncestor(use.getOwner());
      });
    }
    SmallVector<spore::ParallelYieldOp> yields;
    fn.walk([&](spore::ParallelYieldOp y) { yields.push_back(y); });
    for (spore::ParallelYieldOp y : yields) {
      b.setInsertionPoint(y);
      LLVM::ReturnOp::create(b, y.getLoc(), ValueRange{});
      y.erase();
    }

    // Equal bodies (the packed kernels of matrix products of one shape)
    // are one function.
    fn = spore::shareFunction(fn, made, symbols);
    b.setInsertionPoint(op);
    Value address = LLVM::AddressOfOp::create(b, loc, fn);
    LLVM::CallOp::create(b, loc, runtime,
                         ValueRange{address, context, op.getIterations()});
    op.erase();
    return success();
  }

  LLVM::LLVMFuncOp runtime;
  /// The functions outlined so far.
  spore::MadeFunctions<LLVM::LLVMFuncOp> made;
};

} // namespace
