//===- SporeStripChecks.cpp - run-time checks off, for speed --------------===//
//
// Defines `spore-strip-checks`: removes the run-time checks of language
// rules (`spore.assert` with `precondition`: indices in bounds, a range
// step of 0), which `sporec --no-runtime-checks` asks for. Users' own
// asserts stay: they are the program's meaning, not a safety net.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

namespace spore {
#define GEN_PASS_DEF_SPORESTRIPCHECKS
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;

namespace {

struct SporeStripChecksPass
    : spore::impl::SporeStripChecksBase<SporeStripChecksPass> {
  void runOnOperation() override {
    getOperation()->walk([](spore::AssertOp check) {
      if (check.getPrecondition())
        check.erase();
    });
  }
};

} // namespace
