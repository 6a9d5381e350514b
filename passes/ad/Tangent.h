//===- Tangent.h - the forward sweep over spore IR --------------*- C++ -*-===//
//
// Forward mode: the tangent of each value computed beside it, in place,
// through the primitives' forward rules (DifferentiableOp::buildJVP),
// `scf.if` (the branches yield tangents too), and `scf.for`/`scf.while`
// (tangents are carried as extra loop values: no stack is needed). The
// value stacks of differentiated loops are linear in what they hold, so a
// reverse pass differentiates again in forward mode (forward over reverse:
// `hessian`, `jacfwd` of a gradient).
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_PASSES_AD_TANGENT_H
#define SPORE_PASSES_AD_TANGENT_H

#include "passes/ad/Adjoint.h"

namespace spore::ad {

struct Tangent {
  /// Tangents by primal value (absent: zero).
  CotangentMap tangent;

  /// The tangent function of a callee with respect to the operands at the
  /// given positions (see SporeDifferentiate's tangentOf): calls of
  /// recursive functions are differentiated as calls of these.
  std::function<mlir::FailureOr<FuncOp>(FuncOp, llvm::ArrayRef<int64_t>)> jvpOf;
  /// The module's symbols, to look the callees of calls up.
  mlir::SymbolTable *symbols = nullptr;

  /// Adds, after each op of `ops` (in forward order) that has an operand
  /// with a tangent, the tangents of its results. Region ops are rebuilt
  /// with tangents beside their values.
  mlir::LogicalResult forwardOps(llvm::ArrayRef<mlir::Operation *> ops);

  /// A zero tangent for `v` (for a dynamically shaped value stack: a new
  /// stack, whose rows are all written before they are read).
  static mlir::Value zerosLike(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value v);

private:
  mlir::LogicalResult forwardOp(mlir::Operation *op);
  mlir::LogicalResult forwardIf(mlir::scf::IfOp op);
  mlir::LogicalResult forwardFor(mlir::scf::ForOp op);
  mlir::LogicalResult forwardWhile(mlir::scf::WhileOp op);
  mlir::LogicalResult forwardCall(CallOp op);
  /// Clones `block` (arguments already mapped) at `b` and runs the
  /// forward sweep over the clones; returns the cloned terminator, for the
  /// caller to replace, with `b` set before it.
  mlir::FailureOr<mlir::Operation *>
  cloneForward(mlir::Block &block, mlir::IRMapping &map, mlir::OpBuilder &b);
  /// cloneForward of a block that ends in scf.yield, which then also
  /// yields the tangents of the values at `positions`.
  mlir::LogicalResult cloneYielding(mlir::Block &block, mlir::IRMapping &map,
                                    mlir::OpBuilder &b,
                                    llvm::ArrayRef<unsigned> positions);
  /// `values`, then the tangents (or zeros) of those at `positions`: what
  /// a rebuilt region op carries, yields or passes on.
  llvm::SmallVector<mlir::Value>
  withTangents(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange values,
               llvm::ArrayRef<unsigned> positions);
  /// Records `values[count + k]` as the tangent of `values[positions[k]]`
  /// (block arguments or results laid out by withTangents).
  void bindTangents(mlir::ValueRange values, size_t count,
                    llvm::ArrayRef<unsigned> positions);
  /// Replaces `op` by the first results of its rebuilt version, whose
  /// results then hold the tangents of those at `positions`, and erases it.
  void replaceRebuilt(mlir::Operation *op, mlir::ValueRange results,
                      llvm::ArrayRef<unsigned> positions);
  /// The tangent of `v`, or zeros.
  mlir::Value tangentOrZeros(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value v);
};

} // namespace spore::ad

#endif // SPORE_PASSES_AD_TANGENT_H
