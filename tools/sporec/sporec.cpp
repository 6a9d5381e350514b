//===- sporec.cpp - the Spore compiler ------------------------------------===//
//
// model.py → spore IR → linalg → LLVM → object file (or shared library) plus
// the C and C++ headers of its exports. Exits 1 on any user error.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "compiler/frontend/IRGen.h"
#include "dialects/spore/SporeOps.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace llvm;
namespace driver = spore::driver;

namespace {
enum class Emit { Spore, SporeAD, Linalg, LLVM, Asm, Obj, PTX };

cl::OptionCategory category("sporec options");
cl::opt<std::string> input(cl::Positional, cl::desc("<model.py>"), cl::Required,
                           cl::cat(category));
cl::opt<std::string> output("o",
                            cl::desc("output file (default: <model>.o, "
                                     "lib<model>.so with --shared, "
                                     "stdout for IR)"),
                            cl::value_desc("path"), cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("what to produce"), cl::init(Emit::Obj),
    cl::values(clEnumValN(Emit::Spore, "spore", "spore IR after the frontend"),
               clEnumValN(Emit::SporeAD, "spore-ad",
                          "spore IR after differentiation (grad expanded)"),
               clEnumValN(Emit::Linalg, "linalg", "linalg on tensors"),
               clEnumValN(Emit::LLVM, "llvm", "optimised LLVM IR"),
               clEnumValN(Emit::Asm, "asm", "native assembly"),
               clEnumValN(Emit::Obj, "obj", "object file + headers (default)"),
               clEnumValN(Emit::PTX, "ptx", "CUDA PTX (not supported yet)")),
    cl::cat(category));
cl::opt<bool> shared("shared",
                     cl::desc("link a shared library instead of an object"),
                     cl::cat(category));
enum OptLevel { O0, O1, O2, O3 };
cl::opt<OptLevel> optLevel(cl::desc("optimisation level:"), cl::init(O2),
                           cl::values(clEnumVal(O0, "no optimisation"),
                                      clEnumVal(O1, "light"),
                                      clEnumVal(O2, "default"),
                                      clEnumVal(O3, "aggressive")),
                           cl::cat(category));
cl::opt<std::string> headerDir(
    "header-dir",
    cl::desc("where to write <model>.h and <model>.hpp (default: beside "
             "the output)"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<std::string> target("target",
                            cl::desc("code generation target: cpu (default); "
                                     "cuda:sm_XX is not supported yet"),
                            cl::init("cpu"), cl::cat(category));
cl::opt<std::string>
    cpu("cpu",
        cl::desc("the CPU to generate code for: an LLVM CPU name (x86-64-v2, "
                 "x86-64-v3, znver4, ...) or host, this machine (the default). "
                 "An object run on a CPU without the features it was compiled "
                 "for returns SPORE_ERROR_CPU at its first call"),
        cl::value_desc("name"), cl::init("host"), cl::cat(category));
cl::opt<bool> noRuntimeChecks(
    "no-runtime-checks",
    cl::desc("omit the run-time checks of indices and range steps (faster; "
             "a bad index is then clamped silently)"),
    cl::cat(category));
cl::opt<bool> timeReport(
    "time-report",
    cl::desc("print the wall time of each stage (parsing, differentiation, "
             "the MLIR pipelines, LLVM IR translation, LLVM optimisation, "
             "code generation, linking) and the object's size to stderr"),
    cl::cat(category));
cl::opt<bool> inlineAll(
    "inline-all",
    cl::desc("inline every call into the exports instead of compiling "
             "repeated blocks once (docs/ir.md, \"Functions\"): longer "
             "compiles for deep models"),
    cl::cat(category));
cl::opt<unsigned> codegenThreads(
    "codegen-threads",
    cl::desc("threads for code generation: a large model is generated in "
             "parts of whole functions, in parallel (0, the default: every "
             "core this process may run on). The object is the same for "
             "any count"),
    cl::value_desc("n"), cl::init(0), cl::cat(category));
cl::opt<bool> noLocations("no-locations",
                          cl::desc("omit source locations from printed IR"),
                          cl::cat(category));

int fail(const Twine &message) {
  errs() << "sporec: error: " << message << "\n";
  return 1;
}

/// Prints MLIR (with source locations unless --no-locations).
int printIR(mlir::ModuleOp module) {
  std::string path = output.empty() ? "-" : output.getValue();
  std::error_code ec;
  ToolOutputFile out(path, ec, sys::fs::OF_Text);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  mlir::OpPrintingFlags flags;
  if (!noLocations)
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
  module.print(out.os(), flags);
  out.keep();
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter(
      [](raw_ostream &os) { os << "sporec 0.1.0 (LLVM/MLIR 22)\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "sporec: compile a Spore model (.py) to a native object and headers\n\n"
      "  sporec model.py -o model.o          object + model.h + model.hpp\n"
      "  sporec model.py --shared -o libmodel.so\n"
      "  sporec model.py --emit=spore        print IR after a stage\n");

  if (target != "cpu")
    return fail("target '" + target + "' is not supported yet (only cpu)");
  if (emit == Emit::PTX)
    return fail("--emit=ptx is not supported yet");
  std::string cpuError;
  if (failed(driver::checkCpu(cpu, cpuError)))
    return fail(cpuError);

  mlir::DialectRegistry registry;
  driver::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false); // diagnostics quote the source
  context.loadDialect<spore::SporeDialect>();
  if (timeReport)
    driver::TimeReport::get().enable();
  // Printed however the compilation ends, like clang's -ftime-report.
  auto report = llvm::make_scope_exit([] {
    if (timeReport)
      driver::TimeReport::get().print(errs(), input);
  });
  mlir::OwningOpRef<mlir::ModuleOp> module;
  {
    driver::TimedStage parsing("parse and emit spore IR");
    module = spore::frontend::compileFile(input, context);
  }
  if (!module)
    return 1;
  // Errors of later stages (differentiation) point into the source too,
  // with its line and a caret.
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string moduleName = driver::moduleNameFromPath(input);
  auto exports = driver::collectExports(*module, moduleName);
  auto state = driver::collectState(*module);

  if (noRuntimeChecks && failed(driver::stripRuntimeChecks(*module)))
    return 1;
  if (emit == Emit::Spore)
    return printIR(*module);
  // Differentiation reports its own located errors; the lowering
  // pipelines below find nothing left to differentiate.
  if (failed(driver::differentiate(*module, inlineAll)))
    return 1;
  if (emit == Emit::SporeAD)
    return printIR(*module);
  if (emit == Emit::Linalg) {
    if (failed(driver::lowerToLinalg(*module)))
      return fail("lowering to linalg failed");
    return printIR(*module);
  }
  if (emit == Emit::LLVM || emit == Emit::Asm) {
    if (failed(driver::lowerToLLVMDialect(*module, moduleName, optLevel)))
      return fail("lowering to LLVM failed");
    std::string path = output.empty() ? "-" : output.getValue();
    auto kind = emit == Emit::LLVM ? driver::LLVMOutput::IR
                                   : driver::LLVMOutput::Assembly;
    return failed(driver::emitNative(*module, optLevel, kind, path, cpu)) ? 1
                                                                          : 0;
  }

  // Names the headers cannot hold are refused before anything is written.
  if (failed(driver::checkHeaderNames(*module, exports, state, moduleName)))
    return 1;
  std::string out = output;
  if (out.empty())
    out = shared ? "lib" + moduleName + ".so" : moduleName + ".o";
  if (shared) {
    if (failed(driver::buildSharedLibrary(*module, moduleName, optLevel, out,
                                          cpu, codegenThreads)))
      return 1;
  } else {
    if (failed(driver::lowerToLLVMDialect(*module, moduleName, optLevel)))
      return fail("lowering to LLVM failed");
    if (failed(driver::emitNative(*module, optLevel, driver::LLVMOutput::Object,
                                  out, cpu, codegenThreads)))
      return 1;
  }
  std::string dir = headerDir;
  if (dir.empty()) {
    dir = sys::path::parent_path(out).str();
    if (dir.empty())
      dir = ".";
  }
  driver::TimedStage headers("write the headers");
  if (failed(driver::writeHeaders(exports, state, moduleName, dir)))
    return 1;
  return 0;
}
