//===- Passes.td - Spore's passes --------------------------*- tablegen -*-===//
//
// Every pass of Spore, one per .cpp file named after it. Flags carry the
// `spore-` prefix.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_PASSES_TD
#define SPORE_PASSES_TD

include "mlir/Pass/PassBase.td"

def SporeLowerToLinalg : Pass<"spore-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "lowers the spore dialect to func, linalg, tensor, arith and math";
  let description = [{
    Rewrites every spore op into upstream dialects on tensors:
    `spore.func`/`call`/`return` become `func.func`/`call`/`return`;
    elementwise primitives become one `linalg.generic` each, whose body the
    op builds itself (ScalarElementwiseOpInterface); `matmul` becomes
    `linalg.matmul` for 2-D operands and a contraction `linalg.generic`
    otherwise; reductions become `linalg.reduce`; `softmax` and
    `log_softmax` become a max-subtracted, numerically stable sequence of
    reductions and generics; shape ops become `tensor`/`linalg` shape ops.
    Functions are renamed `__spore_<name>` and made private (no model
    function can clash with a C library symbol); an exported one keeps its
    source name as the value of its `spore.export` attribute.
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect"];
}

def SporeEmitCABI : Pass<"spore-emit-c-abi", "::mlir::ModuleOp"> {
  let summary = "adds the C entry points of language.md §8 to lowered exports";
  let description = [{
    Runs on the LLVM dialect, after the functions were lowered with the
    bare-pointer memref calling convention and results became
    out-parameters. For each function marked `spore.export = "name"` it makes
    the function internal (as every other defined function) and adds two
    entry points:

    - `<prefix>_<name>(ptr, ..., ptr) -> i32`: the documented C ABI, one
      pointer per argument and per result, returning 0 on success;
    - `__spore_packed_<prefix>_<name>(ptr) -> i32`: the same call with the
      pointers in one array, which `spore-run` uses to call any export
      through one signature.
  }];
  let options = [
    Option<"prefix", "prefix", "std::string", /*default=*/"\"model\"",
           "the module name that prefixes every exported symbol">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // SPORE_PASSES_TD
