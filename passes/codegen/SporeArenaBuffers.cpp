//===- SporeArenaBuffers.cpp - a function's call buffers in one arena -----===//
//
// Defines `spore-arena-buffers`: the heap buffers of a function that only
// calls read and write (the residuals and gradients that the step of a
// deep model passes between the forward and backward functions of its
// blocks, and to its outlined loops) become views at fixed offsets into one
// allocation per call of the function. Offsets are planned from the
// buffers' lifetimes in the entry block (from the allocation to the free
// that spore-free-after-last-use put after its last use): buffers that are
// never live at once share bytes, first fit by decreasing size, as XLA's
// and TVM's static buffer assignment do.
//
// The step of 32 transformer blocks allocated and freed 1,826 buffers
// (3,652 runtime calls in one basic block, which every later pass, LLVM's
// optimiser and its code generation visit); it now makes one allocation.
// Only buffers whose every use is a call (directly or through a view) or
// their free take part (and scalars stored and loaded outside loops): a loop of
// the function itself that read two views of one allocation would lose what
// LLVM knows of two allocations (that they do not overlap), and vectorise
// behind run-time overlap checks.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace spore {
#define GEN_PASS_DEF_SPOREARENABUFFERS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// Offsets and sizes are multiples of this (a buffer's alignment).
constexpr int64_t kArenaAlignment = 64;

/// A buffer of the arena: its allocation, free, size and lifetime (the
/// positions of the allocation and the free in the entry block).
struct Buffer {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t bytes = 0;
  int64_t begin = 0, end = 0;
  int64_t offset = 0;
};

/// Whether every use of `value` is a call's operand, or a view whose uses
/// are, or (for the allocation itself) its one free, `dealloc`. A scalar
/// (0-d) buffer may also be loaded and stored outside loops, in `entry`:
/// the scalar arguments of calls (a learning rate for each update).
bool onlyCalls(Value value, memref::DeallocOp &dealloc, Block *entry,
               SmallVectorImpl<Operation *> &users) {
  bool scalar = cast<MemRefType>(value.getType()).getRank() == 0;
  for (Operation *user : value.getUsers()) {
    users.push_back(user);
    if (isa<func::CallOp>(user))
      continue;
    if (scalar && user->getBlock() == entry &&
        (isa<memref::LoadOp>(user) ||
         (isa<memref::StoreOp>(user) &&
          cast<memref::StoreOp>(user).getMemRef() == value)))
      continue;
    if (auto free = dyn_cast<memref::DeallocOp>(user)) {
      if (dealloc)
        return false; // freed twice: not ours to plan
      dealloc = free;
      continue;
    }
    if (isa<memref::CollapseShapeOp, memref::ExpandShapeOp, memref::ReshapeOp,
            memref::SubViewOp, memref::CastOp>(user) &&
        user->getOperand(0) == value) {
      memref::DeallocOp none;
      if (!onlyCalls(user->getResult(0), none, entry, users) || none)
        return false;
      continue;
    }
    return false;
  }
  return true;
}

/// The bytes of a statically shaped buffer of identity layout, rounded up
/// to the arena's alignment; nullopt for any other.
std::optional<int64_t> bytesOf(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
      type.getMemorySpace() || !type.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t elementBytes =
      (type.getElementType().getIntOrFloatBitWidth() + 7) / 8;
  int64_t bytes = std::max<int64_t>(1, type.getNumElements()) * elementBytes;
  return (bytes + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

struct SporeArenaBuffersPass
    : spore::impl::SporeArenaBuffersBase<SporeArenaBuffersPass> {
  using SporeArenaBuffersBase::SporeArenaBuffersBase;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (fn.isExternal() || !fn.getBody().hasOneBlock())
      return;
    Block &entry = fn.getBody().front();
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t at = 0;
    for (Operation &op : entry)
      position[&op] = at++;

    SmallVector<Buffer> buffers;
    for (Operation &op : entry) {
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc || !alloc.getDynamicSizes().empty() ||
          !alloc.getSymbolOperands().empty())
        continue;
      std::optional<int64_t> bytes = bytesOf(alloc.getType());
      memref::DeallocOp dealloc;
      SmallVector<Operation *> users;
      if (!bytes ||
          (alloc.getAlignment() &&
           kArenaAlignment % *alloc.getAlignment() != 0) ||
          !onlyCalls(alloc.getResult(), dealloc, &entry, users) || !dealloc ||
          dealloc->getBlock() != &entry)
        continue;
      // Live from the allocation to the free, or to a later use (which
      // spore-free-after-last-use does not leave, but the plan must not
      // depend on it).
      int64_t end = position[dealloc];
      for (Operation *user : users)
        if (Operation *top = entry.findAncestorOpInBlock(*user))
          end = std::max(end, position[top]);
      buffers.push_back(
          Buffer{alloc, dealloc, *bytes, position[alloc], end, 0});
    }
    if (static_cast<int64_t>(buffers.size()) < minBuffers)
      return;

    // First fit by decreasing size (then by first use, for a stable
    // order): each buffer goes at the lowest offset clear of the buffers
    // placed before it whose lifetimes overlap its own.
    SmallVector<Buffer *> order;
    for (Buffer &b : buffers)
      order.push_back(&b);
    llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) {
      return a->bytes > b->bytes;
    });
    SmallVector<Buffer *> placed;
    int64_t total = 0;
    for (Buffer *b : order) {
      SmallVector<std::pair<int64_t, int64_t>> taken;
      for (Buffer *p : placed)
        if (p->begin < b->end && b->begin < p->end)
          taken.push_back({p->offset, p->offset + p->bytes});
      llvm::sort(taken);
      int64_t offset = 0;
      for (auto [from, to] : taken) {
        if (offset + b->bytes <= from)
          break;
        offset = std::max(offset, to);
      }
      b->offset = offset;
      total = std::max(total, offset + b->bytes);
      placed.push_back(b);
    }

    // One allocation at the entry, freed before each return.
    OpBuilder builder(&getContext());
    builder.setInsertionPointToStart(&entry);
    Location loc = fn.getLoc();
    auto arenaType = MemRefType::get({total}, builder.getI8Type());
    auto arena = memref::AllocOp::create(
        builder, loc, arenaType, builder.getI64IntegerAttr(kArenaAlignment));
    fn.walk([&](func::ReturnOp ret) {
      builder.setInsertionPoint(ret);
      memref::DeallocOp::create(builder, loc, arena);
    });
    for (Buffer &b : buffers) {
      builder.setInsertionPoint(b.alloc);
      Value offset =
          arith::ConstantIndexOp::create(builder, b.alloc.getLoc(), b.offset);
      Value view =
          memref::ViewOp::create(builder, b.alloc.getLoc(), b.alloc.getType(),
                                 arena, offset, ValueRange{});
      b.alloc.getResult().replaceAllUsesExcept(view, b.dealloc);
      b.dealloc.erase();
      b.alloc.erase();
    }
  }
};

} // namespace
