//===- Buffers.cpp - what the codegen passes know about buffers -----------===//
//
// The facts about memrefs that several passes share: which values may
// alias a buffer, whether a buffer outlives a loop iteration, whether two
// buffers are certainly distinct, and which fill or copy a contraction may
// start its output from.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

static bool isLoop(Operation *op) {
  return isa<LoopLikeOpInterface>(op) || isa<scf::WhileOp>(op);
}

static bool isBuffer(Value v) { return isa<BaseMemRefType>(v.getType()); }

llvm::SetVector<Value> spore::bufferAliases(Value buffer) {
  // Over-approximated: the results of views, of any op that takes an alias
  // and returns a buffer, of the regions an alias is yielded out of, and
  // the region arguments of ops it enters. A return ends the search.
  llvm::SetVector<Value> aliases;
  aliases.insert(buffer);
  auto addBuffers = [&](auto values) {
    for (Value v : values)
      if (isBuffer(v))
        aliases.insert(v);
  };
  for (size_t i = 0; i < aliases.size(); ++i) {
    for (OpOperand &use : aliases[i].getUses()) {
      Operation *user = use.getOwner();
      Operation *from = user;
      if (user->hasTrait<mlir::OpTrait::IsTerminator>()) {
        from = user->getParentOp();
        if (isa<FunctionOpInterface>(from))
          continue;
      }
      addBuffers(from->getResults());
      for (Region &region : from->getRegions())
        if (!region.empty())
          addBuffers(region.front().getArguments());
    }
  }
  return aliases;
}

bool spore::outlivesIteration(Value buffer) {
  Operation *def = buffer.getDefiningOp();
  if (!def)
    return true;
  for (Value alias : bufferAliases(buffer)) {
    for (Operation *user : alias.getUsers()) {
      if (!user->hasTrait<mlir::OpTrait::IsTerminator>())
        continue;
      // Carried to the next iteration of a loop around the buffer's
      // definition, or returned: live beyond the iteration.
      Operation *parent = user->getParentOp();
      if (isa<FunctionOpInterface>(parent) ||
          (isLoop(parent) && parent->isProperAncestor(def)))
        return true;
    }
  }
  return false;
}

bool spore::distinctBuffers(Value a, Value b) {
  auto isAllocation = [](Value v) {
    return isa_and_nonnull<memref::AllocOp, memref::AllocaOp>(
        v.getDefiningOp());
  };
  auto isFunctionArgument = [](Value v) {
    auto arg = dyn_cast<BlockArgument>(v);
    return arg && isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
  };
  for (Value v : {a, b})
    if (!isAllocation(v) && !isFunctionArgument(v))
      return false; // a loop-carried buffer, say: it may be anything
  if (a == b)
    return false;
  if (isAllocation(a) || isAllocation(b))
    return true;
  Operation *fn = cast<BlockArgument>(a).getOwner()->getParentOp();
  return fn == cast<BlockArgument>(b).getOwner()->getParentOp() &&
         fn->hasAttr("spore.export");
}

/// The buffer a copy op (memref.copy or linalg.copy) reads and the one it
/// writes; nulls for any other op.
static std::pair<Value, Value> copyBuffers(Operation *op) {
  if (auto copy = dyn_cast_or_null<memref::CopyOp>(op))
    return {copy.getSource(), copy.getTarget()};
  if (auto copy = dyn_cast_or_null<linalg::CopyOp>(op);
      copy && copy.hasPureBufferSemantics())
    return {copy.getInputs()[0], copy.getOutputs()[0]};
  return {};
}

Operation *spore::initBefore(linalg::LinalgOp op) {
  Operation *init = op->getPrevNode();
  if (!init || !op.hasPureBufferSemantics() || op.getNumDpsInits() != 1)
    return nullptr;
  Value output = op.getDpsInits()[0];
  if (auto fill = dyn_cast<linalg::FillOp>(init)) {
    if (!fill.hasPureBufferSemantics() || fill.getOutputs()[0] != output)
      return nullptr;
  } else {
    auto [source, target] = copyBuffers(init);
    // The same type, so that the views of the output that a tile takes
    // apply to the source as they are.
    if (!source || target != output || source.getType() != output.getType() ||
        !distinctBuffers(rootBuffer(source), rootBuffer(output)))
      return nullptr;
  }
  // The inputs must not read the output's buffer, which the initialisation
  // would have changed first.
  Value root = rootBuffer(output);
  for (OpOperand *input : op.getDpsInputOperands())
    if (isa<BaseMemRefType>(input->get().getType()) &&
        !distinctBuffers(rootBuffer(input->get()), root))
      return nullptr;
  return init;
}

Operation *spore::initTile(OpBuilder &b, Operation *init, Value tile) {
  Location loc = init->getLoc();
  if (auto fill = dyn_cast<linalg::FillOp>(init))
    return linalg::FillOp::create(b, loc, fill.getInputs(), ValueRange{tile});
  auto [source, target] = copyBuffers(init);
  // The views from the output to the tile, replayed on the source.
  SmallVector<Operation *> views;
  for (Value v = tile; v != target;) {
    Operation *view = v.getDefiningOp();
    if (!isa_and_nonnull<memref::SubViewOp, memref::CollapseShapeOp,
                         memref::ExpandShapeOp>(view))
      return nullptr;
    views.push_back(view);
    v = view->getOperand(0);
  }
  IRMapping mapping;
  mapping.map(target, source);
  Value from = source;
  for (Operation *view : llvm::reverse(views))
    from = b.clone(*view, mapping)->getResult(0);
  return linalg::CopyOp::create(b, loc, from, tile);
}
