//===- SporeThreadState.cpp - state updates as values ---------------------===//
//
// Defines `spore-thread-state`: turns `spore.assign` (a write of a
// Parameter, training.md §1) into values, so that everything after it sees
// pure functions again.
//
// A function *writes* a slot when it assigns it or calls a function that
// writes it (a fixed point over the call graph, so recursion is fine).
// Such a function, unless exported, takes the current value of each slot
// it writes as an extra argument and returns the new value as an extra
// result, in slot order. Inside, the current values are threaded through
// the body in program order: an assign replaces one, a call of a writing
// function passes them and takes its results, and an scf.if, scf.for or
// scf.while whose regions write gets one more result (and iteration
// argument) per slot. An export starts from the Parameters it receives
// (its value at the call's entry) and returns its final values last;
// `spore.state_writes` lists their slots, and the C entry point makes them
// the state when the call succeeds (spore-emit-c-abi).
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace spore {
#define GEN_PASS_DEF_SPORETHREADSTATE
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;
using namespace spore;

namespace {

/// Slots in increasing order.
using SlotSet = llvm::SmallVector<unsigned>;

void unite(SlotSet &into, ArrayRef<unsigned> other) {
  for (unsigned s : other)
    if (!llvm::is_contained(into, s))
      into.push_back(s);
  llvm::sort(into);
}

struct SporeThreadStatePass
    : spore::impl::SporeThreadStateBase<SporeThreadStatePass> {
  llvm::StringMap<unsigned> slotOf;
  SmallVector<Type> slotTypes;
  /// The slots each function writes.
  llvm::DenseMap<Operation *, SlotSet> writes;
  SymbolTable *symbols = nullptr;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable table(module);
    symbols = &table;
    for (auto p : module.getOps<ParameterOp>()) {
      slotOf[p.getName()] = slotTypes.size();
      slotTypes.push_back(p.getType());
    }
    // What each function writes, to a fixed point over calls.
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto fn : module.getOps<FuncOp>()) {
        SlotSet w = writesOf(fn);
        if (w != writes[fn]) {
          writes[fn] = w;
          changed = true;
        }
      }
    }
    for (auto fn : llvm::make_early_inc_range(module.getOps<FuncOp>())) {
      SlotSet w = writes.lookup(fn);
      if (w.empty())
        continue;
      if (failed(rewrite(fn, w)))
        return signalPassFailure();
    }
  }

  FuncOp calleeOf(CallOp call) {
    return symbols->lookup<FuncOp>(call.getCallee());
  }

  /// The slots that `op` (and what it holds or calls) writes, from the
  /// functions' sets known so far.
  SlotSet writesOf(Operation *op) {
    SlotSet w;
    op->walk([&](Operation *inner) {
      if (auto assign = dyn_cast<AssignOp>(inner)) {
        unite(w, {slotOf.lookup(assign.getName())});
      } else if (auto call = dyn_cast<CallOp>(inner)) {
        if (FuncOp callee = calleeOf(call))
          unite(w, writes.lookup(callee));
      }
    });
    return w;
  }

  LogicalResult rewrite(FuncOp fn, ArrayRef<unsigned> w) {
    Block &entry = fn.getBody().front();
    llvm::DenseMap<unsigned, Value> current;
    bool exported = fn.isExported();
    for (unsigned s : w) {
      if (exported) {
        if (s >= entry.getNumArguments())
          return fn.emitOpError("takes fewer arguments than the module has "
                                "Parameters");
        current[s] = entry.getArgument(s);
      } else {
        current[s] = entry.addArgument(slotTypes[s], fn.getLoc());
      }
    }
    if (failed(threadBlock(entry, current)))
      return failure();
    auto ret = cast<ReturnOp>(entry.getTerminator());
    for (unsigned s : w)
      ret->insertOperands(ret->getNumOperands(), current[s]);
    fn.setFunctionType(FunctionType::get(
        fn.getContext(), entry.getArgumentTypes(), ret.getOperandTypes()));
    if (exported) {
      SmallVector<int64_t> slots(w.begin(), w.end());
      fn->setAttr(kStateWritesAttr,
                  Builder(fn.getContext()).getDenseI64ArrayAttr(slots));
    }
    return success();
  }

  SmallVector<Value> valuesOf(ArrayRef<unsigned> slots,
                              llvm::DenseMap<unsigned, Value> &current) {
    SmallVector<Value> values;
    for (unsigned s : slots)
      values.push_back(current[s]);
    return values;
  }

  SmallVector<Type> typesOf(ArrayRef<unsigned> slots) {
    SmallVector<Type> types;
    for (unsigned s : slots)
      types.push_back(slotTypes[s]);
    return types;
  }

  /// Threads the current values through the ops of `block` (not its
  /// terminator), leaving in `current` the values at its end.
  LogicalResult threadBlock(Block &block,
                            llvm::DenseMap<unsigned, Value> &current) {
    for (Operation &op :
         llvm::make_early_inc_range(block.without_terminator())) {
      if (auto assign = dyn_cast<AssignOp>(op)) {
        current[slotOf.lookup(assign.getName())] = assign.getValue();
        assign.erase();
        continue;
      }
      if (op.getNumRegions() == 0 && !isa<CallOp>(op))
        continue;
      SlotSet w = writesOf(&op);
      if (w.empty())
        continue;
      if (failed(threadOp(&op, w, current)))
        return failure();
    }
    return success();
  }

  /// Threads the current values of the slots `w` through `op`, which
  /// writes them, replacing it.
  LogicalResult threadOp(Operation *op, ArrayRef<unsigned> w,
                         llvm::DenseMap<unsigned, Value> &current) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    SmallVector<Type> types(op->getResultTypes());
    llvm::append_range(types, typesOf(w));
    unsigned numOld = op->getNumResults();
    Operation *replacement = nullptr;

    if (auto call = dyn_cast<CallOp>(op)) {
      FuncOp callee = calleeOf(call);
      if (callee.isExported())
        return call.emitOpError("calls the export '")
               << callee.getSymName()
               << "', which assigns the state; call a function it calls "
                  "instead";
      // The callee takes exactly its own slots, in order.
      SlotSet own = writes.lookup(callee);
      SmallVector<Value> operands(call.getOperands());
      llvm::append_range(operands, valuesOf(own, current));
      SmallVector<Type> resultTypes(call.getResultTypes());
      llvm::append_range(resultTypes, typesOf(own));
      auto newCall =
          CallOp::create(b, loc, resultTypes, call.getCallee(), operands,
                         call.getArgAttrsAttr(), call.getResAttrsAttr());
      newCall->setDiscardableAttrs(call->getDiscardableAttrDictionary());
      for (auto [k, s] : llvm::enumerate(own))
        current[s] = newCall.getResult(numOld + k);
      call.replaceAllUsesWith(newCall.getResults().take_front(numOld));
      call.erase();
      return success();
    }

    if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
      auto newIf = scf::IfOp::create(b, loc, types, ifOp.getCondition(),
                                     /*withElseRegion=*/true);
      for (auto [from, to] :
           {std::make_pair(&ifOp.getThenRegion(), &newIf.getThenRegion()),
            std::make_pair(&ifOp.getElseRegion(), &newIf.getElseRegion())}) {
        to->getBlocks().clear();
        if (from->empty()) {
          // No else: it yields the values as they are.
          b.createBlock(to);
          scf::YieldOp::create(b, loc, valuesOf(w, current));
          continue;
        }
        to->takeBody(*from);
        auto inner = current;
        if (failed(threadBlock(to->front(), inner)))
          return failure();
        Operation *yield = to->front().getTerminator();
        yield->insertOperands(yield->getNumOperands(), valuesOf(w, inner));
      }
      replacement = newIf;
    } else if (auto forOp = dyn_cast<scf::ForOp>(op)) {
      SmallVector<Value> inits(forOp.getInitArgs());
      llvm::append_range(inits, valuesOf(w, current));
      auto newFor =
          scf::ForOp::create(b, loc, forOp.getLowerBound(),
                             forOp.getUpperBound(), forOp.getStep(), inits);
      newFor.getRegion().getBlocks().clear();
      newFor.getRegion().takeBody(forOp.getRegion());
      Block &body = newFor.getRegion().front();
      auto inner = current;
      for (unsigned s : w)
        inner[s] = body.addArgument(slotTypes[s], loc);
      if (failed(threadBlock(body, inner)))
        return failure();
      Operation *yield = body.getTerminator();
      yield->insertOperands(yield->getNumOperands(), valuesOf(w, inner));
      replacement = newFor;
    } else if (auto whileOp = dyn_cast<scf::WhileOp>(op)) {
      SmallVector<Value> inits(whileOp.getInits());
      llvm::append_range(inits, valuesOf(w, current));
      auto newWhile =
          scf::WhileOp::create(b, loc, types, inits, nullptr, nullptr);
      for (auto [from, to] :
           {std::make_pair(&whileOp.getBefore(), &newWhile.getBefore()),
            std::make_pair(&whileOp.getAfter(), &newWhile.getAfter())}) {
        to->getBlocks().clear();
        to->takeBody(*from);
        Block &block = to->front();
        auto inner = current;
        for (unsigned s : w)
          inner[s] = block.addArgument(slotTypes[s], loc);
        if (failed(threadBlock(block, inner)))
          return failure();
        Operation *term = block.getTerminator();
        term->insertOperands(term->getNumOperands(), valuesOf(w, inner));
      }
      replacement = newWhile;
    } else {
      return op->emitOpError("assigns the state inside an op that "
                             "spore-thread-state cannot thread it through");
    }
    for (auto [k, s] : llvm::enumerate(w))
      current[s] = replacement->getResult(numOld + k);
    op->replaceAllUsesWith(replacement->getResults().take_front(numOld));
    op->erase();
    return success();
  }
};

} // namespace
