//===- SporePackContractions.cpp - cache-blocked matrix products ----------===//
//
// Defines `spore-pack-contractions`: a large f32 matrix product on buffers
// is rewritten into BLIS's form. Both operands are first copied into
// packed panels (IREE's data tiling; BLIS's packing):
//
//   Ap[M/MR][K][MR]   MR rows of A, one column after another
//   Bp[N/NR][K][NR]   NR columns of B, one row after another
//
// so that the register tile of MR x NR outputs reads both operands
// contiguously at every step of the reduction, whatever their layout: a
// transposed operand is packed by the same copy with another permutation,
// so A^T B and A B^T need no separate transpose. The product itself is
// BLIS's loops
//
//   spore.parallel over B's panels (or A's, when M > N):
//     for n2, for k1, for m1, for n1: C[8 x 32] += Ap[m1][KC] * Bp[n1][KC]
//
// (N split into N2 blocks of N1 panels of NR columns, K into K1 slices of
// KC, M into M1 panels of MR rows), BLIS's order with the operands' roles
// as in its kernels: the KC x MR micro-panel of A, whose elements the
// register tile broadcasts (16 KiB), stays in L1 while the block's panels
// of B, read as vectors, stream past it from L2, where the KC x NC block
// of B (at most 512 KiB) stays. (The other order, B's micro-panel held in
// L1, needed the whole 32 KiB L1 of this machine at KC = 256 and ran 10 %
// slower.) A block of C is larger than L2, so every step prefetches the
// next step's tile of C. Each thread takes a contiguous range of the
// split dimension. Each step is a
// plain 3-loop contraction of one register tile, which
// spore-vectorize-contractions tiles with the kc loop innermost, as for
// any contraction. (One 7-loop generic over the panels vectorised into a
// 7-d vector.contract with unit dimensions, which lowered to 8 GFLOP/s.)
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"

namespace spore {
#define GEN_PASS_DEF_SPOREPACKCONTRACTIONS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// The bytes of B's panels kept in L2 together (NC x KC f32): half of a
/// 1 MiB L2.
constexpr int64_t kBlockBytes = 512 * 1024;
/// The reduction slice (KC): KC x MR f32 of A fill half of a 32 KiB L1.
constexpr int64_t kReductionBlock = 512;
/// The least number of times each packed element must be read.
constexpr int64_t kMinReuse = 4;
/// The least KC worth blocking by: a smaller divisor of K makes the
/// accumulators go to memory too often.
constexpr int64_t kMinReductionBlock = 64;

/// A 2-d f32 product C[m, n] += A[., .] * B[., .] in one of the four
/// layouts of its operands.
struct Plan {
  int64_t m, n, k;
  bool aTransposed; // A is [K, M]
  bool bTransposed; // B is [N, K]
  /// How A, B and C collapse to matrices (each group of loops to one
  /// dimension; nothing to do where every group is one loop).
  SmallVector<SmallVector<ReassociationIndices>> collapse;
};

/// The order in which the groups of loops appear in `map`'s results, when
/// each appears whole, in its order, and only once; nullopt otherwise.
std::optional<SmallVector<int>>
groupOrder(AffineMap map, ArrayRef<SmallVector<unsigned>> groups) {
  SmallVector<unsigned> results;
  for (AffineExpr e : map.getResults()) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return std::nullopt;
    results.push_back(d.getPosition());
  }
  SmallVector<int> order;
  for (size_t i = 0; i < results.size();) {
    auto g = llvm::find_if(groups, [&](const SmallVector<unsigned> &group) {
      return llvm::is_contained(group, results[i]);
    });
    if (g == groups.end())
      return std::nullopt;
    int index = g - groups.begin();
    if (llvm::is_contained(order, index) || i + g->size() > results.size() ||
        ArrayRef<unsigned>(results).slice(i, g->size()) != ArrayRef(*g))
      return std::nullopt;
    order.push_back(index);
    i += g->size();
  }
  return order;
}

int64_t reductionBlock(int64_t k) {
  return spore::largestDivisorAtMost(k, kReductionBlock);
}

struct SporePackContractionsPass
    : spore::impl::SporePackContractionsBase<SporePackContractionsPass> {
  using SporePackContractionsBase::SporePackContractionsBase;

  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, Plan>> products;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<Plan> p = plan(op))
        products.emplace_back(op, *p);
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, p] : products)
      pack(rewriter, op, p);
  }

  std::optional<Plan> plan(linalg::LinalgOp op) {
    std::optional<spore::MatrixProduct> product = spore::matrixProduct(op);
    if (!op.hasPureBufferSemantics() || !product)
      return std::nullopt;
    const linalg::ContractionDimensions &dims = product->dims;
    // The rows (m), columns (n) and reduction (k) may each be several loops
    // (a [B, T, D] activation times a [D, E] weight has rows (b, t)) when
    // every operand holds a group's loops together and in order: its view
    // collapses to a matrix.
    SmallVector<SmallVector<unsigned>> groups = {
        SmallVector<unsigned>(dims.m.begin(), dims.m.end()),
        SmallVector<unsigned>(dims.n.begin(), dims.n.end()),
        SmallVector<unsigned>(dims.k.begin(), dims.k.end())};
    enum { M, N, K };
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    Plan p;
    std::optional<SmallVector<int>> a = groupOrder(maps[0], groups);
    std::optional<SmallVector<int>> b = groupOrder(maps[1], groups);
    std::optional<SmallVector<int>> c = groupOrder(maps[2], groups);
    if (!a || !b || !c || *c != SmallVector<int>{M, N})
      return std::nullopt;
    if (*a == SmallVector<int>{M, K})
      p.aTransposed = false;
    else if (*a == SmallVector<int>{K, M})
      p.aTransposed = true;
    else
      return std::nullopt;
    if (*b == SmallVector<int>{K, N})
      p.bTransposed = false;
    else if (*b == SmallVector<int>{N, K})
      p.bTransposed = true;
    else
      return std::nullopt;
    SmallVector<SmallVector<int>> orders = {*a, *b, *c};
    for (auto [operand, order] : llvm::zip(op->getOperands(), orders)) {
      SmallVector<ReassociationIndices> groupsOfOperand;
      int64_t next = 0;
      for (int g : order) {
        ReassociationIndices indices;
        for (size_t i = 0; i < groups[g].size(); ++i)
          indices.push_back(next++);
        groupsOfOperand.push_back(indices);
      }
      if (!memref::CollapseShapeOp::isGuaranteedCollapsible(
              cast<MemRefType>(operand.getType()), groupsOfOperand))
        return std::nullopt;
      p.collapse.push_back(groupsOfOperand);
    }
    p.m = product->m;
    p.n = product->n;
    p.k = product->k;
    if (!spore::packsProduct(p.m, p.n, p.k, minWork))
      return std::nullopt;
    return p;
  }

  void pack(RewriterBase &rewriter, linalg::LinalgOp op, const Plan &p) {
    Location loc = op.getLoc();
    Operation *init = spore::initBefore(op);
    rewriter.setInsertionPoint(op);
    constexpr int64_t mr = spore::kRegisterTileM, nr = spore::kRegisterTileN;
    int64_t panelsM = p.m / mr, panelsN = p.n / nr;
    int64_t kc = reductionBlock(p.k), blocksK = p.k / kc;
    int64_t panelsPerBlock = std::max<int64_t>(1, kBlockBytes / (kc * nr * 4));
    // The operands as matrices.
    SmallVector<Value> matrices;
    for (auto [operand, groups] : llvm::zip(op->getOperands(), p.collapse)) {
      if (static_cast<int64_t>(groups.size()) ==
          cast<MemRefType>(operand.getType()).getRank())
        matrices.push_back(operand);
      else
        matrices.push_back(
            memref::CollapseShapeOp::create(rewriter, loc, operand, groups));
    }
    Value a = matrices[0], b = matrices[1], c = matrices[2];

    // Ap[M/MR][K][MR] from A [M, K] (panels first) or A^T [K, M]; Bp[N/NR]
    // [K][NR] from B^T [N, K] (panels first) or B [K, N].
    Value packedA =
        packPanels(rewriter, loc, a, !p.aTransposed, panelsM, mr, p.k);
    Value packedB =
        packPanels(rewriter, loc, b, p.bTransposed, panelsN, nr, p.k);

    // The product: B's panels (or A's, when A has more rows than B has
    // columns) are shared out to threads, each taking a contiguous range.
    // Within the range, BLIS's loops (n2, k1, m1, n1): a block of B's
    // panels by one reduction slice stays in L2, each micro-panel of A
    // (kc x MR) stays in L1 while the block's panels of B stream past it,
    // and each step is a register tile's contraction over the slice.
    bool splitRows = p.m > p.n;
    auto i64 = rewriter.getI64Type();
    auto parallel = spore::ParallelOp::create(
        rewriter, loc,
        arith::ConstantIntOp::create(rewriter, loc, i64,
                                     splitRows ? panelsM : panelsN));
    Block *body = rewriter.createBlock(
        &parallel.getBody(), parallel.getBody().end(), {i64, i64}, {loc, loc});
    spore::ParallelYieldOp::create(rewriter, loc);
    rewriter.setInsertionPointToStart(body);
    auto index = [&](int64_t v) {
      return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
    };
    auto indexType = rewriter.getIndexType();
    Value first = arith::IndexCastOp::create(rewriter, loc, indexType,
                                             body->getArgument(0));
    Value last = arith::IndexCastOp::create(rewriter, loc, indexType,
                                            body->getArgument(1));
    Value one = index(1), zero = index(0);
    auto loop = [&](Value from, Value to, Value step) {
      auto f = scf::ForOp::create(rewriter, loc, from, to, step);
      rewriter.setInsertionPointToStart(f.getBody());
      return f.getInductionVar();
    };
    Value nFirst = splitRows ? zero : first;
    Value nLast = splitRows ? index(panelsN) : last;
    Value n2 = loop(nFirst, nLast, index(panelsPerBlock));
    Value n2Last = arith::MinSIOp::create(
        rewriter, loc,
        arith::AddIOp::create(rewriter, loc, n2, index(panelsPerBlock)), nLast);
    auto slice = [&](Value source, ArrayRef<OpFoldResult> offsets,
                     ArrayRef<int64_t> sizes, ArrayRef<int64_t> kept) {
      auto sourceType = cast<MemRefType>(source.getType());
      SmallVector<OpFoldResult> sizeAttrs, strides;
      for (int64_t size : sizes) {
        sizeAttrs.push_back(rewriter.getIndexAttr(size));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      auto type = memref::SubViewOp::inferRankReducedResultType(
          kept, sourceType, offsets, sizeAttrs, strides);
      return memref::SubViewOp::create(rewriter, loc, type, source, offsets,
                                       sizeAttrs, strides)
          .getResult();
    };
    // The slices [kFrom, kTo) of the reduction; with `init`, each tile of
    // C is filled (or copied into) just before its first slice's step.
    auto slices = [&](Value kFrom, Value kTo, Operation *init) {
      OpBuilder::InsertionGuard guard(rewriter);
      Value k1 = loop(kFrom, kTo, one);
      Value panel =
          splitRows ? loop(first, last, one) : loop(zero, index(panelsM), one);
      Value n1 = loop(n2, n2Last, one);
      Value k0 = arith::MulIOp::create(rewriter, loc, k1, index(kc));
      Value row = arith::MulIOp::create(rewriter, loc, panel, index(mr));
      Value column = arith::MulIOp::create(rewriter, loc, n1, index(nr));
      OpFoldResult z = rewriter.getIndexAttr(0);
      Value aTile = slice(packedA, {panel, k0, z}, {1, kc, mr}, {kc, mr});
      Value bTile = slice(packedB, {n1, k0, z}, {1, kc, nr}, {kc, nr});
      Value cTile = slice(c, {row, column}, {mr, nr}, {mr, nr});
      // The next step's tile of C, fetched into the cache while this step
      // computes: a block of C is larger than L2, so each tile comes from
      // further out at every reduction slice (BLIS's kernels do the same).
      Value nextColumn = arith::MinSIOp::create(
          rewriter, loc,
          arith::AddIOp::create(rewriter, loc, column, index(nr)),
          index(p.n - nr));
      for (int64_t r = 0; r < mr; ++r)
        for (int64_t line = 0; line < nr; line += 16)
          memref::PrefetchOp::create(
              rewriter, loc, c,
              ValueRange{arith::AddIOp::create(rewriter, loc, row, index(r)),
                         arith::AddIOp::create(rewriter, loc, nextColumn,
                                               index(line))},
              /*isWrite=*/true, /*localityHint=*/3, /*isDataCache=*/true);
      if (init) {
        // In the first slice only; with one slice, the fill is right
        // before the step, where spore-vectorize-contractions starts the
        // tile's registers from its value and C is not read at all.
        OpBuilder::InsertionGuard inFirst(rewriter);
        if (blocksK > 1) {
          Value isFirst = arith::CmpIOp::create(
              rewriter, loc, arith::CmpIPredicate::eq, k1, zero);
          auto first = scf::IfOp::create(rewriter, loc, isFirst);
          rewriter.setInsertionPointToStart(first.thenBlock());
        }
        // (c is the output or a reshape of it, so this succeeds.)
        spore::initTile(rewriter, init, cTile);
      }
      // C[m0, n0] += Ap[kc, m0] * Bp[kc, n0], loops (m0, n0, kc).
      MLIRContext *ctx = &getContext();
      auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
      SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {d(2), d(0)}, ctx),
                                     AffineMap::get(3, 0, {d(2), d(1)}, ctx),
                                     AffineMap::get(3, 0, {d(0), d(1)}, ctx)};
      using utils::IteratorType;
      linalg::GenericOp::create(
          rewriter, loc, ValueRange{aTile, bTile}, ValueRange{cTile}, maps,
          {IteratorType::parallel, IteratorType::parallel,
           IteratorType::reduction},
          [](OpBuilder &nested, Location l, ValueRange args) {
            Value product = arith::MulFOp::create(nested, l, args[0], args[1]);
            Value sum = arith::AddFOp::create(nested, l, args[2], product);
            linalg::YieldOp::create(nested, l, sum);
          });
    };
    // A fill of C just before the product (the zeros a product on tensors
    // starts from), or a copy into it (a product accumulated onto a
    // value), moves into the first slice's tiles, where C is in the
    // cache: the separate pass over C goes. (A second copy of the loops for
    // the first slice, which would not read C at all, doubled the kernel's
    // code and so its compile time, for about 1 % of speed.)
    slices(zero, index(blocksK), init);
    rewriter.setInsertionPointAfter(parallel);
    memref::DeallocOp::create(rewriter, loc, packedA);
    memref::DeallocOp::create(rewriter, loc, packedB);
    rewriter.eraseOp(op);
    if (init)
      rewriter.eraseOp(init);
  }

  /// Copies `operand`, a matrix of P * T rows and K columns when
  /// `panelsFirst` (else of K rows and P * T columns), into a new buffer
  /// [P][K][T]: panel p holds T rows (columns) of it, one reduction step
  /// after another. The copy is a transpose of a view of the operand, so a
  /// transposed operand costs nothing more.
  static Value packPanels(RewriterBase &rewriter, Location loc, Value operand,
                          bool panelsFirst, int64_t panels, int64_t tile,
                          int64_t k) {
    auto packed = memref::AllocOp::create(
        rewriter, loc,
        MemRefType::get({panels, k, tile}, rewriter.getF32Type()),
        rewriter.getI64IntegerAttr(64));
    Value view =
        panelsFirst
            ? memref::ExpandShapeOp::create(rewriter, loc, {panels, tile, k},
                                            operand, {{0, 1}, {2}})
            : memref::ExpandShapeOp::create(rewriter, loc, {k, panels, tile},
                                            operand, {{0}, {1, 2}});
    linalg::TransposeOp::create(rewriter, loc, view, packed,
                                panelsFirst ? ArrayRef<int64_t>{0, 2, 1}
                                            : ArrayRef<int64_t>{1, 0, 2});
    return packed;
  }
};

} // namespace

std::optional<spore::MatrixProduct> spore::matrixProduct(linalg::LinalgOp op) {
  if (op.hasDynamicShape() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  for (Value v : op->getOperands())
    if (!getElementTypeOrSelf(v.getType()).isF32())
      return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || !dims->batch.empty() || dims->m.empty() ||
      dims->n.empty() || dims->k.empty())
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  auto extent = [&](ArrayRef<unsigned> group) {
    int64_t e = 1;
    for (unsigned d : group)
      e *= ranges[d];
    return e;
  };
  return MatrixProduct{*dims, extent(dims->m), extent(dims->n),
                       extent(dims->k)};
}

bool spore::packsProduct(int64_t m, int64_t n, int64_t k, int64_t minWork) {
  // Whole panels only (a partial one would need padding), and enough work
  // that packing pays: each packed element of A is read N/NR times, each
  // of B M/MR times; fewer than kMinReuse reads do not repay the copy (a
  // batch of 16 rows reads B twice unpacked).
  return m % kRegisterTileM == 0 && n % kRegisterTileN == 0 &&
         m >= kMinReuse * kRegisterTileM && n >= kMinReuse * kRegisterTileN &&
         reductionBlock(k) >= kMinReductionBlock && m * n * k >= minWork;
}
