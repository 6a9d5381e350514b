//===- SporeOutlineLoops.cpp - loop nests of long functions as functions --===//
//
// Defines `spore-outline-loops`: in a function with many loop nests at its
// top level, each nest becomes a call of a private function, and nests
// that are identical but for the buffers they touch share one function.
//
// A training step inlines the elementwise work between the calls of its
// blocks and one update loop per Parameter, so a model of N blocks gives a
// step of several loop nests per block. Both upstream's convert-scf-to-cf
// (each loop splits its block and moves the rest of the function) and
// LLVM's loop passes (loop rotation, induction-variable simplification and
// vectorisation, each of which updates analyses of the whole function per
// loop) then take time that grows with the square of the depth. Outlined,
// the step is a sequence of calls, and the tanh after every Dense layer or
// the update of every 64x64 weight is one function compiled once.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace spore {
#define GEN_PASS_DEF_SPOREOUTLINELOOPS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

/// Whether a value of `type` can cross a call in the bare-pointer
/// convention that exports and internal calls use: scalars, vectors and
/// statically shaped buffers of identity layout.
bool passable(Type type) {
  if (type.isIntOrIndexOrFloat() || isa<VectorType>(type))
    return true;
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.hasStaticShape() && memref.getLayout().isIdentity() &&
         !memref.getMemorySpace();
}

/// Constants are copied into the outlined function rather than passed, so
/// that nests differing only in their buffers have equal bodies and LLVM
/// still sees the constants.
bool copied(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->getNumRegions() == 0 && def->getNumOperands() == 0 &&
         (def->hasTrait<OpTrait::ConstantLike>() || isa<ub::PoisonOp>(def));
}

/// What `nest` reads from outside itself, in order of first use (the same
/// order for identical nests): the values to pass and the constants to
/// copy. Fails when one cannot be passed or the nest cannot move.
LogicalResult capturedValues(scf::ForOp nest, llvm::SetVector<Value> &passed,
                             llvm::SetVector<Value> &constants) {
  for (Type type : nest.getResultTypes())
    if (!passable(type) || isa<MemRefType>(type))
      return failure();
  WalkResult walk = nest->walk<WalkOrder::PreOrder>([&](Operation *op) {
    // Parallel loops are outlined for the runtime's threads later
    // (spore-outline-parallel), from the function that holds them.
    if (isa<spore::ParallelOp>(op))
      return WalkResult::interrupt();
    for (Value operand : op->getOperands()) {
      Region *defined = operand.getParentRegion();
      if (defined && nest->isAncestor(defined->getParentOp()))
        continue;
      if (copied(operand))
        constants.insert(operand);
      else if (passable(operand.getType()))
        passed.insert(operand);
      else
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// The buffer that `value` is a view of, through view-like ops.
Value rootOf(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

bool isAllocation(Value value) {
  return value.getDefiningOp<memref::AllocOp>() ||
         value.getDefiningOp<memref::AllocaOp>();
}

/// Whether the buffer `passed[i]` of a call in `parent` is reached by no
/// other argument of the call: it is an allocation of `parent`, and every
/// other buffer passed comes from another allocation or from an argument
/// of `parent` (which existed before the allocation). LLVM may then assume
/// that the callee's argument aliases none of the others (noalias), as it
/// knew of the allocation before outlining; without it, every outlined
/// loop would check its buffers for overlap at run time.
bool passedAlone(ArrayRef<Value> passed, size_t i, func::FuncOp parent) {
  Value buffer = passed[i];
  if (!isAllocation(buffer))
    return false;
  for (auto [j, other] : llvm::enumerate(passed)) {
    if (j == i || !isa<MemRefType>(other.getType()))
      continue;
    Value root = rootOf(other);
    auto arg = dyn_cast<BlockArgument>(root);
    bool known = isAllocation(root) ||
                 (arg && arg.getOwner() == &parent.getBody().front());
    if (!known || root == buffer)
      return false;
  }
  return true;
}

struct SporeOutlineLoopsPass
    : spore::impl::SporeOutlineLoopsBase<SporeOutlineLoopsPass> {
  using Base::Base;

  /// The outlined functions made so far.
  spore::MadeFunctions<func::FuncOp> made;
  /// Per outlined function, the arguments passed alone at every call.
  llvm::MapVector<Operation *, llvm::BitVector> alone;

  void outline(func::FuncOp parent, scf::ForOp nest, unsigned index,
               SymbolTable &symbols) {
    llvm::SetVector<Value> passed, constants;
    if (failed(capturedValues(nest, passed, constants)))
      return;
    MLIRContext *ctx = &getContext();
    SmallVector<Type> argTypes;
    for (Value v : passed)
      argTypes.push_back(v.getType());
    auto type = FunctionType::get(ctx, argTypes, nest.getResultTypes());
    OpBuilder b(parent);
    auto fn = func::FuncOp::create(
        b, nest.getLoc(), (parent.getSymName() + ".loop" + Twine(index)).str(),
        type);
    fn.setPrivate();
    // Kept out of line by LLVM too (spore-emit-c-abi reads the discardable
    // attribute; func-to-llvm drops the inherent one).
    fn.setNoInline(true);
    fn->setAttr(spore::CallOp::getNoInlineAttrName(), b.getUnitAttr());
    Block *entry = fn.addEntryBlock();
    IRMapping map;
    for (auto [value, arg] : llvm::zip(passed, entry->getArguments()))
      map.map(value, arg);
    b.setInsertionPointToStart(entry);
    for (Value c : constants)
      b.clone(*c.getDefiningOp(), map);
    Operation *copy = b.clone(*nest, map);
    func::ReturnOp::create(b, nest.getLoc(), copy->getResults());
    symbols.insert(fn);
    fn = spore::shareFunction(fn, made, symbols);
    llvm::BitVector here(passed.size());
    for (size_t i = 0; i < passed.size(); ++i)
      here[i] = passedAlone(passed.getArrayRef(), i, parent);
    auto [it, inserted] = alone.try_emplace(fn, here);
    if (!inserted)
      it->second &= here;

    b.setInsertionPoint(nest);
    auto call =
        func::CallOp::create(b, nest.getLoc(), fn, passed.getArrayRef());
    nest.replaceAllUsesWith(call.getResults());
    nest.erase();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> functions(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : functions) {
      if (fn.isExternal())
        continue;
      SmallVector<scf::ForOp> nests;
      for (Block &block : fn.getBody())
        for (auto nest : block.getOps<scf::ForOp>())
          nests.push_back(nest);
      if (nests.size() < minNests)
        continue;
      for (auto [index, nest] : llvm::enumerate(nests))
        outline(fn, nest, index, symbols);
    }
    for (auto &[op, args] : alone)
      for (unsigned i : args.set_bits())
        cast<func::FuncOp>(op).setArgAttr(
            i, LLVM::LLVMDialect::getNoAliasAttrName(),
            UnitAttr::get(&getContext()));
  }
};

} // namespace
