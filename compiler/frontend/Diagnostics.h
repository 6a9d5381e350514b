//===- Diagnostics.h - located errors of the frontend -----------*- C++ -*-===//
//
// Reports errors in clang's shape (file:line:col, source line, caret)
// through llvm::SourceMgr, and counts them.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_FRONTEND_DIAGNOSTICS_H
#define SPORE_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"

namespace spore::frontend {

class Diagnostics {
public:
  explicit Diagnostics(llvm::SourceMgr &sourceMgr) : sourceMgr(sourceMgr) {}

  void error(llvm::SMLoc loc, const llvm::Twine &message) {
    ++numErrors;
    if (numErrors <= maxErrors)
      sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Error, message);
  }
  void note(llvm::SMLoc loc, const llvm::Twine &message) {
    if (numErrors <= maxErrors)
      sourceMgr.PrintMessage(loc, llvm::SourceMgr::DK_Note, message);
  }

  unsigned errorCount() const { return numErrors; }
  bool hasErrors() const { return numErrors != 0; }
  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }

private:
  llvm::SourceMgr &sourceMgr;
  unsigned numErrors = 0;
  /// Past this many, errors are counted but not printed.
  static constexpr unsigned maxErrors = 20;
};

} // namespace spore::frontend

#endif // SPORE_FRONTEND_DIAGNOSTICS_H
