//===- parallel.cpp - the threads of compiled code ------------------------===//
//
// Compiled models run their parallel loops (the blocks of a large matrix
// product, the rows of a large elementwise op) through spore_parallel_for:
// `spore-outline-parallel` turns each loop body into a function of a range
// of iterations, and this file hands the ranges to oneTBB's workers. The
// threads live in one task arena whose size is the thread count the user
// chose (SPORE_NUM_THREADS, spore_set_num_threads), else every core that
// the process may run on.
//
//===----------------------------------------------------------------------===//

#include "spore/runtime.h"

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>

namespace {

/// The cores this process may run on (its affinity mask, which oneTBB
/// reads), at least 1.
int32_t coresAvailable() {
  int cores = tbb::info::default_concurrency();
  return cores > 0 ? cores : 1;
}

/// The most threads a process may ask for.
constexpr int32_t kMaxThreads = 4096;

/// SPORE_NUM_THREADS when it is a positive number, else 0 (the default).
int32_t threadsFromEnvironment() {
  const char *setting = std::getenv("SPORE_NUM_THREADS");
  if (!setting)
    return 0;
  char *end = nullptr;
  long n = std::strtol(setting, &end, 10);
  if (end == setting || *end != '\0' || n <= 0 || n > kMaxThreads)
    return 0;
  return static_cast<int32_t>(n);
}

struct Threads {
  std::mutex mutex;
  int32_t count = 0;
  /// Shared so that a call that has started keeps the arena it started
  /// on while another thread changes the count.
  std::shared_ptr<tbb::task_arena> arena;
  /// oneTBB starts one worker fewer than the cores; more threads than that
  /// must be allowed explicitly.
  std::unique_ptr<tbb::global_control> allowance;

  explicit Threads(int32_t requested) { set(requested); }

  void set(int32_t requested) {
    int32_t n = requested > 0 ? requested : threadsFromEnvironment();
    if (n <= 0)
      n = coresAvailable();
    std::lock_guard<std::mutex> lock(mutex);
    if (n == count && arena)
      return;
    count = n;
    allowance.reset();
    if (n > coresAvailable())
      allowance = std::make_unique<tbb::global_control>(
          tbb::global_control::max_allowed_parallelism, n);
    arena = n > 1 ? std::make_shared<tbb::task_arena>(n) : nullptr;
  }

  std::pair<int32_t, std::shared_ptr<tbb::task_arena>> get() {
    std::lock_guard<std::mutex> lock(mutex);
    return {count, arena};
  }
};

Threads &threads() {
  static Threads instance(0);
  return instance;
}

} // namespace

extern "C" int32_t spore_num_threads(void) { return threads().get().first; }

extern "C" int spore_set_num_threads(int32_t n) {
  if (n < 0 || n > kMaxThreads)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_set_num_threads: %d threads (0 to %d)", n,
                           kMaxThreads);
  try {
    threads().set(n);
  } catch (const std::exception &e) {
    return spore_set_error(SPORE_ERROR_MEMORY,
                           "spore_set_num_threads: %d threads: %s", n,
                           e.what());
  }
  return SPORE_OK;
}

extern "C" void spore_parallel_for(void (*body)(void *, int64_t, int64_t),
                                   void *context, int64_t n) {
  if (n <= 0)
    return;
  auto [count, arena] = threads().get();
  if (count <= 1 || n == 1 || !arena) {
    body(context, 0, n);
    return;
  }
  // The compiler splits a loop into iterations of about equal work, so a
  // static partition (a contiguous range per thread, no stealing) keeps
  // each thread's data together and costs least.
  arena->execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<int64_t>(0, n),
        [&](const tbb::blocked_range<int64_t> &range) {
          body(context, range.begin(), range.end());
        },
        tbb::static_partitioner());
  });
}
