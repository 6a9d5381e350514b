//===- Pipelines.cpp - Spore's named pass pipelines -----------------------===//
//
// Chains Spore's passes with upstream MLIR passes into the pipelines the
// driver runs, and registers them for spore-opt.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void spore::buildDifferentiatePipeline(OpPassManager &pm, bool shareFunctions) {
  // One function per repeated block, before differentiation multiplies it.
  if (shareFunctions)
    pm.addPass(createSporeShareFunctions());
  pm.addPass(createSporeDifferentiate());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSporeDeadLoopState());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSymbolDCEPass());
  // Derivatives of one block type made for different operands may be
  // twins, and backward functions may not read every argument.
  if (shareFunctions)
    pm.addPass(createSporeShareFunctions());
  // State updates become results once nothing differentiates them.
  pm.addPass(createSporeThreadState());
}

void spore::buildLowerToLinalgPipeline(OpPassManager &pm, bool differentiate) {
  // Transforms first: what they generate is ordinary spore IR.
  if (differentiate)
    buildDifferentiatePipeline(pm);
  pm.addPass(createSporeLowerToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void spore::buildCpuPipeline(OpPassManager &pm,
                             const CpuPipelineOptions &options) {
  buildLowerToLinalgPipeline(pm, options.differentiate);
  if (options.optLevel > 0) {
    // Inline calls between model functions, so that fusion and buffer
    // planning see whole exports; drop the functions left unused.
    pm.addPass(createInlinerPass());
    pm.addPass(createSymbolDCEPass());
    // A loop that evaluates the same values on every iteration (the
    // primal of a jvp seeded per column) computes them once.
    pm.addPass(createSporeHoistInvariants());
    pm.addPass(createSporeFuseElementwise());
    // An SGD step on a weight gradient accumulates the product onto the
    // weight: the gradient is never stored.
    pm.addNestedPass<func::FuncOp>(createSporeAccumulateUpdates());
    // Scalars (0-d tensors) as values, so that loops carry them in
    // registers rather than in a buffer per iteration.
    pm.addPass(createSporeScalarize());
    pm.addPass(createSporeApproximateMath());
    pm.addPass(createCanonicalizerPass());
  }

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A loop may yield a new buffer per iteration (e.g. x = x * 2); the
  // deallocation pipeline frees the old ones.
  bufferize.allowReturnAllocsFromLoops = true;
  // Buffers of loop and branch results get identity layouts too: a
  // strided one would make copies into results call MLIR's runtime
  // (memrefCopy), which a Spore library does not link.
  bufferize.unknownTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  if (options.optLevel > 0) {
    // Large products read transposed operands in place (their packing
    // copies read any layout), so the transposes' copies go.
    pm.addNestedPass<func::FuncOp>(createSporeFoldTransposes());
  }
  // Each product writes into a fill of its own, not a copy of a shared one.
  pm.addNestedPass<func::FuncOp>(createSporeFillsAtUses());
  pm.addNestedPass<func::FuncOp>(createSporeDistinctResults());
  // Constants' globals in program order: the object's bytes do not change
  // from run to run.
  SporeConstantGlobalsOptions constants;
  constants.alignment = bufferize.bufferAlignment;
  pm.addPass(createSporeConstantGlobals(constants));
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));

  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));

  // Results are the caller's buffers (above); static intermediates go on
  // the stack within a budget, so a call of a small model never mallocs.
  SporePlanStackOptions stack;
  stack.budget = options.stackBudget;
  pm.addNestedPass<func::FuncOp>(createSporePlanStack(stack));
  pm.addNestedPass<func::FuncOp>(
      bufferization::createPromoteBuffersToStackPass([](Value alloc) {
        Operation *def = alloc.getDefiningOp();
        return def && def->hasAttr(spore::kStackAttr);
      }));

  // Upstream's buffer-deallocation-pipeline, with spore-free-after-last-use
  // right before the ownership-based deallocation: buffers that die inside
  // their block are freed there, and upstream frees the rest at the ends of
  // blocks. (The pipeline's first canonicalisation rebuilds allocations
  // whose sizes fold, dropping the mark the two passes agree on, so the
  // pass cannot run before the whole pipeline.)
  memref::ExpandReallocPassOptions expandRealloc;
  expandRealloc.emitDeallocs = false;
  pm.addPass(memref::createExpandReallocPass(expandRealloc));
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createSporeFreeAfterLastUse());
  pm.addPass(bufferization::createOwnershipBasedBufferDeallocationPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createBufferDeallocationSimplificationPass());
  pm.addPass(bufferization::createLowerDeallocationsPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createConvertBufferizationToMemRefPass());
  // Deallocations of loop-carried buffers call a generated helper that
  // takes dynamically shaped memrefs, which the bare-pointer convention
  // below cannot pass: inline it.
  pm.addPass(createInlinerPass());
  pm.addPass(createSymbolDCEPass());
  if (options.optLevel > 0) {
    // Large matrix products read packed, cache-blocked operands; large ops
    // split into chunks for the runtime's threads (before the register
    // tiles, which then tile each chunk).
    pm.addNestedPass<func::FuncOp>(createSporePackContractions());
    pm.addNestedPass<func::FuncOp>(createSporeParallelize());
    // Register tiles for contractions. Transfers are then rewritten to
    // index the whole buffer instead of a subview, which is the form in
    // which upstream hoists an accumulator out of the reduction loop.
    pm.addNestedPass<func::FuncOp>(createSporeVectorizeContractions());
    pm.addPass(memref::createFoldMemRefAliasOpsPass());
    pm.addPass(createCSEPass());
    pm.addPass(createCanonicalizerPass());
    pm.addNestedPass<func::FuncOp>(createSporeLowerVectors());
  }
  pm.addNestedPass<func::FuncOp>(createSporeLowerStridedCopies());
  // N-d transfers unroll into 1-d ones on registers, not through buffers.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));

  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Outermost chunked loops run on threads; the rest become serial loops.
  pm.addNestedPass<func::FuncOp>(createSporeForallToParallel());
  pm.addNestedPass<func::FuncOp>(createSporeHoistAllocas());
  // Long functions (the step of a deep model) become calls of their loop
  // nests, identical nests one function: compile time linear in the depth.
  pm.addPass(createSporeOutlineLoops());
  // What is left of such a function passes buffers between calls: one
  // allocation per call holds them.
  pm.addNestedPass<func::FuncOp>(createSporeArenaBuffers());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());

  // Math without an LLVM intrinsic (erf, tan, atan, cosh, expm1, ... in
  // f64, and in f32 where no approximation replaced it) calls libm.
  pm.addPass(createSporeMathToLibm());

  // Exports take plain pointers (language.md §8): static shapes make the
  // descriptor redundant, so the bare-pointer convention is exact.
  pm.addPass(createSporeBufferAlignment());
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createSporeOutlineParallel());
  pm.addPass(createSporeRuntimeBuffers());

  SporeEmitCABIOptions abi;
  abi.prefix = options.prefix;
  pm.addPass(createSporeEmitCABI(abi));
  pm.addPass(createCanonicalizerPass());
}

namespace {
struct CpuPipelineCLOptions : public PassPipelineOptions<CpuPipelineCLOptions> {
  Option<std::string> prefix{*this, "prefix",
                             llvm::cl::desc("prefix of exported C symbols"),
                             llvm::cl::init("model")};
  Option<unsigned> optLevel{*this, "opt-level",
                            llvm::cl::desc("optimisation level 0..3"),
                            llvm::cl::init(2)};
  Option<uint64_t> stackBudget{
      *this, "stack-budget",
      llvm::cl::desc("bytes of intermediates per function on the stack"),
      llvm::cl::init(1 << 20)};
};
} // namespace

void spore::registerSporePassesAndPipelines() {
  registerSporePasses();
  PassPipelineRegistration<>(
      "spore-differentiate-pipeline",
      "spore-differentiate, the clean-up of its adjoints, then "
      "spore-thread-state",
      [](OpPassManager &pm) { buildDifferentiatePipeline(pm); });
  PassPipelineRegistration<>(
      "spore-lower-to-linalg-pipeline",
      "spore → linalg on tensors, canonicalised",
      [](OpPassManager &pm) { buildLowerToLinalgPipeline(pm); });
  PassPipelineRegistration<CpuPipelineCLOptions>(
      "spore-cpu-pipeline",
      "spore → LLVM dialect with the C entry points of exported functions",
      [](OpPassManager &pm, const CpuPipelineCLOptions &cl) {
        CpuPipelineOptions options;
        options.prefix = cl.prefix;
        options.optLevel = cl.optLevel;
        options.stackBudget = cl.stackBudget;
        buildCpuPipeline(pm, options);
      });
}
