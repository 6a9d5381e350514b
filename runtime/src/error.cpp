//===- error.cpp - last-error messages and aligned memory -----------------===//
//
// The per-thread message behind spore_last_error() and the allocation
// helpers of the runtime's C ABI.
//
//===----------------------------------------------------------------------===//

#include "spore/runtime.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {
thread_local char lastError[1024] = "";
/// A failure raised by compiled code during the current call (an assert),
/// and the text of its message so far.
thread_local int pendingStatus = SPORE_OK;
thread_local std::string failureText;
} // namespace

extern "C" const char *spore_last_error(void) { return lastError; }

extern "C" int spore_set_error(int status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(lastError, sizeof(lastError), format, args);
  va_end(args);
  return status;
}

extern "C" void *spore_aligned_alloc(size_t alignment, size_t size) {
  if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) {
    spore_set_error(SPORE_ERROR_ARGUMENT,
                    "alignment %zu is not a power of two >= %zu", alignment,
                    sizeof(void *));
    return nullptr;
  }
  void *ptr = nullptr;
  if (posix_memalign(&ptr, alignment, size ? size : 1) != 0) {
    spore_set_error(SPORE_ERROR_MEMORY, "out of memory allocating %zu bytes",
                    size);
    return nullptr;
  }
  return ptr;
}

extern "C" void spore_free(void *ptr) { std::free(ptr); }

extern "C" void spore_fail_text(int32_t c) { failureText += (char)c; }

extern "C" void spore_fail_i64(int64_t value) {
  failureText += std::to_string(value);
}

extern "C" void spore_fail_code(int32_t status) {
  // The first failure of a call is the one reported.
  if (pendingStatus == SPORE_OK) {
    spore_set_error(status, "%s", failureText.c_str());
    pendingStatus = status;
  }
  failureText.clear();
}

extern "C" void spore_fail(void) { spore_fail_code(SPORE_ERROR_ASSERT); }

extern "C" int spore_take_status(void) {
  int status = pendingStatus;
  pendingStatus = SPORE_OK;
  return status;
}
