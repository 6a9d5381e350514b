//===- Npy.h - .npy encoding shared inside the runtime ----------*- C++ -*-===//
//
// The in-memory .npy parser and encoder behind spore_npy_read/write, which
// the .npz archive (npz.cpp) uses for its members. Not part of the C ABI.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_RUNTIME_NPY_H
#define SPORE_RUNTIME_NPY_H

#include "spore/runtime.h"

#include <string>

namespace spore::runtime {

/// Parses a whole .npy file held in memory; `name` names it in messages.
__attribute__((visibility("hidden"))) int parseNpy(const unsigned char *data,
                                                   size_t size,
                                                   const char *name,
                                                   spore_tensor *out);

/// The .npy encoding of `t` (format 1.0).
__attribute__((visibility("hidden"))) int encodeNpy(const spore_tensor *t,
                                                    std::string &out);

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// flushed and renamed over it, so that a failed or interrupted write
/// leaves any previous file whole; every write and close is checked.
__attribute__((visibility("hidden"))) int
writeFileAtomically(const char *path, const std::string &bytes);

} // namespace spore::runtime

#endif // SPORE_RUNTIME_NPY_H
