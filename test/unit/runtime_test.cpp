// Unit tests of libspore_runtime: .npy round trips, validation, errors.
#include "spore/runtime.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <pthread.h>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {
std::string tempPath(const char *name) {
  return std::string("/tmp/spore_unit_") + name;
}

void writeBytes(const std::string &path, const std::string &bytes) {
  FILE *f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

std::string npyHeader(const std::string &dict) {
  std::string header = dict;
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += (char)(header.size() & 0xff);
  out += (char)(header.size() >> 8);
  return out + header;
}
} // namespace

TEST_CASE("npy round trip keeps dtype, shape and data") {
  float values[6] = {1, -2, 3.5f, 0, 1e-3f, 7};
  spore_tensor t = {SPORE_F32, 2, {2, 3}, values};
  std::string path = tempPath("roundtrip.npy");
  REQUIRE(spore_npy_write(path.c_str(), &t) == 0);
  spore_tensor back;
  REQUIRE(spore_npy_read(path.c_str(), &back) == 0);
  CHECK(back.dtype == SPORE_F32);
  CHECK(back.rank == 2);
  CHECK(back.shape[0] == 2);
  CHECK(back.shape[1] == 3);
  CHECK(std::memcmp(back.data, values, sizeof(values)) == 0);
  spore_tensor_free(&back);
}

TEST_CASE("npy scalars and 1-d tensors round trip") {
  int64_t scalar = 42;
  spore_tensor t = {SPORE_I64, 0, {}, &scalar};
  std::string path = tempPath("scalar.npy");
  REQUIRE(spore_npy_write(path.c_str(), &t) == 0);
  spore_tensor back;
  REQUIRE(spore_npy_read(path.c_str(), &back) == 0);
  CHECK(back.rank == 0);
  CHECK(*(int64_t *)back.data == 42);
  spore_tensor_free(&back);
}

TEST_CASE("malformed npy files are refused with a message") {
  spore_tensor t;
  std::string path = tempPath("bad.npy");

  writeBytes(path, "not a numpy file at all");
  CHECK(spore_npy_read(path.c_str(), &t) == SPORE_ERROR_FORMAT);
  CHECK(std::string(spore_last_error()).find("bad magic") != std::string::npos);

  writeBytes(path, npyHeader("{'descr': '<f4', 'fortran_order': False, "
                             "'shape': (4,), }") +
                       std::string(8, '\0'));
  CHECK(spore_npy_read(path.c_str(), &t) == SPORE_ERROR_FORMAT);
  CHECK(std::string(spore_last_error()).find("need 16") != std::string::npos);

  writeBytes(path, npyHeader("{'descr': '<c8', 'fortran_order': False, "
                             "'shape': (1,), }") +
                       std::string(8, '\0'));
  CHECK(spore_npy_read(path.c_str(), &t) == SPORE_ERROR_FORMAT);
  CHECK(std::string(spore_last_error()).find("unsupported dtype") !=
        std::string::npos);

  writeBytes(path, npyHeader("{'descr': '<f4', 'fortran_order': True, "
                             "'shape': (1,), }") +
                       std::string(4, '\0'));
  CHECK(spore_npy_read(path.c_str(), &t) == SPORE_ERROR_FORMAT);
  CHECK(std::string(spore_last_error()).find("Fortran") != std::string::npos);

  writeBytes(path, std::string("\x93NUMPY\x01\x00\xff", 9));
  CHECK(spore_npy_read(path.c_str(), &t) == SPORE_ERROR_FORMAT);

  CHECK(spore_npy_read("/nonexistent/dir/x.npy", &t) == SPORE_ERROR_IO);
}

TEST_CASE("aligned allocation honours the alignment") {
  void *p = spore_aligned_alloc(64, 100);
  REQUIRE(p);
  CHECK(((uintptr_t)p % 64) == 0);
  spore_free(p);
  CHECK(spore_aligned_alloc(3, 10) == nullptr);
  CHECK(std::string(spore_last_error()).find("power of two") !=
        std::string::npos);
}

TEST_CASE(".npz archives round-trip and refuse damage", "[runtime][npz]") {
  std::string path = tempPath("state.npz");
  float w[6] = {1, 2, 3, 4, 5, 6};
  int64_t step = 42;
  spore_tensor tensors[2] = {};
  tensors[0].dtype = SPORE_F32;
  tensors[0].rank = 2;
  tensors[0].shape[0] = 2;
  tensors[0].shape[1] = 3;
  tensors[0].data = w;
  tensors[1].dtype = SPORE_I64;
  tensors[1].rank = 0;
  tensors[1].data = &step;
  const char *names[2] = {"net.fc1.weight", "step"};
  REQUIRE(spore_npz_write(path.c_str(), 2, names, tensors) == SPORE_OK);

  int32_t count = 0;
  char **readNames = nullptr;
  spore_tensor *read = nullptr;
  REQUIRE(spore_npz_read(path.c_str(), &count, &readNames, &read) == SPORE_OK);
  REQUIRE(count == 2);
  CHECK(std::string(readNames[0]) == "net.fc1.weight");
  CHECK(read[0].rank == 2);
  CHECK(static_cast<float *>(read[0].data)[5] == 6.0f);
  CHECK(std::string(readNames[1]) == "step");
  CHECK(*static_cast<int64_t *>(read[1].data) == 42);
  spore_npz_free(count, readNames, read);

  // One flipped byte in the data fails the CRC; nothing is returned.
  FILE *f = std::fopen(path.c_str(), "r+b");
  REQUIRE(f);
  std::fseek(f, 150, SEEK_SET);
  int c = std::fgetc(f);
  std::fseek(f, 150, SEEK_SET);
  std::fputc(c ^ 0xFF, f);
  std::fclose(f);
  CHECK(spore_npz_read(path.c_str(), &count, &readNames, &read) ==
        SPORE_ERROR_FORMAT);
  CHECK(count == 0);
  CHECK(read == nullptr);
  CHECK(std::string(spore_last_error()).find("CRC") != std::string::npos);
}

TEST_CASE("state objects initialise, save and load", "[runtime][state]") {
  const char *desc = "net.w f32 [3,4] uniform -0.5 0.5\n"
                     "net.b f32 [4] const 1\n"
                     "net.e f64 [1000] normal 2\n";
  spore_state *s = nullptr;
  REQUIRE(spore_state_create(&s, desc, nullptr) == SPORE_OK);
  REQUIRE(spore_state_count(s) == 3);
  REQUIRE(spore_state_init(s, 42) == SPORE_OK);
  const char *name = nullptr;
  spore_tensor w{}, b{}, e{};
  REQUIRE(spore_state_tensor(s, 0, &name, &w) == SPORE_OK);
  CHECK(std::string(name) == "net.w");
  REQUIRE(spore_state_tensor(s, 1, nullptr, &b) == SPORE_OK);
  REQUIRE(spore_state_tensor(s, 2, nullptr, &e) == SPORE_OK);
  for (int k = 0; k < 12; ++k) {
    float v = ((const float *)w.data)[k];
    CHECK(v >= -0.5f);
    CHECK(v < 0.5f);
  }
  for (int k = 0; k < 4; ++k)
    CHECK(((const float *)b.data)[k] == 1.0f);
  double sum = 0, sq = 0;
  for (int k = 0; k < 1000; ++k) {
    double v = ((const double *)e.data)[k];
    sum += v;
    sq += v * v;
  }
  CHECK(std::fabs(sum / 1000) < 0.3);
  CHECK(std::fabs(std::sqrt(sq / 1000) - 2.0) < 0.2);

  // The same seed draws the same values; another seed others.
  spore_state *t = nullptr;
  REQUIRE(spore_state_create(&t, desc, nullptr) == SPORE_OK);
  REQUIRE(spore_state_init(t, 42) == SPORE_OK);
  spore_tensor w2{};
  REQUIRE(spore_state_tensor(t, 0, nullptr, &w2) == SPORE_OK);
  CHECK(std::memcmp(w.data, w2.data, 12 * sizeof(float)) == 0);
  REQUIRE(spore_state_init(t, 43) == SPORE_OK);
  CHECK(std::memcmp(w.data, w2.data, 12 * sizeof(float)) != 0);

  // Save, then load into the other state: equal again.
  std::string path = tempPath("state.npz");
  REQUIRE(spore_state_save(s, path.c_str()) == SPORE_OK);
  REQUIRE(spore_state_load(t, path.c_str()) == SPORE_OK);
  CHECK(std::memcmp(w.data, w2.data, 12 * sizeof(float)) == 0);

  // A state of another layout refuses the file and stays as it was.
  spore_state *u = nullptr;
  REQUIRE(spore_state_create(&u, "net.w f32 [4,3] const 7\n", nullptr) ==
          SPORE_OK);
  REQUIRE(spore_state_init(u, 0) == SPORE_OK);
  CHECK(spore_state_load(u, path.c_str()) == SPORE_ERROR_FORMAT);
  spore_tensor uw{};
  REQUIRE(spore_state_tensor(u, 0, nullptr, &uw) == SPORE_OK);
  CHECK(((const float *)uw.data)[0] == 7.0f);

  // The buffers are only handed to the model the state was made for.
  CHECK(spore_state_buffers(s, desc) != nullptr);
  CHECK(spore_state_buffers(s, "other f32 [1] const 0\n") == nullptr);
  CHECK(std::string(spore_last_error()).find("another model") !=
        std::string::npos);

  spore_state *bad = nullptr;
  CHECK(spore_state_create(&bad, "x f32 [2 const 0\n", nullptr) ==
        SPORE_ERROR_FORMAT);
  CHECK(bad == nullptr);
  // Sizes that wrap 64 bits, or pass the compiler's 1 TiB limit, or a
  // dimension beyond long long, are refused before anything is allocated.
  for (const char *huge : {"x f32 [4611686018427387904,4] const 0\n",
                           "x f64 [1099511627776] const 0\n",
                           "x f32 [99999999999999999999] const 0\n"}) {
    CAPTURE(huge);
    CHECK(spore_state_create(&bad, huge, nullptr) == SPORE_ERROR_FORMAT);
    CHECK(bad == nullptr);
  }
  CHECK(std::string(spore_last_error()) ==
        "state descriptor: malformed shape '[99999999999999999999]'");
  CHECK(spore_state_create(&bad, "x f32 [4611686018427387904,4] const 0\n",
                           nullptr) == SPORE_ERROR_FORMAT);
  CHECK(std::string(spore_last_error()) ==
        "state descriptor: 'x' of shape [4611686018427387904,4] needs more "
        "than 2^64 bytes; a tensor may hold at most 2^40 bytes (1 TiB)");
  CHECK(spore_state_create(&bad, "x f64 [1099511627776] const 0\n", nullptr) ==
        SPORE_ERROR_FORMAT);
  CHECK(std::string(spore_last_error()).find("needs 8796093022208 bytes") !=
        std::string::npos);
  spore_state_destroy(s);
  spore_state_destroy(t);
  spore_state_destroy(u);
}

TEST_CASE("state updates go to spare buffers, swapped in on commit",
          "[runtime][state]") {
  const char *desc = "net.w f32 [3] const 1\n"
                     "opt.step i64 [] const 0\n";
  spore_state *s = nullptr;
  REQUIRE(spore_state_create(&s, desc, nullptr) == SPORE_OK);
  REQUIRE(spore_state_init(s, 0) == SPORE_OK);
  void **active = spore_state_buffers(s, desc);
  REQUIRE(active != nullptr);
  void *oldW = active[0], *oldStep = active[1];
  const int64_t slots[] = {1, 0};
  void **spares = spore_state_spares(s, slots, 2);
  REQUIRE(spares != nullptr);
  CHECK(spares[0] != oldStep);
  CHECK(spares[1] != oldW);
  // A call writes the new values there; without a commit (a failed
  // call) the state still holds the old ones.
  *(int64_t *)spares[0] = 7;
  for (int k = 0; k < 3; ++k)
    ((float *)spares[1])[k] = 2.0f;
  spore_tensor w{};
  REQUIRE(spore_state_tensor(s, 0, nullptr, &w) == SPORE_OK);
  CHECK(((const float *)w.data)[0] == 1.0f);
  spore_state_commit(s, slots, 2);
  REQUIRE(spore_state_tensor(s, 0, nullptr, &w) == SPORE_OK);
  CHECK(((const float *)w.data)[2] == 2.0f);
  active = spore_state_buffers(s, desc);
  CHECK(*(const int64_t *)active[1] == 7);
  // The old buffers are the spares of the next update: no allocation.
  spares = spore_state_spares(s, slots, 2);
  CHECK(spares[0] == oldStep);
  CHECK(spares[1] == oldW);
  // A slot that does not exist is refused with a message.
  const int64_t bad[] = {2};
  CHECK(spore_state_spares(s, bad, 1) == nullptr);
  CHECK(std::string(spore_last_error()).find("no Parameter 2") !=
        std::string::npos);
  spore_state_destroy(s);
}

TEST_CASE("Philox-4x32-10 matches the Random123 known-answer vectors") {
  // kat_vectors of Random123 1.09: philox4x32 with 10 rounds.
  struct Case {
    uint32_t counter[4], key[2], out[4];
  } cases[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Case &c : cases) {
    uint32_t out[4];
    spore_philox4x32(c.counter, c.key, out);
    for (int i = 0; i < 4; ++i)
      CHECK(out[i] == c.out[i]);
  }
}

TEST_CASE("large heap buffers are reused after they are freed") {
  if (std::getenv("SPORE_BUFFER_CACHE")) {
    WARN("skipped: SPORE_BUFFER_CACHE is set, and this tests the default");
    return;
  }
  spore_release_buffers();
  // 64-byte aligned, small and large.
  void *small = spore_buffer_alloc(100);
  void *large = spore_buffer_alloc(1 << 20);
  REQUIRE(small != nullptr);
  REQUIRE(large != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(small) % 64 == 0);
  CHECK(reinterpret_cast<uintptr_t>(large) % 64 == 0);
  static_cast<char *>(large)[(1 << 20) - 1] = 1; // the whole size is usable
  spore_buffer_free(small);
  spore_buffer_free(large);

  // The next request of about the same size gets the same block back; one
  // much smaller does not take it.
  void *again = spore_buffer_alloc((1 << 20) - 100);
  CHECK(again == large);
  void *other = spore_buffer_alloc(1 << 18);
  CHECK(other != large);
  spore_buffer_free(again);
  spore_buffer_free(other);
  spore_buffer_free(nullptr);

  // Released, the cache holds nothing: both blocks counted once.
  size_t released = spore_release_buffers();
  CHECK(released >= (1u << 20) + (1u << 18));
  CHECK(spore_release_buffers() == 0);

  // A block beyond the cache's limit (1 GiB by default) goes back to the
  // system at once (its pages are never touched here).
  void *huge = spore_buffer_alloc((int64_t(1) << 30) + (1 << 16));
  REQUIRE(huge != nullptr);
  spore_buffer_free(huge);
  CHECK(spore_release_buffers() == 0);
}

namespace {
/// A stand-in for compiled code: allocates `frame[0]` buffers of 1 KiB
/// (kept in `frame[1..]`), then an impossible one, which unwinds.
void allocateThenFail(void *frame) {
  auto *slots = static_cast<void **>(frame);
  auto count = reinterpret_cast<intptr_t>(slots[0]);
  for (intptr_t i = 0; i < count; ++i)
    slots[1 + i] = spore_buffer_alloc_at(1024, "m.py:1:1");
  spore_buffer_alloc_at(INT64_MAX, "m.py:2:9");
  slots[0] = nullptr; // never reached
}

void allocateAndFree(void *frame) {
  void *buffer = spore_buffer_alloc_at(1024, "m.py:3:1");
  *static_cast<void **>(frame) = buffer;
  spore_buffer_free(buffer);
}
} // namespace

TEST_CASE("a failed allocation unwinds a guarded call with a located error") {
  void *frame[4] = {reinterpret_cast<void *>(intptr_t(3)), nullptr, nullptr,
                    nullptr};
  CHECK(spore_call_guarded(allocateThenFail, frame) == SPORE_ERROR_MEMORY);
  CHECK(std::string(spore_last_error()) ==
        "m.py:2:9: out of memory allocating 9223372036854775807 bytes");
  CHECK(frame[0] != nullptr); // the code after the failure did not run
  CHECK(frame[3] != nullptr); // the buffers before it were allocated

  // The guard left nothing behind: the next call runs normally, and so do
  // allocations outside any guard (which return NULL on failure).
  void *freed = nullptr;
  CHECK(spore_call_guarded(allocateAndFree, &freed) == SPORE_OK);
  CHECK(freed != nullptr);
  CHECK(spore_buffer_alloc_at(INT64_MAX, "m.py:4:1") == nullptr);
  void *outside = spore_buffer_alloc(64);
  REQUIRE(outside != nullptr);
  spore_buffer_free(outside);
}

namespace {
/// Recurses, checking the stack at each level as compiled recursive
/// functions do, until the check unwinds the guarded call; records the
/// depth reached in *frame.
int recurse(int depth, volatile int *reached) {
  volatile char pad[512];
  pad[0] = static_cast<char>(depth);
  spore_stack_check("m.py:7:5");
  *reached = depth;
  if (depth > 100000000) // never: the stack runs out first
    return 0;
  return recurse(depth + 1, reached) + pad[0];
}
void recurseForever(void *frame) { recurse(0, static_cast<int *>(frame)); }

struct Deep {
  int status = -1, leftKiB = 0, depth = 0;
  std::string message; // errors are per thread
};
void *deepInThread(void *frame) {
  auto *deep = static_cast<Deep *>(frame);
  deep->leftKiB = static_cast<int>(spore_stack_left() / 1024);
  deep->status = spore_call_guarded(recurseForever, &deep->depth);
  deep->message = spore_last_error();
  return nullptr;
}
} // namespace

TEST_CASE("recursion that uses up the stack unwinds with a located error") {
  // In a thread with a 1 MiB stack: a quarter of it is kept in reserve.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 1 << 20);
  Deep deep;
  pthread_t thread;
  REQUIRE(pthread_create(&thread, &attr, deepInThread, &deep) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  CHECK(deep.status == SPORE_ERROR_MEMORY);
  CHECK(deep.leftKiB > 600);
  CHECK(deep.leftKiB < 768);
  CHECK(deep.depth > 500); // levels of at least 512 bytes in 768 KiB
  CHECK(deep.message.rfind(
            "m.py:7:5: recursion too deep: the native stack is used up", 0) ==
        0);
  // The main thread's stack is its own.
  CHECK(spore_stack_left() > 0);
}

namespace {
std::string readAll(const std::string &path) {
  std::string bytes;
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return "<missing>";
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
    bytes.append(chunk, n);
  std::fclose(f);
  return bytes;
}

/// The names in `dir` that start with `prefix` (leftover temporary files).
int countFiles(const std::string &dir, const std::string &prefix) {
  int count = 0;
  std::string command = "ls -a " + dir;
  FILE *ls = popen(command.c_str(), "r");
  char line[512];
  while (ls && std::fgets(line, sizeof line, ls))
    count += std::string(line).rfind(prefix, 0) == 0;
  if (ls)
    pclose(ls);
  return count;
}
} // namespace

TEST_CASE("writers refuse what they cannot honour and keep old files") {
  std::system("rm -rf /tmp/spore_unit_atomic && mkdir /tmp/spore_unit_atomic");
  std::string path = "/tmp/spore_unit_atomic/x.npy";
  float data[4] = {1, 2, 3, 4};
  spore_tensor t{};
  t.dtype = SPORE_F32;
  t.rank = 1;
  t.shape[0] = 4;
  t.data = data;
  REQUIRE(spore_npy_write(path.c_str(), &t) == SPORE_OK);
  std::string before = readAll(path);

  // A negative dimension, or NULL data for four elements: refused, and
  // the previous file is left as it was (no exception crosses the C ABI).
  spore_tensor bad = t;
  bad.shape[0] = -4;
  CHECK(spore_npy_write(path.c_str(), &bad) == SPORE_ERROR_ARGUMENT);
  CHECK(std::string(spore_last_error()).find("dimension 0 is -4") !=
        std::string::npos);
  bad = t;
  bad.data = nullptr;
  CHECK(spore_npy_write(path.c_str(), &bad) == SPORE_ERROR_ARGUMENT);
  CHECK(std::string(spore_last_error()).find("NULL data for 16 bytes") !=
        std::string::npos);
  CHECK(readAll(path) == before);

  // A member without a name.
  const char *names[2] = {"a", nullptr};
  spore_tensor members[2] = {t, t};
  std::string archive = "/tmp/spore_unit_atomic/s.npz";
  CHECK(spore_npz_write(archive.c_str(), 2, names, members) ==
        SPORE_ERROR_ARGUMENT);
  CHECK(std::string(spore_last_error()) ==
        "spore_npz_write: member 1 has no name");
  CHECK(readAll(archive) == "<missing>");

  // A write that fails at the end (the target is a folder) reports it and
  // leaves no temporary file behind.
  std::system("mkdir /tmp/spore_unit_atomic/dir.npy");
  CHECK(spore_npy_write("/tmp/spore_unit_atomic/dir.npy", &t) ==
        SPORE_ERROR_IO);
  CHECK(countFiles("/tmp/spore_unit_atomic", "dir.npy.tmp") == 0);
  CHECK(countFiles("/tmp/spore_unit_atomic", "x.npy.tmp") == 0);
  std::system("rm -rf /tmp/spore_unit_atomic");
}

namespace {
/// One thread's share of the concurrency test: its own state, archive and
/// error messages; the buffer cache, the CPU check and the CRC table are
/// shared. Returns how many of its checks failed (Catch2's macros are not
/// thread-safe).
int hammer(int thread, int rounds) {
  int failures = 0;
  const char *desc = "net.w f32 [64,32] uniform -0.5 0.5\n"
                     "net.b f64 [32] const 0.25\n"
                     "step i64 [] const 0\n";
  std::string path =
      tempPath(("threads" + std::to_string(thread) + ".npz").c_str());
  for (int r = 0; r < rounds; ++r) {
    // Buffers of sizes the cache keeps and sizes it does not, written over.
    void *blocks[4];
    int64_t sizes[4] = {100, 70000, (1 << 20) + thread, 1 << 16};
    for (int k = 0; k < 4; ++k) {
      blocks[k] = spore_buffer_alloc(sizes[k]);
      if (!blocks[k]) {
        ++failures;
        continue;
      }
      std::memset(blocks[k], thread, (size_t)sizes[k]);
    }
    for (int k = 0; k < 4; ++k) {
      auto *bytes = static_cast<unsigned char *>(blocks[k]);
      if (bytes && (bytes[0] != (unsigned char)thread ||
                    bytes[sizes[k] - 1] != (unsigned char)thread))
        ++failures; // another thread wrote into this buffer
      spore_buffer_free(blocks[k]);
    }
    // The CPU check of compiled entry points, with one shared string.
    failures += spore_check_cpu("x86-64:sse3") != SPORE_OK;
    // A state of its own, saved and loaded (the CRC table is shared).
    spore_state *s = nullptr;
    if (spore_state_create(&s, desc, nullptr) != SPORE_OK) {
      ++failures;
      continue;
    }
    spore_state_init(s, 1000 * thread + r);
    failures += spore_state_save(s, path.c_str()) != SPORE_OK;
    spore_state *t = nullptr;
    failures += spore_state_create(&t, desc, nullptr) != SPORE_OK;
    failures += t && spore_state_load(t, path.c_str()) != SPORE_OK;
    for (int32_t i = 0; t && i < spore_state_count(s); ++i) {
      spore_tensor a, b;
      spore_state_tensor(s, i, nullptr, &a);
      spore_state_tensor(t, i, nullptr, &b);
      size_t bytes = (size_t)spore_tensor_numel(&a) * spore_dtype_size(a.dtype);
      failures += std::memcmp(a.data, b.data, bytes) != 0;
    }
    spore_state_destroy(s);
    spore_state_destroy(t);
    // Error messages are per thread.
    std::string missing = path + ".missing";
    failures += spore_state_load(nullptr, nullptr) != SPORE_ERROR_ARGUMENT;
    spore_tensor none;
    failures += spore_npy_read(missing.c_str(), &none) != SPORE_ERROR_IO;
    failures +=
        std::string(spore_last_error()).find(missing) == std::string::npos;
  }
  std::remove(path.c_str());
  return failures;
}
} // namespace

TEST_CASE("the runtime is safe to call from many threads",
          "[runtime][concurrency]") {
  // scripts/sanitize runs this under ThreadSanitizer too.
  constexpr int kThreads = 16, kRounds = 20;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&failures, i] { failures[i] = hammer(i, kRounds); });
  for (auto &thread : threads)
    thread.join();
  for (int i = 0; i < kThreads; ++i) {
    CAPTURE(i);
    CHECK(failures[i] == 0);
  }
}

namespace {
struct Coverage {
  std::vector<std::atomic<int>> hits;
  std::mutex mutex;
  std::set<std::thread::id> threads;
  explicit Coverage(size_t n) : hits(n) {}
};

void countRange(void *context, int64_t begin, int64_t end) {
  auto *c = static_cast<Coverage *>(context);
  for (int64_t i = begin; i < end; ++i)
    c->hits[i].fetch_add(1);
  std::lock_guard<std::mutex> lock(c->mutex);
  c->threads.insert(std::this_thread::get_id());
}
} // namespace

namespace {
struct Rendezvous {
  std::atomic<int> entered{0};
  std::mutex mutex;
  std::set<std::thread::id> threads;
};

void meet(void *context, int64_t begin, int64_t end) {
  auto *r = static_cast<Rendezvous *>(context);
  {
    std::lock_guard<std::mutex> lock(r->mutex);
    r->threads.insert(std::this_thread::get_id());
  }
  r->entered.fetch_add(static_cast<int>(end - begin));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (r->entered.load() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
}
} // namespace

TEST_CASE("spore_parallel_for runs every iteration once",
          "[runtime][threads]") {
  int32_t defaultThreads = spore_num_threads();
  REQUIRE(defaultThreads >= 1);
  for (int32_t threads : {1, 2, 3}) {
    REQUIRE(spore_set_num_threads(threads) == SPORE_OK);
    REQUIRE(spore_num_threads() == threads);
    for (int64_t n : {0, 1, 2, 7, 64, 1000}) {
      Coverage c(static_cast<size_t>(n));
      spore_parallel_for(countRange, &c, n);
      for (int64_t i = 0; i < n; ++i)
        REQUIRE(c.hits[i].load() == 1);
      // One thread: everything on the caller's.
      if (threads == 1 && n > 0) {
        REQUIRE(c.threads.size() == 1);
        REQUIRE(*c.threads.begin() == std::this_thread::get_id());
      }
      if (n >= threads)
        REQUIRE(c.threads.size() <= static_cast<size_t>(threads));
    }
  }
  // Two threads share the work, even on a machine with one core: each of
  // the two ranges waits (up to 10 s, for a loaded machine) until both
  // have started, which only a second thread can make happen.
  REQUIRE(spore_set_num_threads(2) == SPORE_OK);
  Rendezvous r;
  spore_parallel_for(meet, &r, 2);
  REQUIRE(r.threads.size() == 2);

  REQUIRE(spore_set_num_threads(-1) != SPORE_OK);
  REQUIRE(std::string(spore_last_error()).find("-1 threads") !=
          std::string::npos);
  REQUIRE(spore_set_num_threads(4097) == SPORE_ERROR_ARGUMENT);
  REQUIRE(std::string(spore_last_error()).find("4097 threads (0 to 4096)") !=
          std::string::npos);
  REQUIRE(spore_num_threads() == 2); // as it was
  REQUIRE(spore_set_num_threads(0) == SPORE_OK);
  REQUIRE(spore_num_threads() == defaultThreads);
}
