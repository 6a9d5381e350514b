//===- state.cpp - the state object of models with Parameters -------------===//
//
// A model whose source has module-level Cell instances keeps their
// Parameters in a state object (language.md §6, §8). The compiled model
// describes its Parameters in a descriptor string, one line each:
//
//   NAME DTYPE [D0,D1,...] KIND A B
//
// where KIND is `const` (every element A), `uniform` (on [A, B)) or
// `normal` (mean 0, standard deviation A). The generated
// `<model>_state_*` functions forward here with that descriptor; the
// interpreter (spore-run --eager) builds the same descriptor from the IR,
// so both draw identical initial values.
//
// Initial values are counter-based: element e of Parameter NAME under seed
// S comes from one Philox-4x32-10 block with key S and counter (e, hash of
// NAME), so a Parameter's values depend only on the seed, its name and its
// shape, on every target.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "spore/runtime.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Slot {
  std::string name;
  spore_tensor tensor{}; // data owned by the state
  std::string kind;
  double a = 0, b = 0;
};

} // namespace

struct spore_state {
  std::string descriptor;
  const char *origin = nullptr; // the descriptor's address at creation
  std::vector<Slot> slots;
  std::vector<void *> buffers; // the data pointers, in slot order
  /// Per slot, the buffer that a call updating it writes the new value
  /// to (allocated at the first such call), swapped in when it succeeds.
  std::vector<void *> spares;
  /// The spares of the slots of the last spore_state_spares call.
  std::vector<void *> sparesOfCall;
  ~spore_state() {
    for (Slot &s : slots)
      spore_free(s.tensor.data);
    for (void *p : spares)
      spore_free(p);
  }
};

namespace {

using spore::runtime::dtypeByName;

size_t byteSize(const spore_tensor &t) {
  return (size_t)spore_tensor_numel(&t) * spore_dtype_size(t.dtype);
}

/// The most bytes one tensor may hold, as in the compiler.
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 40;

/// Parses one descriptor line into `slot` (without allocating).
int parseLine(const std::string &line, Slot &slot) {
  std::istringstream in(line);
  std::string dtype, shape;
  if (!(in >> slot.name >> dtype >> shape >> slot.kind))
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "malformed state descriptor line '%s'",
                           line.c_str());
  if (!dtypeByName(dtype, slot.tensor.dtype))
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "state descriptor: unknown dtype '%s'",
                           dtype.c_str());
  if (shape.size() < 2 || shape.front() != '[' || shape.back() != ']')
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "state descriptor: malformed shape '%s'",
                           shape.c_str());
  std::string dims = shape.substr(1, shape.size() - 2);
  slot.tensor.rank = 0;
  size_t pos = 0;
  while (pos < dims.size()) {
    size_t end = dims.find(',', pos);
    if (end == std::string::npos)
      end = dims.size();
    if (slot.tensor.rank == SPORE_MAX_RANK)
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "state descriptor: rank above %d", SPORE_MAX_RANK);
    char *stop = nullptr;
    std::string dim = dims.substr(pos, end - pos);
    errno = 0;
    long long d = std::strtoll(dim.c_str(), &stop, 10);
    if (dim.empty() || *stop || d < 0 || errno == ERANGE)
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "state descriptor: malformed shape '%s'",
                             shape.c_str());
    slot.tensor.shape[slot.tensor.rank++] = d;
    pos = end + 1;
  }
  // The compiler's limit on one tensor (EmitModule.cpp, kMaxTensorBytes):
  // a hand-written or corrupted descriptor must not wrap the byte count
  // into a small allocation that the model then overruns.
  uint64_t bytes = spore_dtype_size(slot.tensor.dtype);
  bool overflow = false;
  for (int32_t i = 0; i < slot.tensor.rank; ++i)
    overflow |=
        __builtin_mul_overflow(bytes, (uint64_t)slot.tensor.shape[i], &bytes);
  if (overflow || bytes > kMaxTensorBytes)
    return spore_set_error(
        SPORE_ERROR_FORMAT,
        "state descriptor: '%s' of shape %s needs %s "
        "bytes; a tensor may hold at most 2^40 bytes (1 TiB)",
        slot.name.c_str(), shape.c_str(),
        overflow ? "more than 2^64" : std::to_string(bytes).c_str());
  if (slot.kind == "const") {
    if (!(in >> slot.a))
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "state descriptor: 'const' needs a value");
  } else if (slot.kind == "uniform") {
    if (!(in >> slot.a >> slot.b))
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "state descriptor: 'uniform' needs two bounds");
  } else if (slot.kind == "normal") {
    if (!(in >> slot.a))
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "state descriptor: 'normal' needs a deviation");
  } else {
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "state descriptor: unknown initialiser '%s'",
                           slot.kind.c_str());
  }
  return SPORE_OK;
}

uint64_t fnv1a(const std::string &s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

/// A double in [0, 1) from two 32-bit words (53 random bits).
double unit(uint32_t hi, uint32_t lo) {
  uint64_t bits = ((uint64_t)hi << 32 | lo) >> 11;
  return (double)bits * 0x1.0p-53;
}

/// `value` rounded to the nearest f16 / bf16 (ties to even), as bits.
uint16_t toHalf(double value, bool bfloat) {
  float f = (float)value;
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if (bfloat) {
    if ((x & 0x7fffffffu) > 0x7f800000u) // NaN stays NaN
      return (uint16_t)(x >> 16 | 0x40);
    x += 0x7fffu + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
  }
  uint32_t sign = (x >> 16) & 0x8000u;
  float a = std::fabs(f);
  if (std::isnan(f))
    return (uint16_t)(sign | 0x7e00u);
  if (a >= 65520.0f)
    return (uint16_t)(sign | 0x7c00u);
  if (a < 0x1.0p-14f) // subnormal: a multiple of 2^-24, rounded to even
    return (uint16_t)(sign | (uint32_t)std::nearbyint(a * 0x1.0p24f));
  uint32_t ax;
  std::memcpy(&ax, &a, 4);
  uint32_t mantissa = ax & 0x7fffffu;
  int32_t exponent = (int32_t)(ax >> 23) - 127 + 15;
  uint32_t h = (uint32_t)exponent << 10 | mantissa >> 13;
  uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1)))
    ++h; // may carry into the exponent, which is right
  return (uint16_t)(sign | h);
}

void store(spore_tensor &t, int64_t e, double v) {
  switch (t.dtype) {
  case SPORE_F16:
  case SPORE_BF16:
    ((uint16_t *)t.data)[e] = toHalf(v, t.dtype == SPORE_BF16);
    break;
  case SPORE_F32:
    ((float *)t.data)[e] = (float)v;
    break;
  case SPORE_F64:
    ((double *)t.data)[e] = v;
    break;
  case SPORE_BOOL:
    ((uint8_t *)t.data)[e] = v != 0;
    break;
  case SPORE_I8:
    ((int8_t *)t.data)[e] = (int8_t)v;
    break;
  case SPORE_U8:
    ((uint8_t *)t.data)[e] = (uint8_t)v;
    break;
  case SPORE_I32:
    ((int32_t *)t.data)[e] = (int32_t)v;
    break;
  case SPORE_I64:
    ((int64_t *)t.data)[e] = (int64_t)v;
    break;
  case SPORE_DTYPE_MAX_ENUM: // parseLine accepts only real dtypes
    break;
  }
}

void initSlot(Slot &slot, uint64_t seed) {
  spore_tensor &t = slot.tensor;
  int64_t n = spore_tensor_numel(&t);
  uint64_t stream = fnv1a(slot.name);
  const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
  for (int64_t e = 0; e < n; ++e) {
    if (slot.kind == "const") {
      store(t, e, slot.a);
      continue;
    }
    uint32_t counter[4] = {(uint32_t)e, (uint32_t)((uint64_t)e >> 32),
                           (uint32_t)stream, (uint32_t)(stream >> 32)};
    uint32_t bits[4];
    spore_philox4x32(counter, key, bits);
    double u1 = unit(bits[0], bits[1]), u2 = unit(bits[2], bits[3]);
    if (slot.kind == "uniform") {
      store(t, e, slot.a + (slot.b - slot.a) * u1);
    } else { // normal, Box-Muller; 1 - u1 is in (0, 1]
      double z = std::sqrt(-2.0 * std::log(1.0 - u1)) *
                 std::cos(6.283185307179586 * u2);
      store(t, e, slot.a * z);
    }
  }
}

} // namespace

extern "C" int spore_state_create(spore_state **out, const char *descriptor,
                                  const spore_options *options) {
  (void)options; // CPU defaults: the only target so far
  if (!out || !descriptor)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_state_create: NULL argument");
  *out = nullptr;
  auto state = std::make_unique<spore_state>();
  state->descriptor = descriptor;
  state->origin = descriptor;
  std::istringstream lines(state->descriptor);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty())
      continue;
    Slot slot;
    if (int rc = parseLine(line, slot))
      return rc;
    size_t bytes = byteSize(slot.tensor);
    slot.tensor.data = spore_aligned_alloc(64, bytes ? bytes : 1);
    if (!slot.tensor.data)
      return spore_set_error(SPORE_ERROR_MEMORY,
                             "spore_state_create: out of memory allocating "
                             "%zu bytes for '%s'",
                             bytes, slot.name.c_str());
    std::memset(slot.tensor.data, 0, bytes);
    state->slots.push_back(std::move(slot));
    state->buffers.push_back(state->slots.back().tensor.data);
  }
  *out = state.release();
  return SPORE_OK;
}

extern "C" int spore_state_init(spore_state *s, uint64_t seed) {
  if (!s)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_state_init: the state is NULL");
  for (Slot &slot : s->slots)
    initSlot(slot, seed);
  return SPORE_OK;
}

extern "C" int spore_state_save(const spore_state *s, const char *path) {
  if (!s || !path)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_state_save: NULL argument");
  std::vector<const char *> names;
  std::vector<spore_tensor> tensors;
  for (const Slot &slot : s->slots) {
    names.push_back(slot.name.c_str());
    tensors.push_back(slot.tensor);
  }
  return spore_npz_write(path, (int32_t)names.size(), names.data(),
                         tensors.data());
}

extern "C" int spore_state_load(spore_state *s, const char *path) {
  if (!s || !path)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_state_load: NULL argument");
  int32_t count = 0;
  char **names = nullptr;
  spore_tensor *tensors = nullptr;
  if (int rc = spore_npz_read(path, &count, &names, &tensors))
    return rc;
  struct Release {
    int32_t count;
    char **names;
    spore_tensor *tensors;
    ~Release() { spore_npz_free(count, names, tensors); }
  } release{count, names, tensors};

  // Check everything before copying anything: a refused file leaves the
  // state as it was.
  std::vector<int32_t> member(s->slots.size(), -1);
  for (int32_t k = 0; k < count; ++k) {
    size_t i = 0;
    while (i < s->slots.size() && s->slots[i].name != names[k])
      ++i;
    if (i == s->slots.size())
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: '%s' is not a Parameter of this model", path,
                             names[k]);
    if (member[i] >= 0)
      return spore_set_error(SPORE_ERROR_FORMAT, "%s: '%s' appears twice", path,
                             names[k]);
    member[i] = k;
    const spore_tensor &want = s->slots[i].tensor, &got = tensors[k];
    bool sameShape = want.rank == got.rank &&
                     std::equal(want.shape, want.shape + want.rank, got.shape);
    if (want.dtype != got.dtype || !sameShape) {
      auto describe = [](const spore_tensor &t) {
        std::string d = spore_dtype_name(t.dtype);
        d += "[";
        for (int32_t r = 0; r < t.rank; ++r)
          d += (r ? ", " : "") + std::to_string(t.shape[r]);
        return d + "]";
      };
      return spore_set_error(
          SPORE_ERROR_FORMAT, "%s: '%s' is %s but the model's Parameter is %s",
          path, names[k], describe(got).c_str(), describe(want).c_str());
    }
  }
  for (size_t i = 0; i < s->slots.size(); ++i)
    if (member[i] < 0)
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: the Parameter '%s' is "
                             "missing",
                             path, s->slots[i].name.c_str());
  for (size_t i = 0; i < s->slots.size(); ++i)
    std::memcpy(s->slots[i].tensor.data, tensors[member[i]].data,
                byteSize(s->slots[i].tensor));
  return SPORE_OK;
}

extern "C" void spore_state_destroy(spore_state *s) { delete s; }

extern "C" void **spore_state_buffers(spore_state *s, const char *descriptor) {
  if (!s) {
    spore_set_error(SPORE_ERROR_ARGUMENT, "the state is NULL");
    return nullptr;
  }
  if (descriptor && s->origin != descriptor && s->descriptor != descriptor) {
    spore_set_error(SPORE_ERROR_ARGUMENT,
                    "the state was created for another model");
    return nullptr;
  }
  // A model without Parameters still needs a non-NULL answer.
  static void *none = nullptr;
  return s->buffers.empty() ? &none : s->buffers.data();
}

extern "C" void **spore_state_spares(spore_state *s, const int64_t *slots,
                                     int32_t count) {
  s->spares.resize(s->slots.size(), nullptr);
  s->sparesOfCall.clear();
  for (int32_t k = 0; k < count; ++k) {
    int64_t i = slots[k];
    if (i < 0 || (size_t)i >= s->slots.size()) {
      spore_set_error(SPORE_ERROR_ARGUMENT,
                      "spore_state_spares: no Parameter %lld", (long long)i);
      return nullptr;
    }
    if (!s->spares[i]) {
      size_t bytes = byteSize(s->slots[i].tensor);
      s->spares[i] = spore_aligned_alloc(64, bytes ? bytes : 1);
      if (!s->spares[i]) {
        spore_set_error(SPORE_ERROR_MEMORY,
                        "out of memory allocating %zu bytes for the new "
                        "value of '%s'",
                        bytes, s->slots[i].name.c_str());
        return nullptr;
      }
    }
    s->sparesOfCall.push_back(s->spares[i]);
  }
  static void *none = nullptr;
  return s->sparesOfCall.empty() ? &none : s->sparesOfCall.data();
}

extern "C" void spore_state_commit(spore_state *s, const int64_t *slots,
                                   int32_t count) {
  for (int32_t k = 0; k < count; ++k) {
    int64_t i = slots[k];
    std::swap(s->slots[i].tensor.data, s->spares[i]);
    s->buffers[i] = s->slots[i].tensor.data;
  }
}

extern "C" int32_t spore_state_count(const spore_state *s) {
  return s ? (int32_t)s->slots.size() : 0;
}

extern "C" int spore_state_tensor(const spore_state *s, int32_t i,
                                  const char **name, spore_tensor *view) {
  if (!s || i < 0 || (size_t)i >= s->slots.size())
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_state_tensor: no Parameter %d", (int)i);
  if (name)
    *name = s->slots[i].name.c_str();
  if (view)
    *view = s->slots[i].tensor;
  return SPORE_OK;
}

extern "C" void spore_philox4x32(const uint32_t counter[4],
                                 const uint32_t key[2], uint32_t out[4]) {
  uint32_t c[4] = {counter[0], counter[1], counter[2], counter[3]};
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = (uint64_t)0xD2511F53u * c[0];
    uint64_t p1 = (uint64_t)0xCD9E8D57u * c[2];
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1;
    c[0] = n0;
    c[1] = (uint32_t)p1;
    c[2] = n2;
    c[3] = (uint32_t)p0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  std::memcpy(out, c, sizeof(c));
}
