//===- SporeInterfaces.td - op interfaces of the spore dialect -*- tablegen -*-===//

#ifndef SPORE_INTERFACES_TD
#define SPORE_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Spore_ScalarElementwiseOpInterface : OpInterface<"ScalarElementwiseOp"> {
  let cppNamespace = "::spore";
  let description = [{
    An elementwise primitive whose value at each position is a scalar function
    of its operands' values at that position. The op builds that scalar
    function from arith/math ops; the lowering to linalg wraps it in a
    `linalg.generic`, so adding an elementwise primitive touches one place.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the scalar computation on `operands` (one scalar per tensor
        operand, of the operand's element type) and returns the scalar
        result, of the result's element type.
      }],
      "::mlir::Value", "buildScalar",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Location":$loc,
           "::mlir::ValueRange":$operands)>,
  ];
}

def Spore_DifferentiableOpInterface : OpInterface<"DifferentiableOp"> {
  let cppNamespace = "::spore";
  let description = [{
    A primitive with a reverse-mode rule and a forward-mode rule
    (docs/differentiation.md). The rules read the op's own operands and
    results as the primal values: the adjoint or the tangent is built after
    the op, in the same function, by the AD passes (passes/ad).
  }];
  let methods = [
    InterfaceMethod<[{
        Builds, with `builder`, the cotangent of each operand from the
        cotangents of the results (`resultCotangents[i]` is null when result
        i has none: a zero). Appends one value per operand to
        `operandCotangents`, null for an operand that receives nothing
        (an integer or boolean operand, or a zero derivative).
      }],
      "::mlir::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultCotangents,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandCotangents)>,
    InterfaceMethod<[{
        Builds, with `builder` (after the op), the tangent of each result
        from the tangents of the operands (`operandTangents[i]` is null
        when operand i has none: a zero). Appends one value per result to
        `resultTangents`, null for a zero tangent. The rules are by kind of
        op (linear, multilinear, pointwise, and the few others), in
        SporeDerivatives.cpp.
      }],
      "::mlir::LogicalResult", "buildJVP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$operandTangents,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$resultTangents),
      /*methodBody=*/"",
      /*defaultImplementation=*/[{
        return ::spore::buildJVPRule($_op, builder, operandTangents,
                                     resultTangents);
      }]>,
  ];
}

// The kind of an op's forward-mode rule, declared beside the op and read by
// DifferentiableOp's default buildJVP (spore::buildJVPRule).

// The op applied to its operands' tangents is its result's tangent
// (reshape, sum, slice, add, ...): it is linear in its float operands.
def Spore_LinearTangent : NativeOpTrait<"LinearTangent"> {
  let cppNamespace = "::spore::OpTrait";
}
// Linear in each float operand separately (mul, matmul, conv2d): the
// tangent sums the op applied with one operand replaced by its tangent at
// a time.
def Spore_MultilinearTangent : NativeOpTrait<"MultilinearTangent"> {
  let cppNamespace = "::spore::OpTrait";
}
// Piecewise constant (floor, floordiv, logic, stop_gradient): the tangent
// is zero.
def Spore_ZeroTangent : NativeOpTrait<"ZeroTangent"> {
  let cppNamespace = "::spore::OpTrait";
}

#endif // SPORE_INTERFACES_TD
