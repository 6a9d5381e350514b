//===- Batch.h - a function over a batch of some of its arguments -*- C++
//-*-===//
//
// Batching (vectorisation, JAX's vmap, Enzyme's `width`): from a function
// `f`, a function that takes a batch of `width` values in place of some of
// its arguments (each gets a leading dimension of that size) and returns
// every result batched likewise. What does not depend on the batched
// arguments is computed once; what does is computed on the whole batch at
// once (a matrix-vector product becomes a matrix-matrix product), through
// one rule per op kind, or, for ops without a rule, a loop over the lanes.
//
// spore-differentiate batches derivative functions over their seeds, so
// that a Jacobian takes one pass per `width` rows or columns.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_PASSES_AD_BATCH_H
#define SPORE_PASSES_AD_BATCH_H

#include "dialects/spore/SporeOps.h"

namespace spore::ad {

/// The private function `name` (made once, then looked up): `fn` with a
/// leading dimension of `width` on the arguments at `batched` and on every
/// result. Fails, making nothing, where a batched value would reach a
/// scalar (a loop bound or a branch condition), which cannot carry lanes,
/// or have a dynamic shape (a value stack of a run-time trip count).
mlir::FailureOr<FuncOp> batchFunction(FuncOp fn,
                                      llvm::ArrayRef<unsigned> batched,
                                      int64_t width, llvm::StringRef name,
                                      mlir::SymbolTable &symbols);

} // namespace spore::ad

#endif // SPORE_PASSES_AD_BATCH_H
