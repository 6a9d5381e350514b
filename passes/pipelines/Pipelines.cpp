//===- Pipelines.cpp - Spore's named pass pipelines
//-------------------------===//
//
// Chains Spore's passes with upstream MLIR passes into the pipelines the
// driver runs, and registers them for spore-opt.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void spore::buildLowerToLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createSporeLowerToLinalg());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void spore::buildCpuPipeline(OpPassManager &pm,
                             const CpuPipelineOptions &options) {
  buildLowerToLinalgPipeline(pm);
  if (options.optLevel > 0)
    pm.addPass(createLinalgElementwiseOpFusionPass());

  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));

  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));

  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createConvertBufferizationToMemRefPass());

  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());

  // Exports take plain pointers (language.md §8): static shapes make the
  // descriptor redundant, so the bare-pointer convention is exact.
  ConvertFuncToLLVMPassOptions funcToLLVM;
  funcToLLVM.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcToLLVM));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());

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
};
} // namespace

void spore::registerSporePassesAndPipelines() {
  registerSporePasses();
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
        buildCpuPipeline(pm, options);
      });
}
