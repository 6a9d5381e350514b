//===- SporeDialect.td - the spore dialect definition -----*- tablegen -*-===//
//
// The functional IR that the frontend emits and that AD, sharding and the
// lowering passes transform. See docs/ir.md for the design.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_DIALECT_TD
#define SPORE_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Spore_Dialect : Dialect {
  let name = "spore";
  let cppNamespace = "::spore";
  let summary = "Spore's functional tensor IR";
  let description = [{
    Values are builtin ranked tensors (a scalar is a 0-d tensor), function
    values (`!spore.fn`) and, later, tuples. Every primitive is one op that
    works on operands of equal shape: NumPy broadcasting is made explicit by
    the frontend with `spore.broadcast_to`, so that derivative rules and the
    lowering see equal shapes.
  }];
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasCanonicalizer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

class Spore_Op<string mnemonic, list<Trait> traits = []>
    : Op<Spore_Dialect, mnemonic, traits>;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def Spore_FnType : TypeDef<Spore_Dialect, "Fn"> {
  let mnemonic = "fn";
  let summary = "a function value (a function or a closure)";
  let description = [{
    The type of a first-class function value: `!spore.fn<(tensor<4xf32>) ->
    tensor<4xf32>>`. Function values never cross an export boundary; the
    specialisation passes turn higher-order code into first-order code
    before lowering.
  }];
  let parameters = (ins "::mlir::FunctionType":$signature);
  let assemblyFormat = "`<` $signature `>`";
}

// Element types that Spore tensors may carry.
def Spore_ElementType : AnyTypeOf<[F16, BF16, F32, F64, I1, I8, I32, I64]>;
def Spore_FloatType : AnyTypeOf<[F16, BF16, F32, F64]>;
def Spore_Tensor : RankedTensorOf<[Spore_ElementType]>;
def Spore_FloatTensor : RankedTensorOf<[Spore_FloatType]>;
def Spore_BoolTensor : RankedTensorOf<[I1]>;
def Spore_IntTensor : RankedTensorOf<[I1, I8, I32, I64]>;

#endif // SPORE_DIALECT_TD
