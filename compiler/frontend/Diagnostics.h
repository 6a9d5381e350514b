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
#include "llvm/Support/raw_ostream.h"

namespace spore::frontend {

class Diagnostics {
public:
  /// Messages go to `os` (stderr by default; llvm::nulls() to only count).
  explicit Diagnostics(llvm::SourceMgr &sourceMgr,
                       llvm::raw_ostream &os = llvm::errs())
      : sourceMgr(sourceMgr), os(os) {}

  void error(llvm::SMLoc loc, const llvm::Twine &message) {
    ++numErrors;
    if (numErrors <= maxErrors)
      sourceMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Error, message);
  }
  void note(llvm::SMLoc loc, const llvm::Twine &message) {
    if (numErrors <= maxErrors)
      sourceMgr.PrintMessage(os, loc, llvm::SourceMgr::DK_Note, message);
  }
  llvm::raw_ostream &stream() { return os; }

  unsigned errorCount() const { return numErrors; }
  bool hasErrors() const { return numErrors != 0; }
  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }

private:
  llvm::SourceMgr &sourceMgr;
  llvm::raw_ostream &os;
  unsigned numErrors = 0;
  /// Past this many, errors are counted but not printed.
  static constexpr unsigned maxErrors = 20;
};

} // namespace spore::frontend

#endif // SPORE_FRONTEND_DIAGNOSTICS_H
