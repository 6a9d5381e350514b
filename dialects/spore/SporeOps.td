//===- SporeOps.td - ops of the spore dialect -------------*- tablegen -*-===//
//
// Functions, calls, constants and the tensor primitives. Every tensor op
// verifies shapes and dtypes with a message that names the bad value.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_OPS_TD
#define SPORE_OPS_TD

include "dialects/spore/SporeDialect.td"
include "dialects/spore/SporeInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/CallInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Functions
//===----------------------------------------------------------------------===//

def Spore_FuncOp : Spore_Op<"func", [
    AutomaticAllocationScope, FunctionOpInterface, IsolatedFromAbove]> {
  let summary = "a function of the model";
  let description = [{
    A function specialised for concrete argument types. An exported entry
    point carries the `spore.export` unit attribute and public visibility;
    its arguments carry their source names as `spore.name` argument
    attributes, which the header emitter uses.

    ```mlir
    spore.func @predict(%x: tensor<4xf32> {spore.name = "x"}) -> tensor<4xf32>
        attributes {spore.export} {
      %0 = spore.relu %x : tensor<4xf32>
      spore.return %0 : tensor<4xf32>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<FunctionType>:$function_type,
                       OptionalAttr<StrAttr>:$sym_visibility,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region AnyRegion:$body);
  let builders = [OpBuilder<(ins "::llvm::StringRef":$name,
                                 "::mlir::FunctionType":$type)>];
  let extraClassDeclaration = [{
    ::mlir::Region *getCallableRegion() {
      return isExternal() ? nullptr : &getBody();
    }
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() {
      return getFunctionType().getInputs();
    }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() {
      return getFunctionType().getResults();
    }
    /// Whether this function is an entry point of the compiled library.
    bool isExported() { return (*this)->hasAttr(getExportAttrName()); }
    static ::llvm::StringRef getExportAttrName() { return "spore.export"; }
    static ::llvm::StringRef getArgNameAttrName() { return "spore.name"; }
    /// On a lowered export: the bytes of each of its results.
    static ::llvm::StringRef getResultBytesAttrName() {
      return "spore.result_bytes";
    }
  }];
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
}

def Spore_ReturnOp : Spore_Op<"return", [
    Pure, HasParent<"FuncOp">, ReturnLike, Terminator]> {
  let summary = "returns from a spore.func";
  let arguments = (ins Variadic<AnyType>:$operands);
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, {}); }]>];
  let assemblyFormat = "attr-dict ($operands^ `:` type($operands))?";
  let hasVerifier = 1;
}

def Spore_CallOp : Spore_Op<"call", [
    CallOpInterface, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a direct call of a spore.func";
  let arguments = (ins FlatSymbolRefAttr:$callee,
                       Variadic<AnyType>:$operands,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs);
  let results = (outs Variadic<AnyType>);
  let builders = [
    OpBuilder<(ins "FuncOp":$callee, CArg<"::mlir::ValueRange", "{}">:$operands), [{
      $_state.addOperands(operands);
      $_state.addAttribute("callee", ::mlir::SymbolRefAttr::get(callee));
      $_state.addTypes(callee.getFunctionType().getResults());
    }]>];
  let extraClassDeclaration = [{
    operand_range getArgOperands() { return getOperands(); }
    ::mlir::MutableOperandRange getArgOperandsMutable() {
      return getOperandsMutable();
    }
    ::mlir::CallInterfaceCallable getCallableForCallee() {
      return (*this)->getAttrOfType<::mlir::SymbolRefAttr>("callee");
    }
    void setCalleeFromCallable(::mlir::CallInterfaceCallable callee) {
      (*this)->setAttr("callee", ::llvm::cast<::mlir::SymbolRefAttr>(callee));
    }
    /// A unit attribute asking that the call not be inlined (lowered to
    /// func.call's no_inline).
    static ::llvm::StringRef getNoInlineAttrName() { return "spore.no_inline"; }
  }];
  let assemblyFormat = [{
    $callee `(` $operands `)` attr-dict `:` functional-type($operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Transforms
//===----------------------------------------------------------------------===//

def Spore_GradOp : Spore_Op<"grad", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "the gradient of a function at its arguments (reverse mode)";
  let description = [{
    Calls `callee` with `operands` and differentiates its first result, a
    0-d float tensor, with respect to the operands listed in `wrt`
    (increasing; each a float tensor). The results are, with
    `with_value`, every result of the call, then the gradients (each of
    its operand's type); without, the gradients only. The callee's other
    results are auxiliary values that are not differentiated.

    The frontend produces this op for `grad` and `value_and_grad`
    (language.md §7); `spore-differentiate` expands it, innermost first,
    into a call of a generated adjoint function.

    ```mlir
    %v, %g = spore.grad @loss(%w, %x) wrt = [0] with_value
        : (tensor<3xf32>, tensor<3xf32>) -> (tensor<f32>, tensor<3xf32>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$operands,
                       DenseI64ArrayAttr:$wrt, UnitAttr:$with_value);
  let results = (outs Variadic<AnyType>);
  let assemblyFormat = [{
    $callee `(` $operands `)` `wrt` `=` $wrt (`with_value` $with_value^)?
    attr-dict `:` functional-type($operands, results)
  }];
  let hasVerifier = 1;
}

def Spore_VjpOp : Spore_Op<"vjp", [AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a vector-Jacobian product (reverse mode)";
  let description = [{
    Calls `callee` with `primals` and pulls `cotangents` (one per result
    of the callee, of its type) back to the primals listed in `wrt`. The
    results are every result of the call, then one cotangent per `wrt`
    primal. `spore.grad` is the case of one scalar result seeded with 1;
    the frontend uses this op for `vjp`'s pullbacks and for `jacrev`.

    ```mlir
    %y, %dx = spore.vjp @f(%x) cotangents(%c) wrt = [0]
        : (tensor<3xf32>), (tensor<2xf32>) -> (tensor<2xf32>, tensor<3xf32>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$primals,
                       Variadic<Spore_FloatTensor>:$cotangents,
                       DenseI64ArrayAttr:$wrt);
  let results = (outs Variadic<AnyType>);
  let assemblyFormat = [{
    $callee `(` $primals `)` `cotangents` `(` $cotangents `)` `wrt` `=` $wrt
    attr-dict `:` `(` type($primals) `)` `,` `(` type($cotangents) `)` `->`
    `(` type(results) `)`
  }];
  let hasVerifier = 1;
}

def Spore_JvpOp : Spore_Op<"jvp", [AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "a Jacobian-vector product (forward mode)";
  let description = [{
    Calls `callee` with `primals` and pushes `tangents` (one per primal
    listed in `wrt`, of its type) forward to its results. The results are
    every result of the call, then one tangent per result (of its type;
    every result must be a float tensor). The frontend uses this op for
    `jvp`, `jacfwd` and `hessian` (forward over reverse).

    ```mlir
    %y, %ty = spore.jvp @f(%x) tangents(%t) wrt = [0]
        : (tensor<3xf32>), (tensor<3xf32>) -> (tensor<2xf32>, tensor<2xf32>)
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$primals,
                       Variadic<Spore_FloatTensor>:$tangents,
                       DenseI64ArrayAttr:$wrt);
  let results = (outs Variadic<AnyType>);
  let assemblyFormat = [{
    $callee `(` $primals `)` `tangents` `(` $tangents `)` `wrt` `=` $wrt
    attr-dict `:` `(` type($primals) `)` `,` `(` type($tangents) `)` `->`
    `(` type(results) `)`
  }];
  let hasVerifier = 1;
}

def Spore_JacobianOp : Spore_Op<"jacobian", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "the Jacobian of a function's result with respect to one primal";
  let description = [{
    The derivative of the one floating result `y` of `callee`, called with
    `primals`, with respect to the primal `wrt` (`x`): a tensor of shape
    `y.shape + x.shape` and `x`'s element type. With `forward` it is built
    from forward passes (Jacobian-vector products), one column per element
    of `x`; otherwise from reverse passes (vector-Jacobian products), one
    row per element of `y`.

    `spore-differentiate` expands it into an `scf.for` whose body makes
    the unit seeds at run time, so the code does not grow with the number
    of elements. Each iteration runs one pass on `width` seeds at once (as
    Enzyme's width): the derivative function is batched over its seed
    (passes/ad/Batch.h), so the part that does not depend on the seed, the
    primal and its saved values, is computed once per `width` columns or
    rows, and the rest works on `width` lanes together (a matrix-vector
    product becomes a matrix-matrix product). Without `width` it is the
    number of passes, at most 16; a derivative function that cannot be
    batched runs one seed per iteration. The frontend uses the op for
    `jacfwd`, `jacrev` and `hessian`.

    ```mlir
    %j = spore.jacobian @f(%x) wrt = 0 forward width = 3
        : (tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$primals,
                       I64Attr:$wrt, UnitAttr:$forward,
                       OptionalAttr<I64Attr>:$width);
  let results = (outs Spore_FloatTensor:$result);
  let assemblyFormat = [{
    $callee `(` $primals `)` `wrt` `=` $wrt (`forward` $forward^)?
    (`width` `=` $width^)? attr-dict `:` `(` type($primals) `)` `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Spore_StopGradientOp : Spore_Op<"stop_gradient", [Pure, Spore_ZeroTangent,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "its operand, with a zero derivative";
  let description = [{
    The identity on values; differentiation sends no cotangent through it
    (`stop_gradient(x)`, language.md §7). Lowered to its operand after
    differentiation, so it costs nothing.
  }];
  let arguments = (ins Spore_Tensor:$input);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// State
//===----------------------------------------------------------------------===//

def Spore_ParameterOp : Spore_Op<"parameter", [HasParent<"::mlir::ModuleOp">]> {
  let summary = "a Parameter of the module's state";
  let description = [{
    Declares one Parameter of the state object (language.md §6): its saved
    name (its path from a module-level Cell instance), its type and its
    initialiser, one of `const` (every element `args[0]`), `uniform` (on
    `[args[0], args[1])`) or `normal` (deviation `args[0]`). The frontend
    resolves `xavier_uniform` and `kaiming_normal` to these from the shape.

    In a module with N Parameters, every spore.func takes them as its first
    N arguments, in declaration order; an export's carry `spore.state`
    with the Parameter's name. The C ABI fetches them from the state
    object that the caller passes (spore-emit-c-abi).

    ```mlir
    spore.parameter "net.fc1.weight" : tensor<784x256xf32> uniform [-0.076, 0.076]
    ```
  }];
  let arguments = (ins StrAttr:$name, TypeAttrOf<Spore_Tensor>:$type,
                       StrAttr:$init, DenseF64ArrayAttr:$args);
  let assemblyFormat = "$name `:` $type $init $args attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    static ::llvm::StringRef getStateAttrName() { return "spore.state"; }
  }];
}

def Spore_AssignOp : Spore_Op<"assign", [MemoryEffects<[MemWrite]>]> {
  let summary = "sets a Parameter of the state when the export returns";
  let description = [{
    Makes `value` the new value of the Parameter `name` (training.md §1):
    reads of the Parameter anywhere in the call still see its value at
    the call's entry, and when the export succeeds its last assigned
    value becomes the state (a failing call leaves the state as it was).
    `value` has the Parameter's type. Not differentiable: a function that
    assigns cannot be differentiated.

    `spore-thread-state` turns every assign into results: a function that
    assigns (itself or through a call) takes the current values of what
    it assigns and returns the new ones; an export returns them last,
    listed by slot in its `spore.state_writes` attribute.

    ```mlir
    spore.assign "opt.step", %next : tensor<i64>
    ```
  }];
  let arguments = (ins StrAttr:$name, Spore_Tensor:$value);
  let assemblyFormat = "$name `,` $value attr-dict `:` type($value)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Constants and conversions
//===----------------------------------------------------------------------===//

def Spore_ConstantOp : Spore_Op<"constant", [ConstantLike, Pure,
    AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor";
  let description = [{
    ```mlir
    %0 = spore.constant dense<1.0> : tensor<4xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Spore_CastOp : Spore_Op<"cast", [Pure,
    DeclareOpInterfaceMethods<Spore_ScalarElementwiseOpInterface>,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "converts the element type of a tensor (astype)";
  let description = [{
    Floating to floating rounds or extends, integer to floating converts the
    signed value, floating to integer truncates toward zero, integer to
    integer sign-extends or truncates, and anything to `i1` compares with 0.
  }];
  let arguments = (ins Spore_Tensor:$input);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise primitives
//===----------------------------------------------------------------------===//

class Spore_UnaryOp<string mnemonic, Type operandType, string summaryText,
                    list<Trait> traits = []>
    : Spore_Op<mnemonic, !listconcat([Pure, SameOperandsAndResultType,
        InferTypeOpInterface,
        DeclareOpInterfaceMethods<Spore_ScalarElementwiseOpInterface>,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>], traits)> {
  let summary = summaryText;
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def Spore_NegOp : Spore_UnaryOp<"neg", Spore_Tensor, "elementwise negation",
                                [Spore_LinearTangent]> {
  let hasFolder = 1;
}
def Spore_ExpOp : Spore_UnaryOp<"exp", Spore_FloatTensor, "elementwise e^x">;
def Spore_LogOp : Spore_UnaryOp<"log", Spore_FloatTensor,
                                "elementwise natural logarithm">;
def Spore_TanhOp : Spore_UnaryOp<"tanh", Spore_FloatTensor,
                                 "elementwise hyperbolic tangent">;
def Spore_SigmoidOp : Spore_UnaryOp<"sigmoid", Spore_FloatTensor,
                                    "elementwise 1 / (1 + e^-x)">;
def Spore_ReluOp : Spore_UnaryOp<"relu", Spore_Tensor,
                                 "elementwise max(x, 0)">;
def Spore_AbsOp : Spore_UnaryOp<"abs", Spore_Tensor, "elementwise |x|">;
def Spore_SqrtOp : Spore_UnaryOp<"sqrt", Spore_FloatTensor,
                                 "elementwise square root">;
def Spore_RsqrtOp : Spore_UnaryOp<"rsqrt", Spore_FloatTensor,
                                  "elementwise 1 / sqrt(x)">;
def Spore_Expm1Op : Spore_UnaryOp<"expm1", Spore_FloatTensor,
                                  "elementwise e^x - 1, exact near 0">;
def Spore_Log1pOp : Spore_UnaryOp<"log1p", Spore_FloatTensor,
                                  "elementwise log(1 + x), exact near 0">;
def Spore_SinOp : Spore_UnaryOp<"sin", Spore_FloatTensor, "elementwise sine">;
def Spore_CosOp : Spore_UnaryOp<"cos", Spore_FloatTensor,
                                "elementwise cosine">;
def Spore_TanOp : Spore_UnaryOp<"tan", Spore_FloatTensor,
                                "elementwise tangent">;
def Spore_SinhOp : Spore_UnaryOp<"sinh", Spore_FloatTensor,
                                 "elementwise hyperbolic sine">;
def Spore_CoshOp : Spore_UnaryOp<"cosh", Spore_FloatTensor,
                                 "elementwise hyperbolic cosine">;
def Spore_AsinOp : Spore_UnaryOp<"asin", Spore_FloatTensor,
                                 "elementwise arcsine">;
def Spore_AcosOp : Spore_UnaryOp<"acos", Spore_FloatTensor,
                                 "elementwise arccosine">;
def Spore_AtanOp : Spore_UnaryOp<"atan", Spore_FloatTensor,
                                 "elementwise arctangent">;
def Spore_ErfOp : Spore_UnaryOp<"erf", Spore_FloatTensor,
                                "elementwise error function">;
def Spore_LgammaOp : Spore_UnaryOp<"lgamma", Spore_FloatTensor,
    "elementwise log|Gamma(x)| (computed in f64, accurate to ~1e-15)">;
def Spore_DigammaOp : Spore_UnaryOp<"digamma", Spore_FloatTensor,
    "elementwise digamma: the derivative of lgamma">;

def Spore_PolygammaOp : Spore_Op<"polygamma", [Pure, SameOperandsAndResultType,
        DeclareOpInterfaceMethods<Spore_ScalarElementwiseOpInterface>,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "elementwise polygamma of order n >= 1, for x > 0";
  let description = [{
    The `order`-th derivative of digamma (trigamma for order 1), the
    derivative rule of digamma and of itself (with the order raised by
    one). Defined here for x > 0; NaN elsewhere.
  }];
  let arguments = (ins Spore_FloatTensor:$input, I64Attr:$order);
  let results = (outs Spore_FloatTensor:$result);
  let assemblyFormat = "$input `order` `=` $order attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Spore_FloorOp : Spore_UnaryOp<"floor", Spore_FloatTensor,
    "elementwise floor (not differentiable)", [Spore_ZeroTangent]>;
def Spore_CeilOp : Spore_UnaryOp<"ceil", Spore_FloatTensor,
    "elementwise ceiling (not differentiable)", [Spore_ZeroTangent]>;
def Spore_RoundOp : Spore_UnaryOp<"round", Spore_FloatTensor,
    "elementwise rounding, halves to even as in NumPy (not differentiable)",
    [Spore_ZeroTangent]>;

class Spore_BinaryOp<string mnemonic, Type operandType, string summaryText,
                     list<Trait> traits = []>
    : Spore_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor,
        DeclareOpInterfaceMethods<Spore_ScalarElementwiseOpInterface>,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>], traits)> {
  let summary = summaryText;
  let description = [{
    Both operands have the result's type: the frontend makes NumPy
    broadcasting explicit with `spore.broadcast_to` before this op.
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  // One type is printed; the inference reports operands that differ.
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` custom<SameTypes>(type($lhs), type($rhs),
                                                  type($result))
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &inferred) {
      return ::spore::inferBinaryType(getOperationName(), loc,
                                      adaptor.getLhs(), adaptor.getRhs(),
                                      inferred);
    }
  }];
}

// The folds of the arithmetic ops keep derivative code lean: the rules'
// constants fold, and adding zeros or multiplying by ones disappears.
def Spore_AddOp : Spore_BinaryOp<"add", Spore_Tensor, "elementwise sum",
                                 [Spore_LinearTangent]> {
  let hasFolder = 1;
}
def Spore_SubOp : Spore_BinaryOp<"sub", Spore_Tensor, "elementwise difference",
                                 [Spore_LinearTangent]> {
  let hasFolder = 1;
}
def Spore_MulOp : Spore_BinaryOp<"mul", Spore_Tensor, "elementwise product",
                                 [Spore_MultilinearTangent]> {
  let hasFolder = 1;
}
def Spore_DivOp : Spore_BinaryOp<"div", Spore_FloatTensor,
                                 "elementwise true division"> {
  let hasFolder = 1;
}
def Spore_MaximumOp : Spore_BinaryOp<"maximum", Spore_Tensor,
                                     "elementwise maximum">;
def Spore_MinimumOp : Spore_BinaryOp<"minimum", Spore_Tensor,
                                     "elementwise minimum">;
def Spore_PowOp : Spore_BinaryOp<"pow", Spore_FloatTensor,
                                 "elementwise x ** y">;
def Spore_Atan2Op : Spore_BinaryOp<"atan2", Spore_FloatTensor,
                                   "elementwise arctangent of y / x (lhs y)">;

def Spore_FloorDivOp : Spore_BinaryOp<"floordiv", Spore_Tensor,
    "elementwise floor division, x // y (an integer divisor of 0 gives 0, "
    "as in NumPy)", [Spore_ZeroTangent]>;
def Spore_ModOp : Spore_BinaryOp<"mod", Spore_Tensor,
    "elementwise remainder with the divisor's sign, x % y (an integer "
    "divisor of 0 gives 0, as in NumPy)">;

def Spore_AndOp : Spore_BinaryOp<"and", Spore_IntTensor,
    "elementwise logical (bool) or bitwise (integer) and", [Spore_ZeroTangent]>;
def Spore_OrOp : Spore_BinaryOp<"or", Spore_IntTensor,
    "elementwise logical (bool) or bitwise (integer) or", [Spore_ZeroTangent]>;
def Spore_XorOp : Spore_BinaryOp<"xor", Spore_IntTensor,
    "elementwise logical (bool) or bitwise (integer) exclusive or",
    [Spore_ZeroTangent]>;
def Spore_NotOp : Spore_UnaryOp<"not", Spore_IntTensor,
    "elementwise logical (bool) or bitwise (integer) complement",
    [Spore_ZeroTangent]>;

def Spore_ComparePredicate : I64EnumAttr<"ComparePredicate",
    "the relation that spore.compare tests", [
      I64EnumAttrCase<"eq", 0>, I64EnumAttrCase<"ne", 1>,
      I64EnumAttrCase<"lt", 2>, I64EnumAttrCase<"le", 3>,
      I64EnumAttrCase<"gt", 4>, I64EnumAttrCase<"ge", 5>]> {
  let cppNamespace = "::spore";
}

def Spore_CompareOp : Spore_Op<"compare", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>,
    DeclareOpInterfaceMethods<Spore_ScalarElementwiseOpInterface>]> {
  let summary = "elementwise comparison, a bool tensor (not differentiable)";
  let description = [{
    Compares operands of one type (broadcast explicitly before). Floating
    comparisons are ordered, as in NumPy: any comparison with NaN is false,
    except `ne`, which is true.

    ```mlir
    %m = spore.compare lt, %x, %y : tensor<4xf32>
    ```
  }];
  let arguments = (ins Spore_ComparePredicate:$predicate, Spore_Tensor:$lhs,
                       Spore_Tensor:$rhs);
  let results = (outs Spore_BoolTensor:$result);
  let assemblyFormat = [{
    $predicate `,` $lhs `,` $rhs attr-dict `:`
    custom<SameOperandTypes>(type($lhs), type($rhs))
  }];
  let hasVerifier = 1;
}

def Spore_SelectOp : Spore_Op<"select", [Pure, InferTypeOpAdaptor,
    Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_ScalarElementwiseOpInterface>,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "elementwise choice: where(cond, a, b)";
  let description = [{
    `a` where `cond` is true and `b` elsewhere; all three operands have the
    result's shape (broadcast explicitly before).
  }];
  let arguments = (ins Spore_BoolTensor:$cond, Spore_Tensor:$true_value,
                       Spore_Tensor:$false_value);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $cond `,` $true_value `,` $false_value attr-dict `:` type($cond) `,`
    custom<SameTypes>(type($true_value), type($false_value), type($result))
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def Spore_MatmulOp : Spore_Op<"matmul", [Pure, InferTypeOpAdaptor,
    Spore_MultilinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "matrix product with NumPy's rules";
  let description = [{
    As `numpy.matmul`: 2-D operands multiply as matrices; a 1-D left operand
    is a row vector and a 1-D right operand a column vector (the added
    dimension is dropped from the result); operands of rank > 2 are stacks
    of matrices whose batch dimensions broadcast.
  }];
  let arguments = (ins Spore_Tensor:$lhs, Spore_Tensor:$rhs);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Spore_ReductionOp<string mnemonic, string summaryText,
                        list<Trait> traits = []>
    : Spore_Op<mnemonic, !listconcat([Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>], traits)> {
  let summary = summaryText;
  let description = [{
    Reduces `input` over `axes` (non-negative, strictly increasing). With
    `keepdims` the reduced dimensions stay with size 1.
  }];
  let arguments = (ins Spore_Tensor:$input, DenseI64ArrayAttr:$axes,
                       UnitAttr:$keepdims);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`keepdims` $keepdims^)? attr-dict `:`
    type($input) `->` type($result)
  }];
}

def Spore_SumOp : Spore_ReductionOp<"sum", "sum over axes",
                                    [Spore_LinearTangent]>;
def Spore_MeanOp : Spore_ReductionOp<"mean", "arithmetic mean over axes",
                                     [Spore_LinearTangent]> {
  let hasVerifier = 1;
}
def Spore_MaxOp : Spore_ReductionOp<"max", "maximum over axes"> {
  let hasVerifier = 1;
}
def Spore_MinOp : Spore_ReductionOp<"min", "minimum over axes"> {
  let hasVerifier = 1;
}
def Spore_ProdOp : Spore_ReductionOp<"prod", "product over axes">;

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def Spore_ReshapeOp : Spore_Op<"reshape", [Pure, Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "the same elements in row-major order with a new shape";
  let arguments = (ins Spore_Tensor:$input);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Spore_TransposeOp : Spore_Op<"transpose", [Pure, InferTypeOpAdaptor,
    Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "permutes dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Spore_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $input `permutation` `=` $permutation attr-dict `:` type($input) `->`
    type($result)
  }];
  let hasFolder = 1;
}

def Spore_BroadcastToOp : Spore_Op<"broadcast_to", [Pure, Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "NumPy broadcasting to the result shape";
  let description = [{
    Aligns the operand's shape with the result's from the right; each operand
    dimension must equal the result's or be 1, and missing leading
    dimensions are added.
  }];
  let arguments = (ins Spore_Tensor:$input);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Spore_CumsumOp : Spore_Op<"cumsum", [Pure, InferTypeOpInterface,
    Spore_LinearTangent,
    SameOperandsAndResultType,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "inclusive running sum along an axis";
  let arguments = (ins Spore_Tensor:$input, I64Attr:$axis);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Spore_ConcatenateOp : Spore_Op<"concatenate", [Pure,
    InferTypeOpAdaptor, Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "joins tensors of one dtype along an axis";
  let description = [{
    The inputs have equal shapes except along `axis`, whose sizes add up to
    the result's.
  }];
  let arguments = (ins Variadic<Spore_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` `=` $axis attr-dict `:` type($inputs) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

def Spore_I64Scalar : 0DTensorOf<[I64]>,
    BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getIntegerType(64))">;

def Spore_SliceOp : Spore_Op<"slice", [Pure, Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "basic slicing with compile-time starts and steps";
  let description = [{
    `result[i0, i1, ...] = input[starts[0] + i0 * steps[0], ...]`: the
    result's shape gives the number of elements taken per dimension. Steps
    are non-zero and may be negative; every index taken is in bounds.
    Integer indices and `None` in the source are a reshape around it.

    ```mlir
    %0 = spore.slice %x starts = [1, 4] steps = [2, -1] : tensor<8x5xf32> -> tensor<3x5xf32>
    ```
  }];
  let arguments = (ins Spore_Tensor:$input, DenseI64ArrayAttr:$starts,
                       DenseI64ArrayAttr:$steps);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $input `starts` `=` $starts `steps` `=` $steps attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Spore_DynamicSliceOp : Spore_Op<"dynamic_slice", [Pure, Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "a block at run-time starts (indexing by run-time ints)";
  let description = [{
    `result[i] = input[start + i]` per dimension, with one 0-d `i64` start
    per dimension, clamped to `[0, dim - size]` so that the block is in
    bounds (as in JAX; there are no run-time index errors yet).
  }];
  let arguments = (ins Spore_Tensor:$input, Variadic<Spore_I64Scalar>:$starts);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $starts `]` attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Spore_UpdateSliceOp : Spore_Op<"update_slice", [Pure, Spore_LinearTangent,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "functional update of a strided block (x[a:b:s] = v)";
  let description = [{
    `input` with `input[starts + i * steps] = update[i]`; steps are positive
    (the frontend reverses the update for a negative step).
  }];
  let arguments = (ins Spore_Tensor:$input, Spore_Tensor:$update,
                       DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$steps);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $update `into` $input `starts` `=` $starts `steps` `=` $steps attr-dict
    `:` type($update) `into` type($input)
  }];
  let hasVerifier = 1;
}

def Spore_DynamicUpdateSliceOp : Spore_Op<"dynamic_update_slice", [Pure,
    Spore_LinearTangent,
    AllTypesMatch<["input", "result"]>,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "functional update of a block at run-time starts";
  let description = [{
    `input` with the block at `starts` (clamped as in `dynamic_slice`)
    replaced by `update`.
  }];
  let arguments = (ins Spore_Tensor:$input, Spore_Tensor:$update,
                       Variadic<Spore_I64Scalar>:$starts);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $update `into` $input `[` $starts `]` attr-dict `:` type($update) `into`
    type($input)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Spore_GatherOp : Spore_Op<"gather", [Pure, InferTypeOpAdaptor,
    Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "integer-array indexing along one axis (x[idx], take)";
  let description = [{
    The result's shape is `input.shape[:axis] + indices.shape +
    input.shape[axis + 1:]`; `result[..., j..., ...] = input[...,
    indices[j...], ...]`. Negative indices count from the end; indices out
    of range are clamped (no run-time index errors yet).
  }];
  let arguments = (ins Spore_Tensor:$input, Spore_IntTensor:$indices,
                       I64Attr:$axis);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $input `[` $indices `]` `axis` `=` $axis attr-dict `:` type($input) `,`
    type($indices) `->` type($result)
  }];
}

def Spore_ScatterAddOp : Spore_Op<"scatter_add", [Pure, InferTypeOpAdaptor,
    Spore_LinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "adds slices of `updates` at integer indices along an axis";
  let description = [{
    The transpose of `gather`: `updates` has the shape `input.shape[:axis] +
    indices.shape + input.shape[axis + 1:]`, and each of its slices is added
    to the input's slice at the corresponding index; repeated indices
    accumulate. Indices are normalised and clamped as in `gather`.
  }];
  let arguments = (ins Spore_Tensor:$input, Spore_IntTensor:$indices,
                       Spore_Tensor:$updates, I64Attr:$axis);
  let results = (outs Spore_Tensor:$result);
  let assemblyFormat = [{
    $updates `into` $input `[` $indices `]` `axis` `=` $axis attr-dict `:`
    type($updates) `into` type($input) `,` type($indices)
  }];
}

//===----------------------------------------------------------------------===//
// Neural-network primitives
//===----------------------------------------------------------------------===//

class Spore_SoftmaxLikeOp<string mnemonic, string summaryText>
    : Spore_Op<mnemonic, [Pure, SameOperandsAndResultType, InferTypeOpInterface,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = summaryText;
  let arguments = (ins Spore_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Spore_FloatTensor:$result);
  let assemblyFormat = "$input `axis` `=` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Spore_SoftmaxOp : Spore_SoftmaxLikeOp<"softmax",
    "exp(x - max) / sum(exp(x - max)) along axis">;
def Spore_LogSoftmaxOp : Spore_SoftmaxLikeOp<"log_softmax",
    "x - max - log(sum(exp(x - max))) along axis">;

def Spore_Conv2DOp : Spore_Op<"conv2d", [Pure, InferTypeOpAdaptor,
    Spore_MultilinearTangent,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "2-D convolution, NHWC activations and HWIO filters";
  let description = [{
    `input` is `[N, H, W, C]`, `filter` `[KH, KW, C / groups, F]`; the
    result is `[N, OH, OW, F]` with `OH = (H + pad_top + pad_bottom -
    dilation_h * (KH - 1) - 1) / stride_h + 1` (likewise OW). `padding` is
    `[top, bottom, left, right]`, with zeros. With `groups` > 1, channel
    group g of the input meets filter columns of group g.
  }];
  let arguments = (ins Spore_FloatTensor:$input, Spore_FloatTensor:$filter,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding, I64Attr:$groups);
  let results = (outs Spore_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $filter `strides` `=` $strides `dilations` `=` $dilations
    `padding` `=` $padding `groups` `=` $groups attr-dict `:` type($input)
    `,` type($filter) `->` type($result)
  }];
}

def Spore_PoolKind : I64EnumAttr<"PoolKind", "how spore.pool2d combines", [
    I64EnumAttrCase<"max", 0>, I64EnumAttrCase<"avg", 1>]> {
  let cppNamespace = "::spore";
}

def Spore_Pool2DOp : Spore_Op<"pool2d", [Pure, InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<Spore_DifferentiableOpInterface>]> {
  let summary = "2-D max or average pooling over NHWC windows";
  let description = [{
    Windows of `window` with `strides` and `padding` (`[top, bottom, left,
    right]`; padding never wins a max, and counts as zeros in an average, as
    with PyTorch's default `count_include_pad`).
  }];
  let arguments = (ins Spore_PoolKind:$kind, Spore_FloatTensor:$input,
                       DenseI64ArrayAttr:$window, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Spore_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $input `window` `=` $window `strides` `=` $strides `padding` `=`
    $padding attr-dict `:` type($input) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

def Spore_PrintOp : Spore_Op<"print", [MemoryEffects<[MemWrite]>]> {
  let summary = "prints text and tensors at run time (print in a model)";
  let description = [{
    Writes `text[0] value[0] text[1] value[1] ... text[n]` and a newline to
    standard output through libspore_runtime, tensors formatted as NumPy
    prints them. Not differentiated.

    ```mlir
    spore.print ["loss = ", ""] %loss : tensor<f32>
    ```
  }];
  let arguments = (ins StrArrayAttr:$text, Variadic<Spore_Tensor>:$values);
  let assemblyFormat = [{
    $text ($values^ `:` type($values))? attr-dict
  }];
  let hasVerifier = 1;
}

def Spore_AssertOp : Spore_Op<"assert", [MemoryEffects<[MemWrite]>]> {
  let summary = "a run-time check: the entry point fails when it is false";
  let description = [{
    When `condition` (a 0-d bool) is false, the call of the exported
    function that runs it returns a non-zero status with `message` in
    `spore_last_error()`, each `{}` in it replaced by the next of `values`
    in decimal (without values, the message is literal text). The status is `SPORE_ERROR_ASSERT` for a user's `assert`,
    and `SPORE_ERROR_VALUE` for a `precondition` of the language that the
    frontend checks (an index out of bounds, a range step of 0); the
    `spore-strip-checks` pass removes the latter. The first failure of a
    call is the one reported; the call runs to its end, with out-of-bounds
    indices clamped, and writes none of its results.
  }];
  let arguments = (ins 0DTensorOf<[I1]>:$condition, StrAttr:$message,
                       Variadic<0DTensorOf<[I64]>>:$values,
                       UnitAttr:$precondition);
  let assemblyFormat = [{
    $condition `,` $message (`(` $values^ `:` type($values) `)`)?
    attr-dict `:` type($condition)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

def Spore_RandomOp : Spore_Op<"random", [Pure]> {
  let summary = "counter-based random numbers (Philox-4x32-10)";
  let description = [{
    Element `i` (in row-major order) is the first word of Philox-4x32-10
    with counter `(i mod 2^32, i div 2^32, 0, 0)` and the two 32-bit words
    of `key` (an `i32[2]` read as unsigned). An `i32` result holds those
    bits; a floating result is uniform in [0, 1): the word's top 24 bits
    times 2^-24. Integer arithmetic only, so every target gives the same
    stream.
  }];
  let arguments = (ins 1DTensorOf<[I32]>:$key);
  let results = (outs RankedTensorOf<[I32, F16, BF16, F32, F64]>:$result);
  let assemblyFormat = "$key attr-dict `:` type($key) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Code generation
//===----------------------------------------------------------------------===//

def Spore_ParallelOp : Spore_Op<"parallel", [AutomaticAllocationScope,
    RecursiveMemoryEffects]> {
  let summary = "a loop whose iterations may run on several threads";
  let description = [{
    Runs its body on ranges `[begin, end)` (the entry block's two `i64`
    arguments) that together cover `[0, iterations)` once each, in any
    order and possibly at once, on the runtime's threads
    (`spore_parallel_for`). `spore-forall-to-parallel` makes it of an
    `scf.forall` before the lowering to LLVM, whose conversions rewrite its
    body in place; `spore-outline-parallel` then moves the body into a
    function of a context pointer and the range, and replaces the op by
    the runtime call. The body is an allocation scope: its stack buffers
    are each thread's own.

    ```mlir
    spore.parallel %n {
    ^bb0(%begin: i64, %end: i64):
      ...
      spore.parallel_yield
    }
    ```
  }];
  let arguments = (ins I64:$iterations);
  let regions = (region AnyRegion:$body);
  let assemblyFormat = "$iterations attr-dict-with-keyword $body";
  let hasVerifier = 1;
}

def Spore_ParallelYieldOp : Spore_Op<"parallel_yield", [Pure, Terminator,
    ReturnLike, HasParent<"ParallelOp">]> {
  let summary = "ends a range of a spore.parallel";
  let assemblyFormat = "attr-dict";
}

#endif // SPORE_OPS_TD
