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

#endif // SPORE_INTERFACES_TD
