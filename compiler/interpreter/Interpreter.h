//===- Interpreter.h - the reference interpreter of spore IR ----*- C++ -*-===//
//
// Runs a function of a spore module op by op with straightforward C++
// kernels, without any code generation: `spore-run --eager`, the debugging
// mode, and the oracle that compiled code is tested against. Floating
// values are kept in double and rounded to their dtype after every op, as
// compiled code rounds; integers wrap at their width.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_INTERPRETER_INTERPRETER_H
#define SPORE_INTERPRETER_INTERPRETER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Types.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace spore::interp {

/// A dense row-major tensor: `f` holds floating elements, `i` integer and
/// bool ones (the other is empty).
struct Tensor {
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  std::vector<double> f;
  std::vector<int64_t> i;

  bool isFloat() const;
  int64_t numel() const;
};

/// Runs the function `name` of `module` (a spore module from the frontend)
/// on `args`; on failure (an op the interpreter does not know, a wrong
/// argument) returns false with `error` set.
bool run(mlir::ModuleOp module, llvm::StringRef name,
         const std::vector<Tensor> &args, std::vector<Tensor> &results,
         std::string &error);

} // namespace spore::interp

#endif // SPORE_INTERPRETER_INTERPRETER_H
