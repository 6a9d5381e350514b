//===- Adjoint.h - the reverse sweep over spore IR --------------*- C++ -*-===//
//
// The reverse sweep that spore-differentiate runs over a function body:
// activity analysis, then the adjoint of each op in reverse order, through
// the primitives' rules (DifferentiableOp), calls of checkpointed and
// separate functions, `scf.if`, `scf.for` and `scf.while`.
//
// Regions are reversed by recomputation: the adjoint of a branch or of one
// loop iteration clones the forward code, then reverses the clone. A
// branch needs nothing kept from the forward pass; a loop keeps the state
// it carries into each iteration on a value stack (a tensor with one row
// per iteration, sized at loop entry for `scf.for` and grown by doubling
// for `scf.while`), which the reverse loop reads from the last row to the
// first.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_PASSES_AD_ADJOINT_H
#define SPORE_PASSES_AD_ADJOINT_H

#include "dialects/spore/SporeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <functional>

namespace spore::ad {

/// Whether `v` is a float tensor (the values that carry derivatives).
bool isFloatTensor(mlir::Value v);

/// A constant of zeros of the tensor type `type`.
mlir::Value zerosOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type);

/// Whether `v` is a constant of float zeros. The sweeps treat such a
/// cotangent or tangent as absent (a symbolic zero, as JAX does): rules
/// skip its terms instead of multiplying by it.
bool isZeroConstant(mlir::Value v);

/// Whether `op` is an effect of the forward evaluation (print, assert, a
/// state update): it happens once, where the function runs, and the
/// copies of the function that differentiation evaluates again (a
/// pullback, the recomputation of a branch or of loop iterations) leave
/// it out.
inline bool happensOnce(mlir::Operation *op) {
  return mlir::isa<PrintOp, AssertOp, AssignOp>(op);
}

/// On a function: the symbol of its @custom_vjp rule, which the backward
/// pass calls instead of differentiating it.
constexpr llvm::StringLiteral kCustomVjpAttr = "spore.custom_vjp";

/// Cotangents by primal value.
using CotangentMap = llvm::DenseMap<mlir::Value, mlir::Value>;

/// The adjoint of a region of spore IR: straight-line code, calls of
/// checkpointed functions, branches and loops.
struct Adjoint {
  /// Values that depend on a differentiated argument.
  llvm::DenseSet<mlir::Value> active;
  /// The vjp function of a checkpointed callee with respect to some of its
  /// arguments.
  std::function<mlir::FailureOr<FuncOp>(FuncOp, llvm::ArrayRef<int64_t>)> vjpOf;
  /// The forward and backward functions of a separate callee
  /// (spore.separate) with respect to some of its arguments (null
  /// functions where its calls are reversed as checkpoints); unset where
  /// such calls are inlined before the sweep.
  std::function<mlir::FailureOr<std::pair<FuncOp, FuncOp>>(
      FuncOp, llvm::ArrayRef<int64_t>)>
      splitOf;
  mlir::SymbolTable *symbols = nullptr;
  /// Loops replay the forward iterations up to the one being reversed
  /// instead of keeping value stacks: for adjoints that are differentiated
  /// again (reverse over reverse).
  bool replay = false;

  /// Forward activity over `ops` in order (into their regions too).
  mlir::LogicalResult markActive(llvm::ArrayRef<mlir::Operation *> ops);

  /// Appends at `b` the adjoint of `ops` (in forward order), reading and
  /// accumulating cotangents in `cot`. Loops among `ops` are rewritten in
  /// place to keep their value stacks.
  mlir::LogicalResult reverseOps(llvm::ArrayRef<mlir::Operation *> ops,
                                 CotangentMap &cot, mlir::OpBuilder &b);

  /// Adds `c` to the cotangent of `v`.
  static void accumulate(mlir::OpBuilder &b, mlir::Location loc,
                         CotangentMap &cot, mlir::Value v, mlir::Value c);

  /// Takes the cotangent of `v` out of `cot` (that of its later uses),
  /// plus `extra` where not null, or zeros where both are missing. The
  /// adjoint of a loop carries it through its iterations and puts the
  /// total back, so that nothing is added outside the loop.
  static mlir::Value takeCotangent(mlir::OpBuilder &b, mlir::Location loc,
                                   CotangentMap &cot, mlir::Value v,
                                   mlir::Value extra = {});

  /// Values from outside `op` that its regions use.
  static llvm::SmallVector<mlir::Value> capturedValues(mlir::Operation *op);

private:
  bool isActiveOp(mlir::Operation *op);
  mlir::LogicalResult markLoopActive(mlir::Operation *loop);

  /// Clones the blocks `blocks` (whose arguments `map` already maps) at
  /// `b`, chaining each block's terminator operands to the next block's
  /// arguments, seeds the cotangents of the last terminator's operands
  /// with `seeds` (null entries are skipped) and reverses the clone into
  /// `local`. Returns the clone's values for the last terminator's
  /// operands.
  mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  recomputeAndReverse(llvm::ArrayRef<mlir::Block *> blocks,
                      mlir::IRMapping &map, llvm::ArrayRef<mlir::Value> seeds,
                      CotangentMap &local, mlir::OpBuilder &b);

  void reverseSelect(mlir::arith::SelectOp op, mlir::Value resultCot,
                     CotangentMap &cot, mlir::OpBuilder &b);
  mlir::LogicalResult reverseCheckpointed(CallOp call,
                                          llvm::ArrayRef<mlir::Value> cots,
                                          CotangentMap &cot,
                                          mlir::OpBuilder &b);
  /// The positions of `call`'s active operands.
  llvm::SmallVector<int64_t> activeOperands(CallOp call) const;
  mlir::LogicalResult reverseSeparate(CallOp call,
                                      llvm::ArrayRef<mlir::Value> cots,
                                      CotangentMap &cot, mlir::OpBuilder &b);
  mlir::LogicalResult reverseCustom(CallOp call,
                                    llvm::ArrayRef<mlir::Value> cots,
                                    CotangentMap &cot, mlir::OpBuilder &b);
  mlir::LogicalResult reverseIf(mlir::scf::IfOp op,
                                llvm::ArrayRef<mlir::Value> cots,
                                CotangentMap &cot, mlir::OpBuilder &b);
  /// The reverse loop of a loop: `trips` steps from the last iteration
  /// back, carrying (from `inits`) the cotangents of the state positions
  /// `positions`, then of the active values `outer` that the loop uses
  /// from outside. Step `k` takes the state from `stateAt`, which maps the
  /// arguments of `blocks` to it and marks its active positions, then
  /// recomputes and reverses `blocks`. Afterwards the cotangents of
  /// `loopInits` (at `positions`) and of `outer` accumulate into `cot`.
  mlir::LogicalResult reverseIterations(
      mlir::OpBuilder &b, mlir::Location loc, mlir::Value trips,
      llvm::ArrayRef<mlir::Block *> blocks, llvm::ArrayRef<unsigned> positions,
      llvm::ArrayRef<mlir::Value> outer, mlir::ValueRange inits,
      llvm::function_ref<llvm::SmallVector<mlir::Value>(
          mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::IRMapping &)>
          stateAt,
      mlir::ValueRange loopInits, CotangentMap &cot);
  mlir::LogicalResult reverseFor(mlir::scf::ForOp op,
                                 llvm::ArrayRef<mlir::Value> cots,
                                 CotangentMap &cot, mlir::OpBuilder &b);
  mlir::LogicalResult reverseWhile(mlir::scf::WhileOp op,
                                   llvm::ArrayRef<mlir::Value> cots,
                                   CotangentMap &cot, mlir::OpBuilder &b);
};

} // namespace spore::ad

#endif // SPORE_PASSES_AD_ADJOINT_H
