//===- buffers.cpp - the heap buffers of compiled models ------------------===//
//
// Compiled code allocates the intermediates that do not fit its stack
// budget with spore_buffer_alloc and frees them with spore_buffer_free
// (spore-runtime-buffers routes the lowered malloc and free here). Large
// buffers are kept after they are freed and handed out again: a model's
// calls allocate the same sizes every time, and glibc gives large freed
// blocks back to the kernel (munmap, or trimming the heap), so each call
// page-faulted all of its intermediates afresh (16% of a GPT block's
// value_and_grad).
//
//===----------------------------------------------------------------------===//

#include "spore/runtime.h"

#include <algorithm>
#include <atomic>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <pthread.h>

namespace {

/// Every buffer starts this many bytes after its block, behind a header
/// that records the block's capacity; 64 keeps the block's alignment.
constexpr size_t kHeader = 64;
/// Buffers from this size on are cached; glibc serves smaller ones well
/// from its own free lists.
constexpr size_t kCachedFrom = 64 * 1024;
/// A cached block is reused for a request at least this fraction of it.
constexpr size_t kMaxWasteShift = 3; // 1/8

struct Cache {
  std::mutex mutex;
  /// Free blocks by capacity, and their total.
  std::multimap<size_t, void *> free;
  size_t bytes = 0;
  /// The most bytes kept: SPORE_BUFFER_CACHE MiB (0 turns the cache off),
  /// 1 GiB by default. A freed block that does not fit goes back to the
  /// system.
  size_t limit = [] {
    const char *setting = std::getenv("SPORE_BUFFER_CACHE");
    char *end = nullptr;
    unsigned long long mib =
        setting ? std::strtoull(setting, &end, 10) : 1024ull;
    if (setting && (end == setting || *end != '\0'))
      mib = 1024; // not a number: the default
    return static_cast<size_t>(mib) << 20;
  }();
};

/// What spore_buffer_counts_get reports.
struct Counts {
  std::atomic<uint64_t> buffers{0}, bytes{0}, systemBuffers{0}, systemBytes{0};
};

Counts &counts() {
  static Counts *instance = new Counts;
  return *instance;
}

Cache &cache() {
  static Cache *instance = new Cache; // outlives static destructors
  return *instance;
}

/// The header in front of every buffer: its block's capacity, and its
/// links in the list of buffers live in the current guarded call.
struct Header {
  size_t capacity;
  Header *prev, *next;
};
static_assert(sizeof(Header) <= kHeader, "the header must fit");
static_assert(kHeader % SPORE_BUFFER_ALIGNMENT == 0,
              "buffers start kHeader bytes into an aligned block");

size_t &capacityOf(void *block) {
  return static_cast<Header *>(block)->capacity;
}

/// A call of compiled code that an allocation failure unwinds
/// (spore_call_guarded): where to jump, and the buffers allocated during
/// the call and not yet freed, which the jump would leak. The list is the
/// thread's own: compiled code frees a buffer on the thread that
/// allocated it (parallel loops will need a guard per task).
struct Guard {
  std::jmp_buf jump;
  Header live; // sentinel of a circular list
  Guard *outer;
};
thread_local Guard *currentGuard = nullptr;

void track(void *block) {
  auto *h = static_cast<Header *>(block);
  if (!currentGuard) {
    h->prev = h->next = nullptr;
    return;
  }
  Header &live = currentGuard->live;
  h->next = live.next;
  h->prev = &live;
  live.next->prev = h;
  live.next = h;
}

void untrack(void *block) {
  auto *h = static_cast<Header *>(block);
  if (!h->prev)
    return;
  h->prev->next = h->next;
  h->next->prev = h->prev;
  h->prev = h->next = nullptr;
}

/// A block of at least `capacity` bytes: from the cache, or the system's.
void *takeBlock(size_t capacity) {
  if (capacity >= kCachedFrom) {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.lower_bound(capacity);
    if (it != c.free.end() &&
        it->first - capacity <= (capacity >> kMaxWasteShift)) {
      void *block = it->second;
      c.bytes -= it->first;
      c.free.erase(it);
      return block;
    }
  }
  void *block = nullptr;
  if (capacity > SIZE_MAX - kHeader ||
      posix_memalign(&block, kHeader, capacity + kHeader) != 0)
    return nullptr;
  capacityOf(block) = capacity;
  counts().systemBuffers.fetch_add(1, std::memory_order_relaxed);
  counts().systemBytes.fetch_add(capacity, std::memory_order_relaxed);
  return block;
}

} // namespace

extern "C" void *spore_buffer_alloc(int64_t size) {
  size_t bytes = size > 0 ? static_cast<size_t>(size) : 1;
  if (bytes > SIZE_MAX - 4095)
    return nullptr;
  size_t capacity = (bytes + 4095) & ~size_t(4095);
  counts().buffers.fetch_add(1, std::memory_order_relaxed);
  counts().bytes.fetch_add(bytes, std::memory_order_relaxed);
  void *block = takeBlock(capacity);
  if (!block)
    return nullptr;
  track(block);
  return static_cast<char *>(block) + kHeader;
}

extern "C" void *spore_buffer_alloc_at(int64_t size, const char *site) {
  if (void *buffer = spore_buffer_alloc(size))
    return buffer;
  spore_set_error(SPORE_ERROR_MEMORY, "%s: out of memory allocating %lld bytes",
                  site, static_cast<long long>(size));
  // Unwind the compiled code to its guard, which frees what it allocated
  // (nothing on this path holds a lock or an object with a destructor).
  if (currentGuard)
    std::longjmp(currentGuard->jump, 1);
  return nullptr;
}

namespace {

/// The lowest address of the calling thread's stack that compiled code
/// may reach, leaving room for the runtime and the C library; 0 when the
/// system does not say.
uintptr_t stackFloor() {
  thread_local uintptr_t floor = [] {
    pthread_attr_t attr;
    void *low = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
      return uintptr_t(0);
    int got = pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
    if (got != 0 || !low)
      return uintptr_t(0);
    // A quarter of a small stack, 256 KiB of a large one: more than a
    // recursive function's frame (16 KiB of buffers, see Passes.h) and
    // the non-recursive calls it makes.
    size_t reserve = std::min<size_t>(size / 4, 256 * 1024);
    return reinterpret_cast<uintptr_t>(low) + reserve;
  }();
  return floor;
}

} // namespace

extern "C" size_t spore_stack_left(void) {
  uintptr_t floor = stackFloor();
  auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (!floor)
    return SIZE_MAX;
  return here > floor ? here - floor : 0;
}

extern "C" void spore_stack_check(const char *site) {
  if (spore_stack_left() > 0)
    return;
  spore_set_error(SPORE_ERROR_MEMORY,
                  "%s: recursion too deep: the native stack is used up "
                  "(raise its limit, e.g. with ulimit -s, or recurse less "
                  "deeply)",
                  site);
  if (currentGuard)
    std::longjmp(currentGuard->jump, 1);
  // Outside a guarded call there is nothing to unwind to.
  std::abort();
}

extern "C" int spore_call_guarded(void (*fn)(void *), void *frame) {
  Guard guard;
  guard.live.prev = guard.live.next = &guard.live;
  guard.outer = currentGuard;
  currentGuard = &guard;
  if (setjmp(guard.jump) == 0) {
    fn(frame);
    currentGuard = guard.outer;
    // What the call left allocated (nothing, in compiled code) belongs to
    // the caller from now on.
    while (guard.live.next != &guard.live) {
      Header *h = guard.live.next;
      untrack(h);
      track(h);
    }
    return SPORE_OK;
  }
  currentGuard = guard.outer;
  while (guard.live.next != &guard.live) {
    Header *h = guard.live.next;
    spore_buffer_free(reinterpret_cast<char *>(h) + kHeader);
  }
  // A failure recorded earlier in the call (an assert) is superseded.
  spore_take_status();
  return SPORE_ERROR_MEMORY;
}

extern "C" void spore_buffer_free(void *ptr) {
  if (!ptr)
    return;
  void *block = static_cast<char *>(ptr) - kHeader;
  untrack(block);
  size_t capacity = capacityOf(block);
  if (capacity >= kCachedFrom) {
    Cache &c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + capacity <= c.limit) {
      c.free.emplace(capacity, block);
      c.bytes += capacity;
      return;
    }
  }
  std::free(block);
}

extern "C" void spore_buffer_counts_get(spore_buffer_counts *out) {
  Counts &c = counts();
  out->buffers = c.buffers.load(std::memory_order_relaxed);
  out->bytes = c.bytes.load(std::memory_order_relaxed);
  out->system_buffers = c.systemBuffers.load(std::memory_order_relaxed);
  out->system_bytes = c.systemBytes.load(std::memory_order_relaxed);
}

extern "C" size_t spore_release_buffers(void) {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  size_t released = 0;
  for (auto &[capacity, block] : c.free) {
    released += capacity;
    std::free(block);
  }
  c.free.clear();
  c.bytes = 0;
  return released;
}
