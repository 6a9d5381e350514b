//===- CallCycles.cpp - functions that call themselves --------------------===//
//
// See callsItself in Passes.h: differentiation keeps calls of such
// functions as calls, and code generation bounds their frames and checks
// the native stack at their entry.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Interfaces/CallInterfaces.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

bool spore::callsItself(Operation *fn, SymbolTableCollection &symbols) {
  llvm::SmallPtrSet<Operation *, 16> seen;
  SmallVector<Operation *> work{fn};
  bool found = false;
  while (!work.empty() && !found) {
    Operation *f = work.pop_back_val();
    f->walk([&](CallOpInterface call) {
      auto callee =
          dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee());
      Operation *target =
          callee ? symbols.lookupNearestSymbolFrom(call, callee) : nullptr;
      found |= target == fn;
      if (target && seen.insert(target).second)
        work.push_back(target);
    });
  }
  return found;
}
