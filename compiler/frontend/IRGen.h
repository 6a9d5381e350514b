//===- IRGen.h - checks the AST and emits spore IR --------------*- C++ -*-===//
//
// Semantic analysis and IR emission in one walk: names, types, shapes,
// weak typing of literals, specialisation of generic functions per argument
// types, and spore ops carrying the FileLineColLoc of their source.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_FRONTEND_IRGEN_H
#define SPORE_FRONTEND_IRGEN_H

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/raw_ostream.h"

namespace spore::frontend {

/// Emits the spore module for `module`, parsed from the buffer `bufferId`.
/// Returns null after reporting errors.
mlir::OwningOpRef<mlir::ModuleOp> emitModule(const ast::Module &module,
                                             unsigned bufferId,
                                             Diagnostics &diags,
                                             mlir::MLIRContext &context);

/// Parses and checks the file `path` and emits its spore module; errors go
/// to stderr in clang's format. Returns null on any error.
mlir::OwningOpRef<mlir::ModuleOp> compileFile(llvm::StringRef path,
                                              mlir::MLIRContext &context);

/// The same for source text held in memory, named `name` in diagnostics,
/// which go to `diagnostics`.
mlir::OwningOpRef<mlir::ModuleOp>
compileSource(llvm::StringRef source, llvm::StringRef name,
              mlir::MLIRContext &context,
              llvm::raw_ostream &diagnostics = llvm::errs());

} // namespace spore::frontend

#endif // SPORE_FRONTEND_IRGEN_H
