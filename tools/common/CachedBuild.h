//===- CachedBuild.h - the cached build of spore-run and spore-train -*- C++
//-*-===//
//
// The command-line options and the reporting shared by the tools that
// compile a model into the cache of shared libraries (driver::buildCached)
// and load it: --cache-dir, -v and -O0 ... -O3.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_TOOLS_CACHEDBUILD_H
#define SPORE_TOOLS_CACHEDBUILD_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/CommandLine.h"

#include <string>

namespace spore::tools {

/// The category of the options below; list it in HideUnrelatedOptions.
extern llvm::cl::OptionCategory cachedBuildCategory;

/// The optimisation level that -O0 ... -O3 chose (2 by default).
unsigned optimisationLevel();

/// Builds `module` into the cache or finds it there; returns the shared
/// library's path, or "" after reporting the failure as "TOOL: error: ...".
/// With -v, says on stderr whether the build was compiled or reused.
std::string buildCachedLibrary(mlir::ModuleOp module,
                               llvm::StringRef moduleName, llvm::StringRef tool,
                               bool *reused = nullptr);

} // namespace spore::tools

#endif // SPORE_TOOLS_CACHEDBUILD_H
