//===- SporeOps.h - ops of the spore dialect --------------------*- C++ -*-===//
//
// Declares the spore ops and op interfaces.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_DIALECT_SPOREOPS_H
#define SPORE_DIALECT_SPOREOPS_H

#include "dialects/spore/SporeDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

#include "dialects/spore/SporeEnums.h.inc"

namespace spore {
/// The forward-mode rule of a spore primitive `op` (DifferentiableOp's
/// buildJVP): one tangent per result, null for zero.
mlir::LogicalResult buildJVPRule(mlir::Operation *op, mlir::OpBuilder &b,
                                 mlir::ValueRange operandTangents,
                                 llvm::SmallVectorImpl<mlir::Value> &out);

/// The result type of a binary elementwise op named `opName`: the type of
/// both operands, which must be equal (the frontend broadcasts first).
mlir::LogicalResult
inferBinaryType(llvm::StringRef opName, std::optional<mlir::Location> loc,
                mlir::Value lhs, mlir::Value rhs,
                llvm::SmallVectorImpl<mlir::Type> &inferred);
} // namespace spore

#include "dialects/spore/SporeInterfaces.h.inc"

/// The kinds of forward-mode rule (SporeInterfaces.td): marker traits that
/// the default buildJVP reads.
namespace spore::OpTrait {
template <typename ConcreteType>
class LinearTangent
    : public mlir::OpTrait::TraitBase<ConcreteType, LinearTangent> {};
template <typename ConcreteType>
class MultilinearTangent
    : public mlir::OpTrait::TraitBase<ConcreteType, MultilinearTangent> {};
template <typename ConcreteType>
class ZeroTangent : public mlir::OpTrait::TraitBase<ConcreteType, ZeroTangent> {
};
} // namespace spore::OpTrait

#define GET_OP_CLASSES
#include "dialects/spore/SporeOps.h.inc"

namespace spore {

/// The NumPy broadcast of two shapes, or failure when they do not broadcast.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// The shape of `numpy.matmul(a, b)`, or failure with `why` set.
mlir::FailureOr<llvm::SmallVector<int64_t>>
matmulShape(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
            std::string &why);

/// The shape left after reducing `axes` of `shape`.
llvm::SmallVector<int64_t> reducedShape(llvm::ArrayRef<int64_t> shape,
                                        llvm::ArrayRef<int64_t> axes,
                                        bool keepdims);

/// The output size of a window of `k` taps, dilated by `dilation`, sliding
/// with `stride` over `size` elements padded by `pad` in total; negative
/// when the window does not fit.
int64_t windowOutputSize(int64_t size, int64_t k, int64_t stride,
                         int64_t dilation, int64_t pad);

/// An arith.constant scalar of `type` (floating or integer) with `value`.
mlir::Value buildScalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Type type, double value);

/// The language's name of an element type: f16 bf16 f32 f64 bool i8 i32 i64.
std::string dtypeName(mlir::Type type);

/// The state descriptor of `module` that spore_state_create (runtime.h)
/// takes: a line `NAME DTYPE [D0,D1] KIND A B` per spore.parameter, in
/// order; empty for a module without state.
std::string stateDescriptor(mlir::ModuleOp module);

/// On an export after spore-thread-state: the state slots (indices of the
/// module's spore.parameter ops) that its last results are the new values
/// of, in order; the C entry point passes spare buffers for them and makes
/// them the state when the call succeeds.
inline constexpr llvm::StringLiteral kStateWritesAttr = "spore.state_writes";

/// The exports descriptor of `module` that `<model>_model()` (runtime.h,
/// spore_model) hands to generic callers such as the Trainer: a line per
/// exported spore.func, in order,
///
///   NAME IN:DTYPE[D0,D1] ... -> DTYPE[D0] ...
///
/// naming the C entry point's buffers after the state: the parameters
/// (with their source names), then the results, but for the new values of
/// the state (kStateWritesAttr).
std::string exportsDescriptor(mlir::ModuleOp module);

/// On a module: its exportsDescriptor, kept by spore-lower-to-linalg for
/// spore-emit-c-abi (bufferisation erases the names and types it needs).
inline constexpr llvm::StringLiteral kExportsAttr = "spore.exports";

/// The value of the elementwise unary op `name` (its mnemonic, which is
/// also its primitive's name: `exp`, `lgamma`, ...) on a double, or
/// nullopt for another name: the interpreter's kernel and the frontend's
/// fold of a primitive applied to a number, so that the two agree.
std::optional<double> evaluateUnary(llvm::StringRef name, double x);

/// Python's and NumPy's floating `x // y` (remainder false) or `x % y`
/// (true): the remainder is fmod's, in the divisor's sign; the quotient is
/// (x - remainder) / y rounded to the nearest integer. The interpreter's
/// kernel and the frontend's fold; the compiled code computes the same
/// (FloorDivOp/ModOp::buildScalar).
double floatDivMod(double x, double y, bool remainder);

/// The n-th derivative of digamma at x (n = 0: digamma itself, all real
/// x; n >= 1: x > 0, NaN elsewhere), in double precision. Written apart
/// from the IR that spore.polygamma lowers to, so that each checks the
/// other.
double polygammaValue(int64_t n, double x);

/// `file.py:line:col` of the first source position in `loc` (the file's
/// name without its folder), or `a model` without one: the site that
/// run-time error messages name.
std::string sourceSite(mlir::Location loc);

/// Formats a shape as `[2, 3]` for diagnostics.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace spore

#endif // SPORE_DIALECT_SPOREOPS_H
