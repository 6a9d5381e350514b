//===- Cache.cpp - compiled models kept between runs ----------------------===//
//
// spore-run and spore-train compile a model to a shared library once and
// reuse it while neither the model's IR nor the compiler changes.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"

#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

std::string spore::driver::defaultCacheDir() {
  if (auto dir = sys::Process::GetEnv("SPORE_CACHE_DIR"); dir && !dir->empty())
    return *dir;
  SmallString<256> path;
  if (auto xdg = sys::Process::GetEnv("XDG_CACHE_HOME"); xdg && !xdg->empty()) {
    path = *xdg;
    sys::path::append(path, "spore");
    return path.str().str();
  }
  if (sys::path::cache_directory(path)) {
    sys::path::append(path, "spore");
    return path.str().str();
  }
  sys::path::system_temp_directory(/*erasedOnReboot=*/false, path);
  sys::path::append(path, "spore-cache");
  return path.str().str();
}

/// The cache key of a build: the module's IR (without locations, so that
/// comments and blank lines do not force a rebuild), the optimisation level
/// and the identity of the running executable (a rebuilt compiler
/// invalidates).
static std::string cacheKey(mlir::ModuleOp module, unsigned optLevel) {
  std::string text;
  raw_string_ostream os(text);
  module.print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
  os << "\nopt=" << optLevel;
  static int anchor;
  std::string self = sys::fs::getMainExecutable(nullptr, (void *)&anchor);
  sys::fs::file_status status;
  if (!sys::fs::status(self, status))
    os << "\nexe=" << self << ":" << status.getSize() << ":"
       << status.getLastModificationTime().time_since_epoch().count();
  auto hash = SHA256::hash(arrayRefFromStringRef(text));
  return toHex(ArrayRef(hash).take_front(12), /*LowerCase=*/true);
}

mlir::FailureOr<spore::driver::CachedLibrary>
spore::driver::buildCached(mlir::ModuleOp module, StringRef moduleName,
                           unsigned optLevel, StringRef cacheDir,
                           std::string &error) {
  SmallString<256> dir(cacheDir.empty() ? defaultCacheDir() : cacheDir);
  if (auto ec = sys::fs::create_directories(dir)) {
    error =
        ("cannot create the cache folder '" + dir + "': " + ec.message()).str();
    return mlir::failure();
  }
  SmallString<256> library = dir;
  sys::path::append(library,
                    moduleName + "-" + cacheKey(module, optLevel) + ".so");
  if (sys::fs::exists(library))
    return CachedLibrary{library.str().str(), /*reused=*/true};
  // Build beside the final name, then rename: concurrent runs never see a
  // half-written library.
  SmallString<256> temp;
  if (auto ec = sys::fs::createUniqueFile(library + ".%%%%%%.tmp", temp)) {
    error = ("cannot write to the cache folder '" + dir + "': " + ec.message())
                .str();
    return mlir::failure();
  }
  if (failed(buildSharedLibrary(module, moduleName, optLevel, temp))) {
    sys::fs::remove(temp);
    return mlir::failure(); // the diagnostics were reported
  }
  if (auto ec = sys::fs::rename(temp, library)) {
    sys::fs::remove(temp);
    error = ("cannot write '" + library + "': " + ec.message()).str();
    return mlir::failure();
  }
  return CachedLibrary{library.str().str(), /*reused=*/false};
}
