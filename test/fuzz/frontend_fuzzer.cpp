//===- frontend_fuzzer.cpp - libFuzzer target over the frontend -----------===//
//
// Feeds arbitrary bytes to the frontend (lexer, parser, semantic analysis
// and IR emission, with the verifier): any input must give a module or
// located errors, never a crash, a sanitizer report or a hang.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "compiler/frontend/IRGen.h"
#include "dialects/spore/SporeOps.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    mlir::DialectRegistry registry;
    spore::driver::registerDialects(registry);
    auto *ctx = new mlir::MLIRContext(registry);
    ctx->loadDialect<spore::SporeDialect>();
    ctx->disableMultithreading();
    return ctx;
  }();
  llvm::StringRef source(reinterpret_cast<const char *>(data), size);
  auto module = spore::frontend::compileSource(source, "fuzz.py", *context,
                                               llvm::nulls());
  (void)module;
  return 0;
}
