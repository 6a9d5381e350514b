//===- Driver.h - from a spore module to artifacts --------------*- C++ -*-===//
//
// The driver library behind sporec and spore-run: runs the pipelines,
// translates to LLVM IR, emits object files and headers, and links shared
// libraries.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_DRIVER_DRIVER_H
#define SPORE_DRIVER_DRIVER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"

namespace llvm {
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spore::driver {

/// Registers every dialect, interface model and translation that the
/// pipelines need (bufferisation and LLVM-conversion models included).
void registerDialects(mlir::DialectRegistry &registry);

/// One exported entry point as the C ABI sees it.
struct ExportSignature {
  struct Buffer {
    std::string name;           // parameter name, or "out<i>" for results
    std::string cName;          // its name in the headers (headerName)
    std::string cType;          // "float", "int32_t", ...
    std::string dtype;          // "f32", ...
    std::vector<int64_t> shape; // static shape
  };
  std::string name;    // source name
  std::string symbol;  // C symbol: <module>_<name>
  std::string cppName; // the C++ wrapper's name (headerName of `name`)
  std::vector<Buffer> inputs, outputs;
  /// The module's Parameters (spore.parameter), which the entry point takes
  /// from the state object it is passed first; empty without state.
  std::vector<Buffer> state;
};

/// The exports of a spore module in source order, with the names their
/// buffers take in the headers: a parameter named `s` (the state's), like
/// a result (`out0`, ...), like an earlier parameter but for case, or
/// like a C or C++ keyword, gets underscores appended (headerName).
std::vector<ExportSignature> collectExports(mlir::ModuleOp module,
                                            llvm::StringRef moduleName);

/// `name` as it may appear in a generated header: with an underscore
/// appended while it is a C11 or C++17 keyword (alternative tokens such as
/// `xor` included) or a macro of the headers they include (`bool`, `true`,
/// `NULL`, ...), or while its upper-case form is in `taken` (macros are
/// upper case). The result's upper-case form is added to `taken`.
std::string headerName(llvm::StringRef name, llvm::StringSet<> &taken);

/// Refuses, with an error at the export, names that would make the headers
/// define one identifier twice: exports differing only in case (`f`, `F`:
/// their macros clash), an export named like the state's functions
/// (`state_create`), or an export and another's macro or C++ struct
/// (`f_t`). Call before writing anything.
mlir::LogicalResult
checkHeaderNames(mlir::ModuleOp module,
                 const std::vector<ExportSignature> &exports,
                 const std::vector<ExportSignature::Buffer> &state,
                 llvm::StringRef moduleName);

/// The module's Parameters (spore.parameter), in state order; empty for a
/// module without state.
std::vector<ExportSignature::Buffer> collectState(mlir::ModuleOp module);

/// A C identifier derived from a file name (`mlp.py` → `mlp`).
std::string moduleNameFromPath(llvm::StringRef path);

/// Expands the transforms of a spore module in place (spore-differentiate)
/// and simplifies the result: what `--emit=spore-ad` prints and what the
/// interpreter runs.
/// Marks the module (`spore.differentiated`) so that lowerToLinalg and
/// lowerToLLVMDialect do not differentiate it again. With `inlineAll`, no
/// function stays separate (spore-share-functions does not run): every
/// call is inlined into the exports, as `sporec --inline-all` asks.
mlir::LogicalResult differentiate(mlir::ModuleOp module,
                                  bool inlineAll = false);

/// Removes the run-time checks of language rules (spore-strip-checks), for
/// `--no-runtime-checks`.
mlir::LogicalResult stripRuntimeChecks(mlir::ModuleOp module);

/// Lowers a spore module in place to linalg on tensors.
mlir::LogicalResult lowerToLinalg(mlir::ModuleOp module);

/// Lowers a spore module in place to the LLVM dialect with C entry points.
mlir::LogicalResult lowerToLLVMDialect(mlir::ModuleOp module,
                                       llvm::StringRef moduleName,
                                       unsigned optLevel);

/// Translates an LLVM-dialect module, optimises it at `optLevel` and writes
/// LLVM IR (`asLLVMIR`), assembly (`asAssembly`) or an object file.
/// The code is generated for `cpu`: an LLVM CPU name (`x86-64-v3`,
/// `znver4`, ...) or `host`, the machine the compiler runs on, with its
/// exact features. Every C entry point first checks that the running CPU
/// has the instruction-set features the code was compiled with
/// (spore_check_cpu).
enum class LLVMOutput { IR, Assembly, Object };
/// Objects are generated on up to `threads` threads (0: every core), with
/// the same bytes for any count (generateObject).
mlir::LogicalResult emitNative(mlir::ModuleOp module, unsigned optLevel,
                               LLVMOutput kind, llvm::StringRef path,
                               llvm::StringRef cpu = "host",
                               unsigned threads = 0);

/// Makes a target machine, or returns null with `error` set.
using TargetMachineFactory =
    std::function<std::unique_ptr<llvm::TargetMachine>(std::string &error)>;

/// The threads that code generation uses for `requested` (0: every core
/// this process may run on).
unsigned codegenThreads(unsigned requested);

/// Marks `optnone` the functions of the optimised `module` that only pass
/// buffers around (at least 1,000 instructions, no loop, at most one in 64
/// that computes), so that their code is generated at -O0 (Codegen.cpp,
/// docs/ir.md#lowering). Returns how many were marked. generateObject
/// does this; the assembly output does too, so that it shows the object's
/// code.
unsigned markGlue(llvm::Module &module);

/// Writes the object code of the optimised `module` to `out` (Codegen.cpp).
/// A large module is generated in partitions of whole functions on up to
/// `threads` threads (0: every core); the partitions depend only on the
/// module, so the bytes written do not depend on `threads`. The module is
/// changed when it is split (its internal symbols become hidden). Returns
/// false with `error` set on failure.
bool generateObject(llvm::Module &module,
                    const TargetMachineFactory &makeMachine, unsigned threads,
                    llvm::raw_pwrite_stream &out, std::string &error);

/// The C compiler driver that links objects (the one Spore was built
/// with, else `cc` from PATH), or an empty string with `error` set.
std::string linkerDriver(std::string &error);

/// Fails, with the message in `error`, for a CPU name LLVM does not know.
mlir::LogicalResult checkCpu(llvm::StringRef cpu, std::string &error);

/// Writes `<dir>/<module>.h` and `<dir>/<module>.hpp`.
mlir::LogicalResult
writeHeaders(const std::vector<ExportSignature> &exports,
             const std::vector<ExportSignature::Buffer> &state,
             llvm::StringRef moduleName, llvm::StringRef dir);

/// The text of the C header and of the C++ wrapper.
std::string cHeader(const std::vector<ExportSignature> &exports,
                    const std::vector<ExportSignature::Buffer> &state,
                    llvm::StringRef moduleName);
std::string cppHeader(const std::vector<ExportSignature> &exports,
                      const std::vector<ExportSignature::Buffer> &state,
                      llvm::StringRef moduleName);

/// Links `object` into the shared library `output` with the system linker
/// driver.
mlir::LogicalResult linkShared(llvm::StringRef object, llvm::StringRef output);

/// Lowers a spore module in place and links it into the shared library
/// `output` (through a temporary object file).
mlir::LogicalResult
buildSharedLibrary(mlir::ModuleOp module, llvm::StringRef moduleName,
                   unsigned optLevel, llvm::StringRef output,
                   llvm::StringRef cpu = "host", unsigned threads = 0);

/// Where compiled models are cached: $SPORE_CACHE_DIR, else
/// $XDG_CACHE_HOME/spore, else ~/.cache/spore, else a folder of the
/// system's temporary directory.
std::string defaultCacheDir();

/// A shared library of the cache (buildCached).
struct CachedLibrary {
  std::string path;
  bool reused; // found built rather than built now
};

/// Builds `module` (lowering it in place) into a shared library in
/// `cacheDir` (defaultCacheDir() when empty), or finds it there, keyed by
/// the module's IR without locations, `optLevel` and the running
/// executable. Fails with the diagnostics reported, or with a message in
/// `error` when the cache cannot be written (`error` is then not empty).
mlir::FailureOr<CachedLibrary>
buildCached(mlir::ModuleOp module, llvm::StringRef moduleName,
            unsigned optLevel, llvm::StringRef cacheDir, std::string &error);

/// The stage times of one compilation, for `sporec --time-report` (in the
/// convention of clang's -ftime-report). Stages record their wall time
/// through TimedStage while the report is enabled; print() writes a table
/// of them with the total and the size of the object written.
class TimeReport {
public:
  static TimeReport &get();
  void enable() { on = true; }
  bool enabled() const { return on; }
  void add(llvm::StringRef stage, double seconds);
  void setObjectSize(uint64_t bytes) { objectBytes = bytes; }
  void setCodegenParts(unsigned parts, unsigned threads, unsigned glue) {
    codegenParts = {parts, threads};
    glueFunctions = glue;
  }
  void print(llvm::raw_ostream &os, llvm::StringRef input) const;

private:
  bool on = false;
  std::vector<std::pair<std::string, double>> stages;
  std::optional<uint64_t> objectBytes;
  std::optional<std::pair<unsigned, unsigned>> codegenParts;
  unsigned glueFunctions = 0;
};

/// Adds the time from its construction to its destruction to the report
/// under `stage` (nothing when the report is off).
class TimedStage {
public:
  explicit TimedStage(llvm::StringRef stage);
  ~TimedStage();
  TimedStage(const TimedStage &) = delete;
  TimedStage &operator=(const TimedStage &) = delete;

private:
  std::string stage;
  std::chrono::steady_clock::time_point start;
};

} // namespace spore::driver

#endif // SPORE_DRIVER_DRIVER_H
