//===- Npy.h - .npy encoding shared inside the runtime ----------*- C++ -*-===//
//
// The in-memory .npy parser and encoder behind spore_npy_read/write, which
// the .npz archive (npz.cpp) uses for its members. Not part of the C ABI.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_RUNTIME_NPY_H
#define SPORE_RUNTIME_NPY_H

#include "spore/runtime.h"

#include <exception>
#include <functional>
#include <new>
#include <string>

namespace spore::runtime {

/// The dtype named `name` ("f32", ..., as spore_dtype_name gives it).
__attribute__((visibility("hidden"))) bool dtypeByName(const std::string &name,
                                                       spore_dtype &out);

/// Parses a whole .npy file held in memory; `name` names it in messages.
__attribute__((visibility("hidden"))) int parseNpy(const unsigned char *data,
                                                   size_t size,
                                                   const char *name,
                                                   spore_tensor *out);

/// The .npy encoding of `t` (format 1.0).
__attribute__((visibility("hidden"))) int encodeNpy(const spore_tensor *t,
                                                    std::string &out);

/// The header of that encoding alone, and how many bytes of `t->data`
/// follow it: for writers that do not copy the data.
__attribute__((visibility("hidden"))) int
encodeNpyHeader(const spore_tensor *t, std::string &out, uint64_t &dataBytes);

/// Replaces `path` by what `fill` writes into a temporary file of the same
/// folder (named `temp`, created empty): flushed to disk and renamed over
/// `path` only if `fill` returns SPORE_OK, so that a failed or interrupted
/// write leaves any previous file whole. `fill` sets the error it returns.
__attribute__((visibility("hidden"))) int
replaceFile(const char *path, const std::function<int(const char *temp)> &fill);

/// Writes `bytes` to `path` through a temporary file in the same folder,
/// flushed and renamed over it, so that a failed or interrupted write
/// leaves any previous file whole; every write and close is checked.
__attribute__((visibility("hidden"))) int
writeFileAtomically(const char *path, const std::string &bytes);

/// Runs `body` (which returns a status) so that no C++ exception leaves a
/// C entry point: memory exhaustion is SPORE_ERROR_MEMORY, any other
/// exception SPORE_ERROR_ARGUMENT, each message naming `function`.
template <typename Body>
int withoutExceptions(const char *function, Body body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return spore_set_error(SPORE_ERROR_MEMORY, "%s: out of memory", function);
  } catch (const std::exception &e) {
    return spore_set_error(SPORE_ERROR_ARGUMENT, "%s: %s", function, e.what());
  }
}

} // namespace spore::runtime

#endif // SPORE_RUNTIME_NPY_H
