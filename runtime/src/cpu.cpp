//===- cpu.cpp - does this CPU run the object? ----------------------------===//
//
// spore_check_cpu: every entry point of a compiled model calls it first
// with the CPU and the instruction-set features it was compiled for
// (sporec --cpu). A feature this CPU lacks is SPORE_ERROR_CPU with a
// message, where running the model's code would raise SIGILL.
//
//===----------------------------------------------------------------------===//

#include "spore/runtime.h"

#include <atomic>
#include <cstring>
#include <string>

namespace {

/// Whether this CPU has the x86 feature `name` (as __builtin_cpu_supports
/// spells it): 1 or 0, or -1 for a name not in the table (from a newer
/// compiler: not checked). The compiler records the same names
/// (Driver.cpp, kCheckedFeatures).
int supports(const std::string &name) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
#define SPORE_FEATURE(n)                                                       \
  if (name == n)                                                               \
    return __builtin_cpu_supports(n) ? 1 : 0;
  SPORE_FEATURE("sse3")
  SPORE_FEATURE("ssse3")
  SPORE_FEATURE("sse4.1")
  SPORE_FEATURE("sse4.2")
  SPORE_FEATURE("popcnt")
  SPORE_FEATURE("lzcnt")
  SPORE_FEATURE("movbe")
  SPORE_FEATURE("adx")
  SPORE_FEATURE("aes")
  SPORE_FEATURE("pclmul")
  SPORE_FEATURE("sha")
  SPORE_FEATURE("avxvnni")
  SPORE_FEATURE("avxifma")
  SPORE_FEATURE("avxvnniint8")
  SPORE_FEATURE("avxneconvert")
  SPORE_FEATURE("avx10.1")
  SPORE_FEATURE("avx10.2")
  SPORE_FEATURE("amx-tile")
  SPORE_FEATURE("amx-int8")
  SPORE_FEATURE("amx-bf16")
  SPORE_FEATURE("apxf")
  SPORE_FEATURE("avx")
  SPORE_FEATURE("avx2")
  SPORE_FEATURE("fma")
  SPORE_FEATURE("f16c")
  SPORE_FEATURE("bmi")
  SPORE_FEATURE("bmi2")
  SPORE_FEATURE("avx512f")
  SPORE_FEATURE("avx512cd")
  SPORE_FEATURE("avx512dq")
  SPORE_FEATURE("avx512bw")
  SPORE_FEATURE("avx512vl")
  SPORE_FEATURE("avx512ifma")
  SPORE_FEATURE("avx512vbmi")
  SPORE_FEATURE("avx512vbmi2")
  SPORE_FEATURE("avx512vnni")
  SPORE_FEATURE("avx512bitalg")
  SPORE_FEATURE("avx512vpopcntdq")
  SPORE_FEATURE("avx512bf16")
  SPORE_FEATURE("avx512fp16")
  SPORE_FEATURE("gfni")
  SPORE_FEATURE("vpclmulqdq")
  SPORE_FEATURE("vaes")
#undef SPORE_FEATURE
#endif
  (void)name;
  return -1;
}

/// The last description found to be supported: calls after the first
/// compare one pointer.
std::atomic<const char *> checked{nullptr};

} // namespace

extern "C" int spore_check_cpu(const char *compiledFor) {
  if (!compiledFor || checked.load(std::memory_order_acquire) == compiledFor)
    return SPORE_OK;
  // "CPU:feature,feature,..."
  const char *colon = std::strchr(compiledFor, ':');
  std::string cpu = colon ? std::string(compiledFor, colon) : compiledFor;
  std::string missing;
  std::string list = colon ? colon + 1 : "";
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos)
      end = list.size();
    std::string feature = list.substr(start, end - start);
    if (!feature.empty() && supports(feature) == 0)
      missing += (missing.empty() ? "" : ", ") + feature;
    start = end + 1;
  }
  if (!missing.empty())
    return spore_set_error(
        SPORE_ERROR_CPU,
        "this model was compiled for the CPU '%s', and this CPU lacks %s "
        "(compile it with sporec --cpu=host, or for a CPU this machine "
        "meets, e.g. --cpu=x86-64-v2)",
        cpu.c_str(), missing.c_str());
  checked.store(compiledFor, std::memory_order_release);
  return SPORE_OK;
}
