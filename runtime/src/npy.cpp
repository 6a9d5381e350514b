//===- npy.cpp - .npy reading and writing ---------------------------------===//
//
// NumPy's .npy format (versions 1.0 to 3.0), validated strictly: a bad
// magic, header, dtype, shape or data size is refused with a message.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "spore/runtime.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

struct DtypeInfo {
  spore_dtype dtype;
  const char *descr;
  const char *name;
  size_t size;
};

const DtypeInfo kDtypes[] = {
    {SPORE_F16, "<f2", "f16", 2},   {SPORE_BF16, "<V2", "bf16", 2},
    {SPORE_F32, "<f4", "f32", 4},   {SPORE_F64, "<f8", "f64", 8},
    {SPORE_BOOL, "|b1", "bool", 1}, {SPORE_I8, "|i1", "i8", 1},
    {SPORE_I32, "<i4", "i32", 4},   {SPORE_I64, "<i8", "i64", 8},
    {SPORE_U8, "|u1", "u8", 1},
};

const DtypeInfo *infoOf(spore_dtype d) {
  for (const DtypeInfo &info : kDtypes)
    if (info.dtype == d)
      return &info;
  return nullptr;
}

struct File {
  FILE *f;
  explicit File(FILE *f) : f(f) {}
  ~File() {
    if (f)
      std::fclose(f);
  }
};

/// The header of a .npy file, parsed as the Python dict literal NumPy
/// writes: exactly the keys 'descr' (a string), 'fortran_order' (True or
/// False) and 'shape' (a tuple of non-negative ints), each once, in any
/// order, then spaces and a newline. Anything else is refused: a loose
/// search for the keys read `{'x': "'descr': '<f4'"}` as f32.
struct NpyHeader {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : h(text) {}

  /// Parses the whole header; on failure returns false with `why` set.
  bool parse(NpyHeader &out) {
    bool seenDescr = false, seenOrder = false, seenShape = false;
    skip();
    if (!eat('{'))
      return fail("it does not start with '{'");
    skip();
    while (!peek('}')) {
      std::string key;
      if (!string(key))
        return fail("a key is not a quoted string");
      skip();
      if (!eat(':'))
        return fail("no ':' after '" + key + "'");
      skip();
      if (key == "descr" && !seenDescr) {
        seenDescr = true;
        if (!string(out.descr))
          return fail("'descr' is not a string");
      } else if (key == "fortran_order" && !seenOrder) {
        seenOrder = true;
        if (word("True"))
          out.fortran = true;
        else if (!word("False"))
          return fail("'fortran_order' is not True or False");
      } else if (key == "shape" && !seenShape) {
        seenShape = true;
        if (!tuple(out.shape))
          return fail(why.empty() ? "'shape' is not a tuple of ints" : why);
      } else {
        bool twice = key == "descr" || key == "fortran_order" || key == "shape";
        return fail(twice ? "'" + key + "' appears twice"
                          : "unexpected key '" + key + "'");
      }
      skip();
      if (!eat(','))
        break;
      skip();
    }
    if (!eat('}'))
      return fail("it does not end with '}'");
    skip();
    if (p != h.size())
      return fail("text follows the dict");
    if (!seenDescr || !seenOrder || !seenShape)
      return fail(std::string("it has no '") +
                  (!seenDescr   ? "descr"
                   : !seenOrder ? "fortran_order"
                                : "shape") +
                  "'");
    return true;
  }

  std::string why;

private:
  const std::string &h;
  size_t p = 0;

  bool fail(const std::string &message) {
    why = message;
    return false;
  }
  void skip() {
    while (p < h.size() &&
           (h[p] == ' ' || h[p] == '\n' || h[p] == '\t' || h[p] == '\r'))
      ++p;
  }
  bool peek(char c) const { return p < h.size() && h[p] == c; }
  bool eat(char c) {
    if (!peek(c))
      return false;
    ++p;
    return true;
  }
  bool word(const char *w) {
    size_t n = std::strlen(w);
    if (h.compare(p, n, w) != 0)
      return false;
    p += n;
    return true;
  }
  /// A '...' or "..." string without escapes.
  bool string(std::string &out) {
    if (!peek('\'') && !peek('"'))
      return false;
    char quote = h[p++];
    size_t end = h.find(quote, p);
    if (end == std::string::npos)
      return false;
    out = h.substr(p, end - p);
    if (out.find('\\') != std::string::npos)
      return false;
    p = end + 1;
    return true;
  }
  /// A tuple of non-negative ints: (), (3,), (3, 4) or (3, 4,).
  bool tuple(std::vector<int64_t> &out) {
    if (!eat('('))
      return false;
    skip();
    while (!peek(')')) {
      if (p >= h.size() || !std::isdigit((unsigned char)h[p]))
        return false;
      int64_t dim = 0;
      while (p < h.size() && std::isdigit((unsigned char)h[p])) {
        if (dim > (INT64_MAX - 9) / 10)
          return fail("a dimension of 'shape' is too large");
        dim = dim * 10 + (h[p++] - '0');
      }
      out.push_back(dim);
      skip();
      if (!eat(',')) {
        // One element needs its comma: (3) is an int, not a tuple.
        if (out.size() == 1)
          return false;
        break;
      }
      skip();
    }
    return eat(')');
  }
};

} // namespace

extern "C" size_t spore_dtype_size(spore_dtype dtype) {
  const DtypeInfo *info = infoOf(dtype);
  return info ? info->size : 0;
}

extern "C" const char *spore_dtype_name(spore_dtype dtype) {
  const DtypeInfo *info = infoOf(dtype);
  return info ? info->name : "?";
}

extern "C" int64_t spore_tensor_numel(const spore_tensor *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; ++i)
    n *= t->shape[i];
  return n;
}

extern "C" void spore_tensor_free(spore_tensor *t) {
  if (!t)
    return;
  spore_free(t->data);
  t->data = nullptr;
  t->rank = 0;
}

int spore::runtime::parseNpy(const unsigned char *data, size_t size,
                             const char *path, spore_tensor *out) {
  std::memset(out, 0, sizeof(*out));
  if (size < 8 || std::memcmp(data, "\x93NUMPY", 6) != 0)
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "%s: not a .npy file (bad magic)", path);
  unsigned major = data[6];
  if (major < 1 || major > 3)
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "%s: unsupported .npy version %u.%u", path, major,
                           (unsigned)data[7]);
  size_t lenSize = major == 1 ? 2 : 4;
  if (size < 8 + lenSize)
    return spore_set_error(SPORE_ERROR_FORMAT, "%s: truncated header", path);
  const unsigned char *l = data + 8;
  uint32_t headerLen =
      l[0] | (l[1] << 8) |
      (lenSize == 4 ? ((uint32_t)l[2] << 16) | ((uint32_t)l[3] << 24) : 0u);
  if (headerLen > (1u << 20))
    return spore_set_error(SPORE_ERROR_FORMAT, "%s: header too large", path);
  size_t dataStart = 8 + lenSize + headerLen;
  if (size < dataStart)
    return spore_set_error(SPORE_ERROR_FORMAT, "%s: truncated header", path);
  std::string text((const char *)data + 8 + lenSize, headerLen);
  NpyHeader header;
  HeaderParser parser(text);
  if (!parser.parse(header))
    return spore_set_error(SPORE_ERROR_FORMAT, "%s: malformed header: %s", path,
                           parser.why.c_str());
  std::string descr = header.descr;
  // Single-byte types may be written with '|' or '<' or '='.
  if (descr.size() == 3 &&
      (descr[0] == '=' || descr[0] == '<' || descr[0] == '|') &&
      (descr[2] == '1'))
    descr[0] = '|';
  else if (descr.size() == 3 && descr[0] == '=')
    descr[0] = '<';
  const DtypeInfo *info = nullptr;
  for (const DtypeInfo &d : kDtypes)
    if (descr == d.descr)
      info = &d;
  if (!info)
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "%s: unsupported dtype '%s' (expected f16, f32, "
                           "f64, bool, i8, i32 or i64, little-endian)",
                           path, header.descr.c_str());
  if (header.fortran)
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "%s: Fortran-order arrays are not supported; "
                           "save with numpy.ascontiguousarray",
                           path);
  if (header.shape.size() > SPORE_MAX_RANK)
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "%s: rank above %d is not supported", path,
                           SPORE_MAX_RANK);
  spore_tensor t;
  std::memset(&t, 0, sizeof(t));
  t.dtype = info->dtype;
  for (int64_t dim : header.shape)
    t.shape[t.rank++] = dim;
  int64_t numel = 1;
  for (int32_t i = 0; i < t.rank; ++i) {
    if (t.shape[i] != 0 && numel > INT64_MAX / 16 / t.shape[i])
      return spore_set_error(SPORE_ERROR_FORMAT, "%s: shape too large", path);
    numel *= t.shape[i];
  }
  size_t bytes = (size_t)numel * info->size;
  if (size - dataStart != bytes)
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "%s: data is %zu bytes but the shape and dtype "
                           "need %zu",
                           path, size - dataStart, bytes);
  t.data = spore_aligned_alloc(64, bytes);
  if (!t.data)
    return spore_set_error(SPORE_ERROR_MEMORY,
                           "%s: out of memory allocating %zu bytes", path,
                           bytes);
  if (bytes)
    std::memcpy(t.data, data + dataStart, bytes);
  *out = t;
  return SPORE_OK;
}

namespace {

/// The whole file at `path`, or an error.
int readFile(const char *path, std::vector<unsigned char> &bytes) {
  File file(std::fopen(path, "rb"));
  if (!file.f)
    return spore_set_error(SPORE_ERROR_IO, "%s: cannot open: %s", path,
                           std::strerror(errno));
  unsigned char chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, file.f)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  if (std::ferror(file.f))
    return spore_set_error(SPORE_ERROR_IO, "%s: read failed", path);
  return SPORE_OK;
}

} // namespace

int spore::runtime::encodeNpyHeader(const spore_tensor *t, std::string &out,
                                    uint64_t &dataBytes) {
  const DtypeInfo *info = infoOf(t->dtype);
  if (!info || t->rank < 0 || t->rank > SPORE_MAX_RANK)
    return spore_set_error(SPORE_ERROR_ARGUMENT, "invalid tensor");
  // The byte count, refused if a dimension is negative or it overflows.
  uint64_t bytes = info->size;
  for (int32_t i = 0; i < t->rank; ++i)
    if (t->shape[i] < 0 ||
        __builtin_mul_overflow(bytes, (uint64_t)t->shape[i], &bytes))
      return spore_set_error(SPORE_ERROR_ARGUMENT,
                             "invalid tensor: dimension %d is %lld", (int)i,
                             (long long)t->shape[i]);
  if (bytes > 0 && !t->data)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "invalid tensor: NULL data for %llu bytes",
                           (unsigned long long)bytes);
  std::string shape = "(";
  for (int32_t i = 0; i < t->rank; ++i)
    shape += std::to_string(t->shape[i]) + (t->rank == 1      ? ","
                                            : i + 1 < t->rank ? ", "
                                                              : "");
  shape += ")";
  std::string header = std::string("{'descr': '") + info->descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that the data starts on a 64-byte boundary.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  out = "\x93NUMPY";
  out += (char)1;
  out += (char)0;
  out += (char)(header.size() & 0xff);
  out += (char)(header.size() >> 8);
  out += header;
  dataBytes = bytes;
  return SPORE_OK;
}

int spore::runtime::encodeNpy(const spore_tensor *t, std::string &out) {
  uint64_t bytes = 0;
  if (int rc = encodeNpyHeader(t, out, bytes))
    return rc;
  out.append((const char *)t->data, bytes);
  return SPORE_OK;
}

extern "C" int spore_npy_read(const char *path, spore_tensor *out) {
  if (!path || !out)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_npy_read: NULL argument");
  std::memset(out, 0, sizeof(*out));
  std::vector<unsigned char> bytes;
  if (int rc = readFile(path, bytes))
    return rc;
  return spore::runtime::parseNpy(bytes.data(), bytes.size(), path, out);
}

int spore::runtime::replaceFile(
    const char *path, const std::function<int(const char *temp)> &fill) {
  // A temporary file in the target's folder, renamed over the target once
  // complete and on disk: an interrupted or failed write leaves the old
  // file whole, and no temporary file behind.
  std::string temp = std::string(path) + ".tmp.XXXXXX";
  int fd = mkstemp(temp.data());
  if (fd < 0)
    return spore_set_error(SPORE_ERROR_IO, "%s: cannot create: %s", path,
                           std::strerror(errno));
  close(fd);
  int rc = fill(temp.c_str());
  int error = 0;
  if (rc == SPORE_OK) {
    fd = open(temp.c_str(), O_RDONLY);
    if (fd < 0 || fsync(fd) != 0)
      error = errno;
    if (fd >= 0 && close(fd) != 0 && !error)
      error = errno;
    if (!error && std::rename(temp.c_str(), path) != 0)
      error = errno;
  }
  if (rc != SPORE_OK || error) {
    std::remove(temp.c_str());
    if (rc != SPORE_OK)
      return rc;
    return spore_set_error(SPORE_ERROR_IO, "%s: write failed: %s", path,
                           std::strerror(error));
  }
  return SPORE_OK;
}

bool spore::runtime::dtypeByName(const std::string &name, spore_dtype &out) {
  for (const DtypeInfo &info : kDtypes)
    if (name == info.name) {
      out = info.dtype;
      return true;
    }
  return false;
}

int spore::runtime::writeFileAtomically(const char *path,
                                        const std::string &bytes) {
  return replaceFile(path, [&](const char *temp) -> int {
    FILE *f = std::fopen(temp, "wb");
    bool ok = f != nullptr;
    ok = ok && std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    ok = ok && std::fflush(f) == 0;
    int error = errno;
    if (f && std::fclose(f) != 0 && ok) {
      ok = false;
      error = errno;
    }
    if (!ok)
      return spore_set_error(SPORE_ERROR_IO, "%s: write failed: %s", path,
                             std::strerror(error));
    return SPORE_OK;
  });
}

extern "C" int spore_npy_write(const char *path, const spore_tensor *t) {
  if (!path || !t)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_npy_write: NULL argument");
  return spore::runtime::withoutExceptions("spore_npy_write", [&] {
    std::string bytes;
    if (spore::runtime::encodeNpy(t, bytes) != SPORE_OK)
      return spore_set_error(SPORE_ERROR_ARGUMENT, "spore_npy_write: %s",
                             std::string(spore_last_error()).c_str());
    return spore::runtime::writeFileAtomically(path, bytes);
  });
}
