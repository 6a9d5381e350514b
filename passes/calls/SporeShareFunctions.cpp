//===- SporeShareFunctions.cpp - one function per repeated block ----------===//
//
// Defines `spore-share-functions`, which runs on spore IR before
// differentiation so that a model of N identical blocks compiles one
// function per block type instead of N inlined copies (docs/ir.md,
// "Functions").
//
// The frontend specialises a Cell's methods per instance, and each
// specialisation receives every Parameter of the model, of which it reads
// its own. So the pass, to a fixed point:
// 1. drops the arguments that a private function does not use, where every
//    use of the function is a call (the functions named by a transform or
//    a @custom_vjp attribute keep their signature);
// 2. merges private functions that are identical but for their name (type,
//    attributes and body, locations aside): after step 1 the instances of
//    one Cell class with the same static arguments are such twins, and
//    their callers become twins in turn.
// Then it marks `spore.separate` the functions that the inlining rule
// keeps apart, and asks for their calls not to be inlined.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"
#include "passes/ad/Adjoint.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/MapVector.h"

namespace spore {
#define GEN_PASS_DEF_SPORESHAREFUNCTIONS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;
using namespace spore;

namespace {

/// The calls of each function in `module` (one walk), without the
/// functions that something other than a call names.
llvm::DenseMap<StringAttr, SmallVector<CallOp>> callsOnly(ModuleOp module) {
  llvm::DenseMap<StringAttr, SmallVector<CallOp>> calls;
  llvm::DenseSet<StringAttr> named;
  if (std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(&module.getBodyRegion())) {
    for (const SymbolTable::SymbolUse &use : *uses) {
      StringAttr name = use.getSymbolRef().getRootReference();
      auto call = dyn_cast<CallOp>(use.getUser());
      if (call && call.getCalleeAttr().getAttr() == name)
        calls[name].push_back(call);
      else
        named.insert(name);
    }
  }
  for (StringAttr name : named)
    calls.erase(name);
  return calls;
}

/// Step 1: drops unused arguments of private functions called only.
bool dropUnusedArguments(ModuleOp module) {
  llvm::DenseMap<StringAttr, SmallVector<CallOp>> calls = callsOnly(module);
  bool changed = false;
  for (auto fn : module.getOps<FuncOp>()) {
    if (!fn.isPrivate() || fn.isExported() || fn.getBody().empty())
      continue;
    llvm::BitVector unused(fn.getNumArguments());
    for (BlockArgument arg : fn.getArguments())
      if (arg.use_empty())
        unused.set(arg.getArgNumber());
    auto found = calls.find(fn.getSymNameAttr());
    if (unused.none() || found == calls.end() ||
        failed(fn.eraseArguments(unused)))
      continue;
    for (CallOp call : found->second)
      call->eraseOperands(unused);
    changed = true;
  }
  return changed;
}

/// A function's attributes but its name.
DictionaryAttr attributesButName(FuncOp fn) {
  NamedAttrList attrs(fn->getAttrDictionary());
  attrs.erase(SymbolTable::getSymbolAttrName());
  return attrs.getDictionary(fn.getContext());
}

/// A hash of `fn`'s type, attributes and ops, locations aside: equal for
/// twins (mergeIdentical compares the candidates in full).
llvm::hash_code shapeHash(FuncOp fn) {
  return llvm::hash_combine(attributesButName(fn), opsHash(fn.getBody()));
}

/// Step 2: merges each private function into the first earlier twin.
bool mergeIdentical(ModuleOp module) {
  llvm::MapVector<llvm::hash_code, SmallVector<FuncOp>> buckets;
  for (auto fn : module.getOps<FuncOp>())
    if (fn.isPrivate() && !fn.isExported() && !fn.getBody().empty())
      buckets[shapeHash(fn)].push_back(fn);
  SmallVector<std::pair<FuncOp, FuncOp>> merges; // (twin, kept)
  for (auto &[hash, fns] : buckets) {
    SmallVector<FuncOp> kept;
    for (FuncOp fn : fns) {
      auto twin = llvm::find_if(kept, [&](FuncOp k) {
        return attributesButName(k) == attributesButName(fn) &&
               OperationEquivalence::isRegionEquivalentTo(
                   &k.getBody(), &fn.getBody(),
                   OperationEquivalence::IgnoreLocations);
      });
      if (twin == kept.end())
        kept.push_back(fn);
      else
        merges.emplace_back(fn, *twin);
    }
  }
  if (merges.empty())
    return false;
  // Every use of a twin names the function it merges into: one walk.
  llvm::DenseMap<Attribute, Attribute> renamed;
  for (auto [twin, kept] : merges)
    renamed[FlatSymbolRefAttr::get(twin.getSymNameAttr())] =
        FlatSymbolRefAttr::get(kept.getSymNameAttr());
  AttrTypeReplacer replacer;
  replacer.addReplacement(
      [&](FlatSymbolRefAttr ref) -> std::optional<Attribute> {
        if (Attribute to = renamed.lookup(ref))
          return to;
        return std::nullopt;
      });
  for (auto [twin, kept] : merges)
    twin.erase();
  replacer.recursivelyReplaceElementsIn(module);
  return true;
}

/// Whether `fn`, or a function it calls, prints, checks or assigns: the
/// derivative of a separate function evaluates it again in places (the
/// reverse of a loop recomputes an iteration), where such an effect must
/// not happen a second time.
bool hasEffects(FuncOp fn, SymbolTable &symbols) {
  llvm::SmallPtrSet<Operation *, 8> seen;
  SmallVector<FuncOp> work{fn};
  while (!work.empty()) {
    FuncOp f = work.pop_back_val();
    if (!f || !seen.insert(f).second)
      continue;
    WalkResult walked = f.walk([&](Operation *op) {
      if (ad::happensOnce(op))
        return WalkResult::interrupt();
      if (auto call = dyn_cast<CallOp>(op))
        work.push_back(symbols.lookup<FuncOp>(call.getCallee()));
      return WalkResult::advance();
    });
    if (walked.wasInterrupted())
      return true;
  }
  return false;
}

bool isFloatTensorType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// Whether `fn`, or a function it calls, contracts (a matmul or a
/// convolution) or loops: work whose code is large, unlike a chain of
/// elementwise ops. Memoised in `known`.
bool doesHeavyWork(FuncOp fn, SymbolTable &symbols,
                   llvm::DenseMap<Operation *, bool> &known) {
  auto [it, inserted] = known.try_emplace(fn, false);
  if (!inserted)
    return it->second;
  bool heavy = false;
  fn.getBody().walk([&](Operation *op) {
    if (isa<MatmulOp, Conv2DOp>(op) || op->getNumRegions() > 0)
      heavy = true;
    else if (auto call = dyn_cast<CallOp>(op))
      if (auto callee = symbols.lookup<FuncOp>(call.getCallee()))
        heavy |=
            !callee.getBody().empty() && doesHeavyWork(callee, symbols, known);
    return heavy ? WalkResult::interrupt() : WalkResult::advance();
  });
  known[fn] = heavy;
  return heavy;
}

/// The inlining rule (kMinSeparateCalls, kMinSeparateOps,
/// kMinSeparateSimpleOps), for functions
/// whose derivatives can be separate too: float tensor results, no
/// effects, and none of the functions differentiation keeps as calls on
/// its own terms (recursive, checkpointed, @custom_vjp). A function marked
/// before that the rule no longer keeps is unmarked: after differentiation,
/// the forward and backward functions of a block called once.
void markSeparate(ModuleOp module) {
  SymbolTable symbols(module);
  llvm::DenseMap<Operation *, bool> heavyWork;
  SymbolTableCollection collection;
  llvm::DenseMap<StringRef, SmallVector<CallOp>> calls;
  module.walk([&](CallOp call) { calls[call.getCallee()].push_back(call); });
  for (auto fn : module.getOps<FuncOp>()) {
    auto &sites = calls[fn.getSymName()];
    if (!fn.isPrivate() || fn.isExported() || fn.getBody().empty())
      continue;
    unsigned ops = 0;
    fn.getBody().walk(
        [&](Operation *op) { ops += !isa<ConstantOp, ReturnOp>(op); });
    bool heavy = doesHeavyWork(fn, symbols, heavyWork);
    // Derivatives that differentiation made separate keep the mark while
    // they are called from several places (a forward function's residuals
    // may be integers, and nothing differentiates it again after the pass).
    bool kept = sites.size() >= kMinSeparateCalls && ops >= kMinSeparateOps &&
                (heavy || ops >= kMinSeparateSimpleOps) &&
                (fn->hasAttr(kSeparateAttr) ||
                 (llvm::all_of(fn.getResultTypes(), isFloatTensorType) &&
                  !fn->hasAttr("spore.checkpoint") &&
                  !fn->hasAttr("spore.custom_vjp") &&
                  !hasEffects(fn, symbols) && !callsItself(fn, collection)));
    if (!kept && !fn->hasAttr(kSeparateAttr))
      continue;
    if (kept)
      fn->setAttr(kSeparateAttr, UnitAttr::get(fn.getContext()));
    else
      fn->removeAttr(kSeparateAttr);
    for (CallOp call : sites) {
      if (kept)
        call->setAttr(CallOp::getNoInlineAttrName(),
                      UnitAttr::get(fn.getContext()));
      else
        call->removeAttr(CallOp::getNoInlineAttrName());
    }
  }
}

struct SporeShareFunctionsPass
    : spore::impl::SporeShareFunctionsBase<SporeShareFunctionsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    while (true) {
      bool dropped = dropUnusedArguments(module);
      bool merged = mergeIdentical(module);
      if (!dropped && !merged)
        break;
    }
    markSeparate(module);
  }
};

} // namespace

llvm::hash_code spore::opsHash(Region &region) {
  llvm::hash_code hash = 0;
  region.walk([&](Operation *op) {
    hash =
        llvm::hash_combine(hash, OperationEquivalence::computeHash(
                                     op, OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::IgnoreLocations));
  });
  return hash;
}
