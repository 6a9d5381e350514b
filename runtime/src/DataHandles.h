//===- DataHandles.h - the C handles of the data pipeline -------*- C++ -*-===//
//
// What the opaque spore_dataset and spore_loader of spore/data.h hold,
// shared by data.cpp (their C ABI) and train.cpp (the Trainer's C twin,
// which drives a caller's loaders).
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_RUNTIME_DATAHANDLES_H
#define SPORE_RUNTIME_DATAHANDLES_H

#include "Npy.h"
#include "spore/data.h"
#include "spore/data.hpp"

struct spore_dataset {
  spore::data::Dataset dataset;
};
struct spore_loader {
  spore::data::Loader loader;
};

namespace spore::runtime {

/// Runs `body` for the C entry point `function`, turning a thrown
/// data::Error into its status and message (withoutExceptions for the
/// rest).
template <typename Body> int guarded(const char *function, Body body) {
  return withoutExceptions(function, [&]() -> int {
    try {
      body();
      return SPORE_OK;
    } catch (const spore::data::Error &e) {
      return spore_set_error(e.status, "%s", e.what());
    }
  });
}

} // namespace spore::runtime

#endif // SPORE_RUNTIME_DATAHANDLES_H
