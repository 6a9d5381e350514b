//===- SporeForallToParallel.cpp - scf.forall on the runtime's threads ----===//
//
// Defines `spore-forall-to-parallel`: each outermost scf.forall (on
// buffers, so without results) that may run on worker threads becomes a
// spore.parallel over its linearised iterations, whose body runs a range
// of them with an scf.for. Every other scf.forall becomes serial loops.
// Runs after lower-affine, so it makes only arith and scf ops.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/CallInterfaces.h"

namespace spore {
#define GEN_PASS_DEF_SPOREFORALLTOPARALLEL
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// Whether the iterations of `forall` may run on other threads: nothing in
/// it allocates on the heap or calls out (a failed allocation, a failing
/// check or a stack check unwinds to the calling thread's entry point,
/// which a worker thread cannot reach), and it has no results.
bool mayRunOnWorkers(scf::ForallOp forall) {
  if (forall.getNumResults() != 0)
    return false;
  return !forall.getBody()
              ->walk([](Operation *op) {
                if (isa<memref::AllocOp, memref::ReallocOp, CallOpInterface>(
                        op))
                  return WalkResult::interrupt();
                return WalkResult::advance();
              })
              .wasInterrupted();
}

struct SporeForallToParallelPass
    : spore::impl::SporeForallToParallelBase<SporeForallToParallelPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> outermost, serial;
    getOperation().walk<WalkOrder::PreOrder>([&](scf::ForallOp forall) {
      if (!forall->getParentOfType<scf::ForallOp>() &&
          !forall->getParentOfType<spore::ParallelOp>() &&
          mayRunOnWorkers(forall))
        outermost.push_back(forall);
      else
        serial.push_back(forall);
    });
    IRRewriter rewriter(&getContext());
    // Inner loops first, so that each outer body is final when it moves.
    for (scf::ForallOp forall : llvm::reverse(serial)) {
      rewriter.setInsertionPoint(forall);
      if (failed(scf::forallToForLoop(rewriter, forall)))
        return signalPassFailure();
    }
    for (scf::ForallOp forall : outermost)
      toParallel(rewriter, forall);
  }

  void toParallel(RewriterBase &rewriter, scf::ForallOp forall) {
    Location loc = forall.getLoc();
    rewriter.setInsertionPoint(forall);
    SmallVector<Value> lbs = getValueOrCreateConstantIndexOp(
        rewriter, loc, forall.getMixedLowerBound());
    SmallVector<Value> ubs = getValueOrCreateConstantIndexOp(
        rewriter, loc, forall.getMixedUpperBound());
    SmallVector<Value> steps =
        getValueOrCreateConstantIndexOp(rewriter, loc, forall.getMixedStep());
    // Iterations per dimension: (ub - lb + step - 1) / step (steps are
    // positive), 0 when ub <= lb.
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value> counts;
    Value total = one;
    for (auto [lb, ub, step] : llvm::zip(lbs, ubs, steps)) {
      Value span = rewriter.createOrFold<arith::SubIOp>(loc, ub, lb);
      span = rewriter.createOrFold<arith::AddIOp>(loc, span, step);
      span = rewriter.createOrFold<arith::SubIOp>(loc, span, one);
      Value count = rewriter.createOrFold<arith::DivSIOp>(loc, span, step);
      count = rewriter.createOrFold<arith::MaxSIOp>(loc, count, zero);
      counts.push_back(count);
      total = rewriter.createOrFold<arith::MulIOp>(loc, total, count);
    }
    auto i64 = rewriter.getI64Type();
    Value iterations =
        rewriter.createOrFold<arith::IndexCastOp>(loc, i64, total);

    auto parallel = spore::ParallelOp::create(rewriter, loc, iterations);
    Block *entry = rewriter.createBlock(
        &parallel.getBody(), parallel.getBody().end(), {i64, i64}, {loc, loc});
    rewriter.setInsertionPointToStart(entry);
    auto index = rewriter.getIndexType();
    Value begin =
        arith::IndexCastOp::create(rewriter, loc, index, entry->getArgument(0));
    Value end =
        arith::IndexCastOp::create(rewriter, loc, index, entry->getArgument(1));
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(rewriter, loc, begin, end, step);
    spore::ParallelYieldOp::create(rewriter, loc);

    // The forall's indices of linear iteration i, the last dimension
    // fastest.
    rewriter.setInsertionPointToStart(loop.getBody());
    SmallVector<Value> ivs(counts.size());
    Value rest = loop.getInductionVar();
    for (int64_t d = counts.size() - 1; d >= 0; --d) {
      Value position = rest;
      if (d > 0) {
        position = rewriter.createOrFold<arith::RemUIOp>(loc, rest, counts[d]);
        rest = rewriter.createOrFold<arith::DivUIOp>(loc, rest, counts[d]);
      }
      Value scaled =
          rewriter.createOrFold<arith::MulIOp>(loc, position, steps[d]);
      ivs[d] = rewriter.createOrFold<arith::AddIOp>(loc, lbs[d], scaled);
    }
    Block *body = forall.getBody();
    rewriter.eraseOp(body->getTerminator()); // an empty scf.forall.in_parallel
    rewriter.inlineBlockBefore(body, loop.getBody()->getTerminator(), ivs);
    rewriter.eraseOp(forall);
  }
};

} // namespace
