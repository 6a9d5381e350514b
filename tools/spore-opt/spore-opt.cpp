//===- spore-opt.cpp - mlir-opt with Spore's dialects and passes ----------===//
//
// The driver for lit tests: every upstream dialect and pass, plus Spore's.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  spore::registerSporePassesAndPipelines();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<spore::SporeDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Spore optimizer driver\n", registry));
}
