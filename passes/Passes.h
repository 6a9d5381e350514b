//===- Passes.h - Spore's passes and pipelines ------------------*- C++ -*-===//
//
// Declares every pass of Spore (generated from Passes.td) and the named
// pipelines that chain them with upstream passes.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_PASSES_PASSES_H
#define SPORE_PASSES_PASSES_H

#include "dialects/spore/SporeDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/SetVector.h"

namespace spore {

/// The register tile of a matrix product (spore-vectorize-contractions):
/// rows and columns of the output it keeps in vector registers. Other
/// passes that split contractions (spore-parallelize) cut at multiples of
/// it, so that every register tile stays whole.
inline constexpr int64_t kRegisterTileM = 8;
inline constexpr int64_t kRegisterTileN = 32;

/// The least multiply-adds of a matrix product that spore-pack-contractions
/// packs (its `min-work` option).
inline constexpr int64_t kPackMinWork = 1 << 21;

/// An f32 matrix product: a contraction of two statically shaped f32
/// operands into one, without batch loops, whose rows (m), columns (n) and
/// reduction (k) are each one or more loops; `m`, `n` and `k` are the
/// extents of those groups of loops.
struct MatrixProduct {
  mlir::linalg::ContractionDimensions dims;
  int64_t m, n, k;
};

/// `op` as an f32 matrix product, or nullopt for any other op.
std::optional<MatrixProduct> matrixProduct(mlir::linalg::LinalgOp op);

/// Whether spore-pack-contractions packs an f32 product of M x N outputs
/// over a reduction of K (with `minWork` as its option): the products that
/// read a transposed operand as fast as a plain one.
bool packsProduct(int64_t m, int64_t n, int64_t k,
                  int64_t minWork = kPackMinWork);

/// The largest divisor of `size` that is at most `limit`: a tile size that
/// leaves no partial tile, so that every tile vectorises without masks.
inline int64_t largestDivisorAtMost(int64_t size, int64_t limit) {
  for (int64_t d = std::min(size, limit); d > 1; --d)
    if (size % d == 0)
      return d;
  return 1;
}

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Options of the CPU pipeline from spore IR to the LLVM dialect.
struct CpuPipelineOptions {
  /// Prefix of every exported C symbol (the model's module name).
  std::string prefix = "model";
  /// Optimisation level 0..3.
  unsigned optLevel = 2;
  /// Bytes of static intermediates each function may keep on the stack;
  /// the rest are heap-allocated (see buildCpuPipeline).
  uint64_t stackBudget = 1 << 20;
  /// Whether to run buildDifferentiatePipeline first; false for a module
  /// that has been differentiated already (sporec's, after --emit=spore-ad).
  bool differentiate = true;
};

/// spore-differentiate, then the clean-up that makes its adjoints lean:
/// folds, loop state that nothing reads (spore-dead-loop-state), CSE and
/// removal of unused functions. With `shareFunctions`, spore-share-functions
/// runs before and after, so that repeated blocks stay functions.
void buildDifferentiatePipeline(mlir::OpPassManager &pm,
                                bool shareFunctions = true);

/// spore → linalg on tensors (stops before bufferisation), after
/// buildDifferentiatePipeline unless `differentiate` is false.
void buildLowerToLinalgPipeline(mlir::OpPassManager &pm,
                                bool differentiate = true);

/// spore → LLVM dialect with the C ABI entry points, ready to translate.
void buildCpuPipeline(mlir::OpPassManager &pm,
                      const CpuPipelineOptions &options);

/// `buffer` and every value that may alias it, over-approximated: views of
/// it, results of ops that take an alias and return a buffer, results of
/// the regions an alias is yielded out of, and region arguments of the ops
/// it enters (a return ends the search).
llvm::SetVector<mlir::Value> bufferAliases(mlir::Value buffer);

/// Whether `buffer`, or a value that may alias it, can be live after the
/// end of an iteration of a loop around its definition: it is carried to
/// the next iteration or returned. Such a buffer cannot share one stack
/// slot across iterations (spore-hoist-allocas).
bool outlivesIteration(mlir::Value buffer);

/// The buffer that `memref` is a view of, through every view-like op
/// (subview, expand_shape, ...); `memref` itself when it is no view.
inline mlir::Value rootBuffer(mlir::Value memref) {
  while (auto view = memref.getDefiningOp<mlir::ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}

/// Whether the roots `a` and `b` (allocations or function arguments) are
/// certainly different buffers: two allocations, or an allocation and an
/// argument, always are; two arguments only of an exported function, whose
/// buffers must not overlap (language.md §8); an internal function may be
/// passed one buffer twice. Anything else (a loop-carried buffer, say) may
/// be anything.
bool distinctBuffers(mlir::Value a, mlir::Value b);

/// The op just before `op` that initialises the whole of op's only output:
/// a linalg.fill of it, or a copy (memref.copy or linalg.copy) into it of
/// another buffer of the same type (a product accumulated onto a value,
/// spore-accumulate-updates). Null unless none of op's inputs may be the
/// output's buffer. A contraction may then start each tile of its output
/// from the initial value (spore::initTile) instead of reading it, and
/// the op can go.
mlir::Operation *initBefore(mlir::linalg::LinalgOp op);

/// Writes into `tile`, a view of the output that `init` (see initBefore)
/// initialises, what `init` writes there: a fill of the tile, or a
/// linalg.copy into it of the same view of the copy's source. Returns the
/// new op, or null (creating nothing) when `tile` is not a chain of
/// subviews and reshapes of that output.
mlir::Operation *initTile(mlir::OpBuilder &b, mlir::Operation *init,
                          mlir::Value tile);

/// Whether the function `fn` calls itself, directly or through the
/// functions it calls (calls of any dialect that name their callee).
bool callsItself(mlir::Operation *fn, mlir::SymbolTableCollection &symbols);

/// Marks the functions that call themselves from spore-lower-to-linalg on:
/// their stack buffers are bounded by kRecursiveStackBudget, since a frame
/// is live per level of recursion.
inline constexpr llvm::StringLiteral kRecursiveAttr = "spore.recursive";
inline constexpr uint64_t kRecursiveStackBudget = 16 * 1024;

/// Marks the heap buffers that spore-plan-stack chose for the stack.
inline constexpr llvm::StringLiteral kStackAttr = "spore.stack";

/// A hash of the ops in `region`, locations aside: equal for regions that
/// OperationEquivalence::isRegionEquivalentTo finds equal (with
/// IgnoreLocations), and so a key for finding twin functions.
llvm::hash_code opsHash(mlir::Region &region);

/// Functions made by a pass so far, by a hash of their type and body.
template <typename FnOp>
using MadeFunctions = llvm::DenseMap<llvm::hash_code, llvm::SmallVector<FnOp>>;

/// `fn` itself, recorded in `made`, or the function of `made` equal to it
/// (same type, same body but for locations), after which `fn` is erased
/// from `symbols`: identical outlined bodies become one function.
template <typename FnOp>
FnOp shareFunction(FnOp fn, MadeFunctions<FnOp> &made,
                   mlir::SymbolTable &symbols) {
  llvm::SmallVector<FnOp> &bucket = made[llvm::hash_combine(
      fn.getFunctionType(), opsHash(fn.getFunctionBody()))];
  for (FnOp twin : bucket)
    if (twin.getFunctionType() == fn.getFunctionType() &&
        mlir::OperationEquivalence::isRegionEquivalentTo(
            &twin.getFunctionBody(), &fn.getFunctionBody(),
            mlir::OperationEquivalence::IgnoreLocations)) {
      symbols.erase(fn);
      return twin;
    }
  bucket.push_back(fn);
  return fn;
}

/// The alignment of the runtime's heap buffers (SPORE_BUFFER_ALIGNMENT in
/// spore/runtime.h): spore-buffer-alignment and spore-runtime-buffers
/// rely on it.
inline constexpr uint64_t kRuntimeBufferAlignment = 64;

/// On a spore.func: the function is compiled once and called from each of
/// its call sites rather than inlined (spore-share-functions decides);
/// differentiation then calls its derivatives (`.fwd`/`.bwd`, `.jvp`).
inline constexpr llvm::StringLiteral kSeparateAttr = "spore.separate";

/// On a separate function made by differentiation (`.fwd`, `.bwd`, `.jvp`):
/// compiled once like its primal, but inlined where it is differentiated
/// again, since its residuals may be integers or value stacks.
inline constexpr llvm::StringLiteral kDerivativeAttr = "spore.derivative";

/// Whether differentiation keeps calls of `fn` as calls of its derivatives.
inline bool isSeparatePrimal(mlir::Operation *fn) {
  return fn->hasAttr(kSeparateAttr) && !fn->hasAttr(kDerivativeAttr);
}

/// The inlining rule of spore-share-functions: a function stays separate
/// when it has at least kMinSeparateCalls call sites and at least
/// kMinSeparateOps ops besides constants, and it contracts (a matmul or a
/// convolution), loops, calls a separate function or has at least
/// kMinSeparateSimpleOps ops (docs/ir.md, "Functions"). Small elementwise
/// helpers are inlined: their code is a few fused loops, and inlined they
/// fuse with their callers' and share their callers' loop-invariant work.
inline constexpr unsigned kMinSeparateCalls = 2;
inline constexpr unsigned kMinSeparateOps = 3;
inline constexpr unsigned kMinSeparateSimpleOps = 48;

/// Registers Spore's passes and the `spore-cpu-pipeline` and
/// `spore-lower-to-linalg-pipeline` pipelines with the pass registry.
void registerSporePassesAndPipelines();

} // namespace spore

#endif // SPORE_PASSES_PASSES_H
