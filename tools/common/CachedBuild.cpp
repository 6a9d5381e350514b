//===- CachedBuild.cpp - the cached build of spore-run and spore-train ----===//

#include "tools/common/CachedBuild.h"
#include "compiler/driver/Driver.h"

#include "llvm/Support/raw_ostream.h"

using namespace llvm;

cl::OptionCategory spore::tools::cachedBuildCategory("compilation options");

namespace {

cl::opt<std::string> cacheDir(
    "cache-dir",
    cl::desc("where compiled models are kept (default: $SPORE_CACHE_DIR, "
             "else $XDG_CACHE_HOME/spore, else ~/.cache/spore)"),
    cl::value_desc("DIR"), cl::cat(spore::tools::cachedBuildCategory));
cl::opt<bool> verbose("v", cl::desc("say whether the build was cached"),
                      cl::cat(spore::tools::cachedBuildCategory));
enum OptLevel { O0, O1, O2, O3 };
cl::opt<OptLevel> optLevel(cl::desc("optimisation level:"), cl::init(O2),
                           cl::values(clEnumVal(O0, "no optimisation"),
                                      clEnumVal(O1, "light"),
                                      clEnumVal(O2, "default"),
                                      clEnumVal(O3, "aggressive")),
                           cl::cat(spore::tools::cachedBuildCategory));

} // namespace

unsigned spore::tools::optimisationLevel() { return optLevel; }

std::string spore::tools::buildCachedLibrary(mlir::ModuleOp module,
                                             StringRef moduleName,
                                             StringRef tool, bool *reused) {
  std::string error;
  auto built =
      spore::driver::buildCached(module, moduleName, optLevel, cacheDir, error);
  if (failed(built)) {
    if (!error.empty())
      errs() << tool << ": error: " << error << "\n";
    return "";
  }
  if (verbose)
    errs() << tool << ": " << (built->reused ? "reusing " : "compiled ")
           << built->path << "\n";
  if (reused)
    *reused = built->reused;
  return built->path;
}
