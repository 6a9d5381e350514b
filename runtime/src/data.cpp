//===- data.cpp - datasets and loaders (spore/data.hpp, spore/data.h) -----===//
//
// Sources read whole files into fields; the loader copies records into
// batch buffers in a seeded order. The C entry points wrap the C++ API and
// turn its exceptions into statuses.
//
//===----------------------------------------------------------------------===//

#include "spore/data.h"
#include "spore/data.hpp"

#include "DataHandles.h"
#include "Npy.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/task_group.h>
#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

namespace spore::data {

namespace {

[[noreturn]] void fail(int status, const std::string &message) {
  throw Error(status, message);
}

/// The message of the runtime call that just failed.
[[noreturn]] void failFromRuntime(int status) {
  fail(status, spore_last_error());
}

Field fieldOf(const std::string &name, const spore_tensor &t) {
  Field f;
  f.name = name;
  f.dtype = t.dtype;
  f.shape.assign(t.shape, t.shape + t.rank);
  size_t bytes = (size_t)spore_tensor_numel(&t) * spore_dtype_size(t.dtype);
  const auto *data = static_cast<const unsigned char *>(t.data);
  f.bytes.assign(data, data + bytes);
  return f;
}

void checkRecords(const std::vector<Field> &fields) {
  for (const Field &f : fields) {
    if (f.shape.empty())
      fail(SPORE_ERROR_ARGUMENT, "field '" + f.name +
                                     "' is a scalar: a field's first dimension "
                                     "indexes records");
    // The loader copies records by these sizes: they must be the data's.
    size_t bytes = spore_dtype_size(f.dtype);
    bool bad = bytes == 0;
    for (int64_t d : f.shape)
      bad |= d < 0 || __builtin_mul_overflow(bytes, (size_t)d, &bytes);
    if (bad || bytes != f.bytes.size())
      fail(SPORE_ERROR_ARGUMENT,
           "field '" + f.name + "' holds " + std::to_string(f.bytes.size()) +
               " bytes, not what its dtype and shape describe");
    if (f.records() != fields[0].records())
      fail(SPORE_ERROR_ARGUMENT,
           "field '" + f.name + "' has " + std::to_string(f.records()) +
               " records, field '" + fields[0].name + "' " +
               std::to_string(fields[0].records()));
    for (const Field &g : fields)
      if (&g != &f && g.name == f.name)
        fail(SPORE_ERROR_ARGUMENT, "two fields are named '" + f.name + "'");
  }
}

/// The whole file, decompressed if it is gzip (zlib reads plain files as
/// they are).
std::vector<unsigned char> readMaybeGzip(const std::string &path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
    fail(SPORE_ERROR_IO, path + ": cannot open: " + std::strerror(errno));
  std::vector<unsigned char> bytes;
  unsigned char chunk[1 << 16];
  while (true) {
    int n = gzread(file, chunk, sizeof chunk);
    if (n < 0) {
      int code = 0;
      std::string why = gzerror(file, &code);
      gzclose(file);
      fail(SPORE_ERROR_FORMAT, path + ": cannot decompress: " + why);
    }
    if (n == 0)
      break;
    bytes.insert(bytes.end(), chunk, chunk + n);
  }
  gzclose(file);
  return bytes;
}

uint32_t bigEndian32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/// Element `i` of a numeric field as a double.
double valueAt(const Field &f, size_t i) {
  const unsigned char *p = f.bytes.data();
  switch (f.dtype) {
  case SPORE_F32:
    return ((const float *)p)[i];
  case SPORE_F64:
    return ((const double *)p)[i];
  case SPORE_BOOL:
  case SPORE_U8:
    return p[i];
  case SPORE_I8:
    return ((const int8_t *)p)[i];
  case SPORE_I32:
    return ((const int32_t *)p)[i];
  case SPORE_I64:
    return (double)((const int64_t *)p)[i];
  case SPORE_F16:
  case SPORE_BF16:
  case SPORE_DTYPE_MAX_ENUM:
    break;
  }
  fail(SPORE_ERROR_ARGUMENT, "field '" + f.name + "' of " +
                                 spore_dtype_name(f.dtype) +
                                 " cannot be converted");
}

/// Stores `v` as element `i` of `bytes` of `dtype` (integers rounded to
/// the nearest).
void storeAt(std::vector<unsigned char> &bytes, spore_dtype dtype, size_t i,
             double v) {
  unsigned char *p = bytes.data();
  switch (dtype) {
  case SPORE_F32:
    ((float *)p)[i] = (float)v;
    return;
  case SPORE_F64:
    ((double *)p)[i] = v;
    return;
  case SPORE_I32:
    ((int32_t *)p)[i] = (int32_t)std::llround(v);
    return;
  case SPORE_I64:
    ((int64_t *)p)[i] = (int64_t)std::llround(v);
    return;
  default:
    fail(SPORE_ERROR_ARGUMENT, std::string("cannot convert to ") +
                                   spore_dtype_name(dtype) +
                                   " (f32, f64, i32 or i64)");
  }
}

uint64_t splitMix64(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

} // namespace

size_t Field::recordBytes() const {
  size_t n = spore_dtype_size(dtype);
  for (size_t d = 1; d < shape.size(); ++d)
    n *= (size_t)shape[d];
  return n;
}

spore_tensor Field::view() const {
  spore_tensor t{};
  t.dtype = dtype;
  t.rank = (int32_t)shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    t.shape[d] = shape[d];
  t.data = const_cast<unsigned char *>(bytes.data());
  return t;
}

Dataset Dataset::fromFields(std::vector<Field> fields) {
  if (fields.empty())
    fail(SPORE_ERROR_ARGUMENT, "a dataset needs at least one field");
  checkRecords(fields);
  Dataset d;
  d.fields_ = std::make_shared<const std::vector<Field>>(std::move(fields));
  return d;
}

Dataset Dataset::fromNpz(const std::string &path) {
  int32_t count = 0;
  char **names = nullptr;
  spore_tensor *tensors = nullptr;
  if (int status = spore_npz_read(path.c_str(), &count, &names, &tensors))
    failFromRuntime(status);
  std::vector<Field> fields;
  for (int32_t i = 0; i < count; ++i)
    fields.push_back(fieldOf(names[i], tensors[i]));
  spore_npz_free(count, names, tensors);
  try {
    return fromFields(std::move(fields));
  } catch (const Error &e) {
    fail(e.status, path + ": " + e.what());
  }
}

Dataset Dataset::fromNpy(const std::string &path, const std::string &field) {
  spore_tensor t{};
  if (int status = spore_npy_read(path.c_str(), &t))
    failFromRuntime(status);
  Field f = fieldOf(field, t);
  spore_tensor_free(&t);
  try {
    return fromFields({std::move(f)});
  } catch (const Error &e) {
    fail(e.status, path + ": " + e.what());
  }
}

Dataset Dataset::fromIdx(const std::string &path, const std::string &field) {
  std::vector<unsigned char> bytes = readMaybeGzip(path);
  auto bad = [&](const std::string &why) {
    fail(SPORE_ERROR_FORMAT, path + ": not an IDX file: " + why);
  };
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    bad("the magic number must start with two zero bytes");
  int rank = bytes[3];
  if (rank == 0)
    bad("no dimensions");
  if (bytes.size() < 4 + 4 * (size_t)rank)
    bad("the header ends early");
  Field f;
  f.name = field;
  for (int d = 0; d < rank; ++d)
    f.shape.push_back(bigEndian32(&bytes[4 + 4 * d]));
  size_t inSize = 0;
  switch (bytes[2]) {
  case 0x08:
    f.dtype = SPORE_U8, inSize = 1;
    break;
  case 0x09:
    f.dtype = SPORE_I8, inSize = 1;
    break;
  case 0x0B:
    f.dtype = SPORE_I32, inSize = 2;
    break;
  case 0x0C:
    f.dtype = SPORE_I32, inSize = 4;
    break;
  case 0x0D:
    f.dtype = SPORE_F32, inSize = 4;
    break;
  case 0x0E:
    f.dtype = SPORE_F64, inSize = 8;
    break;
  default:
    bad("unknown element type 0x" + [&] {
      std::ostringstream hex;
      hex << std::hex << (int)bytes[2];
      return hex.str();
    }());
  }
  size_t header = 4 + 4 * (size_t)rank;
  // Dimensions are 32-bit each, so their product can overflow: a header
  // that promises more bytes than a size_t holds is malformed, not huge.
  size_t perRecord = inSize, total = 0;
  bool overflow = false;
  for (int d = 1; d < rank; ++d)
    overflow |=
        __builtin_mul_overflow(perRecord, (size_t)f.shape[d], &perRecord);
  size_t records = (size_t)f.shape[0];
  overflow |= __builtin_mul_overflow(records, perRecord, &total);
  if (overflow)
    bad("its dimensions describe more than 2^64 bytes");
  size_t have = bytes.size() - header;
  if (have < total)
    fail(SPORE_ERROR_FORMAT,
         path + ": record " + std::to_string(have / perRecord) + " of " +
             std::to_string(records) + " is cut off (the file ends after " +
             std::to_string(bytes.size()) + " bytes)");
  if (have > total)
    fail(SPORE_ERROR_FORMAT, path + ": " + std::to_string(have - total) +
                                 " bytes after the last record");
  size_t count = total / inSize;
  size_t outSize = spore_dtype_size(f.dtype);
  f.bytes.resize(count * outSize);
  const unsigned char *in = bytes.data() + header;
  for (size_t i = 0; i < count; ++i) {
    const unsigned char *p = in + i * inSize;
    uint64_t raw = 0;
    for (size_t k = 0; k < inSize; ++k)
      raw = raw << 8 | p[k];
    unsigned char *out = f.bytes.data() + i * outSize;
    if (inSize == 2) {
      int32_t v = (int16_t)(uint16_t)raw;
      std::memcpy(out, &v, 4);
    } else if (inSize == 4) {
      uint32_t v = (uint32_t)raw;
      std::memcpy(out, &v, 4);
    } else if (inSize == 8) {
      std::memcpy(out, &raw, 8);
    } else {
      out[0] = (unsigned char)raw;
    }
  }
  return fromFields({std::move(f)});
}

Dataset Dataset::fromCsv(const std::string &path, char delimiter, bool header,
                         spore_dtype dtype) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(SPORE_ERROR_IO, path + ": cannot open: " + std::strerror(errno));
  if (dtype != SPORE_F32 && dtype != SPORE_F64 && dtype != SPORE_I32 &&
      dtype != SPORE_I64)
    fail(SPORE_ERROR_ARGUMENT, path +
                                   ": CSV fields are f32, f64, i32 or "
                                   "i64, not " +
                                   spore_dtype_name(dtype));
  auto split = [&](const std::string &line) {
    std::vector<std::string> cells;
    std::string cell;
    std::istringstream s(line);
    while (std::getline(s, cell, delimiter))
      cells.push_back(cell);
    if (!line.empty() && line.back() == delimiter)
      cells.emplace_back();
    return cells;
  };
  auto trim = [](std::string s) {
    size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  std::vector<std::string> names;
  std::vector<std::vector<double>> columns;
  std::string line;
  int64_t lineNumber = 0, record = 0;
  while (std::getline(in, line)) {
    ++lineNumber;
    if (trim(line).empty())
      continue;
    std::vector<std::string> cells = split(line);
    std::string where = path + ":" + std::to_string(lineNumber);
    if (names.empty()) {
      for (size_t i = 0; i < cells.size(); ++i)
        names.push_back(header ? trim(cells[i]) : "c" + std::to_string(i));
      columns.resize(names.size());
      if (header)
        continue;
    }
    if (cells.size() != names.size())
      fail(SPORE_ERROR_FORMAT, where + ": record " + std::to_string(record) +
                                   " has " + std::to_string(cells.size()) +
                                   " fields, the first line " +
                                   std::to_string(names.size()));
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string text = trim(cells[i]);
      char *end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != 0)
        fail(SPORE_ERROR_FORMAT, where + ": record " + std::to_string(record) +
                                     ", field '" + names[i] + "': '" + text +
                                     "' is not a number");
      columns[i].push_back(v);
    }
    ++record;
  }
  if (in.bad())
    fail(SPORE_ERROR_IO, path + ": read error");
  if (names.empty() || record == 0)
    fail(SPORE_ERROR_FORMAT, path + ": no records");
  std::vector<Field> fields;
  for (size_t i = 0; i < names.size(); ++i) {
    Field f;
    f.name = names[i];
    f.dtype = dtype;
    f.shape = {record};
    f.bytes.resize((size_t)record * spore_dtype_size(dtype));
    for (int64_t r = 0; r < record; ++r)
      storeAt(f.bytes, dtype, r, columns[i][r]);
    fields.push_back(std::move(f));
  }
  try {
    return fromFields(std::move(fields));
  } catch (const Error &e) {
    fail(e.status, path + ": " + e.what());
  }
}

Dataset Dataset::join(const Dataset &other) const {
  std::vector<Field> fields = *fields_;
  fields.insert(fields.end(), other.fields().begin(), other.fields().end());
  return fromFields(std::move(fields));
}

Dataset Dataset::convert(const std::string &name, spore_dtype dtype,
                         double scale, double shift) const {
  std::vector<Field> fields = *fields_;
  for (Field &f : fields) {
    if (f.name != name)
      continue;
    size_t count = f.bytes.size() / spore_dtype_size(f.dtype);
    std::vector<unsigned char> out(count * spore_dtype_size(dtype));
    for (size_t i = 0; i < count; ++i)
      storeAt(out, dtype, i, valueAt(f, i) * scale + shift);
    f.bytes = std::move(out);
    f.dtype = dtype;
    return fromFields(std::move(fields));
  }
  fail(SPORE_ERROR_ARGUMENT, "no field named '" + name + "'");
}

int64_t Dataset::size() const {
  return fields_->empty() ? 0 : (*fields_)[0].records();
}

const Field &Dataset::field(const std::string &name) const {
  for (const Field &f : *fields_)
    if (f.name == name)
      return f;
  fail(SPORE_ERROR_ARGUMENT, "no field named '" + name + "'");
}

const Field &Batch::field(const std::string &name) const {
  for (const Field &f : fields)
    if (f.name == name)
      return f;
  fail(SPORE_ERROR_ARGUMENT, "no field named '" + name + "'");
}

std::vector<int64_t> epochOrder(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i)
    order[i] = i;
  uint64_t state = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(epoch + 1));
  for (int64_t i = n - 1; i > 0; --i) {
    // An unbiased draw from [0, i] by rejection.
    uint64_t bound = (uint64_t)i + 1;
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do
      r = splitMix64(state);
    while (r >= limit);
    std::swap(order[i], order[(int64_t)(r % bound)]);
  }
  return order;
}

namespace {

/// Element i of a float field as a double, and back.
double floatAt(const Field &f, size_t i) {
  return f.dtype == SPORE_F32 ? ((const float *)f.bytes.data())[i]
                              : ((const double *)f.bytes.data())[i];
}
void setFloatAt(Field &f, size_t i, double v) {
  if (f.dtype == SPORE_F32)
    ((float *)f.bytes.data())[i] = (float)v;
  else
    ((double *)f.bytes.data())[i] = v;
}

/// The random stream of one record of one transform.
uint64_t recordStream(const Transform::Context &c, int64_t record,
                      uint64_t salt) {
  uint64_t state = c.seed ^ 0x8CB92BA72F3D8DD7ull;
  state ^= splitMix64(state) + (uint64_t)c.epoch;
  state ^= splitMix64(state) + (uint64_t)(c.firstRecord + record);
  state ^= splitMix64(state) + salt;
  return state;
}

/// Runs `body(r)` for the valid records of a batch, in parallel.
void forRecords(int64_t valid, const std::function<void(int64_t)> &body) {
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, valid),
                    [&](const tbb::blocked_range<int64_t> &range) {
                      for (int64_t r = range.begin(); r < range.end(); ++r)
                        body(r);
                    });
}

} // namespace

Field &Batch::field(const std::string &name) {
  for (Field &f : fields)
    if (f.name == name)
      return f;
  fail(SPORE_ERROR_ARGUMENT, "no field named '" + name + "'");
}

void Transform::apply(Batch &batch, const Context &context) const {
  apply_(batch, context);
}

Transform Transform::convert(std::string field, spore_dtype dtype, double scale,
                             double shift) {
  if (spore_dtype_size(dtype) == 0)
    fail(SPORE_ERROR_ARGUMENT, "convert: unknown dtype");
  Transform t;
  t.apply_ = [=](Batch &batch, const Context &) {
    Field &f = batch.field(field);
    size_t per = f.recordBytes() / spore_dtype_size(f.dtype);
    Field out;
    out.name = f.name;
    out.dtype = dtype;
    out.shape = f.shape;
    out.bytes.resize(f.records() * per * spore_dtype_size(dtype));
    if (f.dtype == SPORE_U8 && dtype == SPORE_F32) {
      // Images: the common case, a loop the compiler vectorises; in
      // double, as Dataset::convert computes, so that both agree.
      forRecords(batch.valid, [&](int64_t r) {
        const unsigned char *from = f.bytes.data() + r * per;
        float *to = reinterpret_cast<float *>(out.bytes.data()) + r * per;
        for (size_t e = 0; e < per; ++e)
          to[e] = (float)(from[e] * scale + shift);
      });
    } else {
      forRecords(batch.valid, [&](int64_t r) {
        for (size_t e = r * per; e < (r + 1) * per; ++e)
          storeAt(out.bytes, dtype, e, valueAt(f, e) * scale + shift);
      });
    }
    f = std::move(out);
  };
  return t;
}

Transform Transform::normalize(std::string field, double mean,
                               double deviation) {
  if (!(deviation != 0))
    fail(SPORE_ERROR_ARGUMENT, "normalize: the deviation must not be 0");
  Transform t;
  t.apply_ = [=](Batch &batch, const Context &) {
    Field &f = batch.field(field);
    if (f.dtype != SPORE_F32 && f.dtype != SPORE_F64)
      fail(SPORE_ERROR_ARGUMENT, "normalize: field '" + field + "' is " +
                                     spore_dtype_name(f.dtype) +
                                     ", not f32 or f64 (convert it first)");
    size_t per = f.recordBytes() / spore_dtype_size(f.dtype);
    forRecords(batch.valid, [&](int64_t r) {
      for (size_t e = r * per; e < (r + 1) * per; ++e)
        setFloatAt(f, e, (floatAt(f, e) - mean) / deviation);
    });
  };
  return t;
}

Transform Transform::oneHot(std::string field, int64_t classes) {
  if (classes <= 0)
    fail(SPORE_ERROR_ARGUMENT, "one_hot: the classes must be positive");
  Transform t;
  t.apply_ = [=](Batch &batch, const Context &context) {
    Field &f = batch.field(field);
    if (f.shape.size() != 1)
      fail(SPORE_ERROR_ARGUMENT,
           "one_hot: field '" + field + "' must hold one label per record");
    Field out;
    out.name = f.name;
    out.dtype = SPORE_F32;
    out.shape = {f.shape[0], classes};
    out.bytes.assign(f.shape[0] * classes * 4, 0);
    for (int64_t r = 0; r < batch.valid; ++r) {
      double label = valueAt(f, r);
      if (!(label >= 0 && label < classes) || label != std::floor(label))
        fail(SPORE_ERROR_VALUE, "one_hot: field '" + field + "', record " +
                                    std::to_string(context.firstRecord + r) +
                                    " of the epoch: label " +
                                    std::to_string(label) + " is not in [0, " +
                                    std::to_string(classes) + ")");
      ((float *)out.bytes.data())[r * classes + (int64_t)label] = 1;
    }
    f = std::move(out);
  };
  return t;
}

Transform Transform::randomFlip(std::string field, int64_t axis) {
  Transform t;
  t.apply_ = [=](Batch &batch, const Context &context) {
    Field &f = batch.field(field);
    int64_t rank = (int64_t)f.shape.size() - 1;
    if (axis < 0 || axis >= rank)
      fail(SPORE_ERROR_ARGUMENT,
           "random_flip: axis " + std::to_string(axis) + " of field '" + field +
               "' whose records have rank " + std::to_string(rank));
    // The record as [outer, n, inner] blocks of elements.
    size_t elem = spore_dtype_size(f.dtype);
    int64_t n = f.shape[1 + axis], inner = 1, outer = 1;
    for (int64_t d = axis + 1; d < rank; ++d)
      inner *= f.shape[1 + d];
    for (int64_t d = 0; d < axis; ++d)
      outer *= f.shape[1 + d];
    size_t rb = f.recordBytes(), ib = inner * elem;
    forRecords(batch.valid, [&](int64_t r) {
      uint64_t state = recordStream(context, r, 0xF11F);
      if (splitMix64(state) >> 63)
        return;
      unsigned char *record = f.bytes.data() + r * rb;
      std::vector<unsigned char> swap(ib);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < n / 2; ++i) {
          unsigned char *a = record + (o * n + i) * ib;
          unsigned char *b = record + (o * n + n - 1 - i) * ib;
          std::memcpy(swap.data(), a, ib);
          std::memcpy(a, b, ib);
          std::memcpy(b, swap.data(), ib);
        }
    });
  };
  return t;
}

Transform Transform::randomCrop(std::string field, int64_t padding) {
  if (padding < 0)
    fail(SPORE_ERROR_ARGUMENT, "random_crop: padding must be >= 0");
  Transform t;
  t.apply_ = [=](Batch &batch, const Context &context) {
    Field &f = batch.field(field);
    if (f.shape.size() < 3)
      fail(SPORE_ERROR_ARGUMENT, "random_crop: the records of field '" + field +
                                     "' must be [H, W] or [H, W, C]");
    int64_t h = f.shape[1], w = f.shape[2];
    size_t pixel = f.recordBytes() / (h * w), rb = f.recordBytes();
    forRecords(batch.valid, [&](int64_t r) {
      uint64_t state = recordStream(context, r, 0xC209);
      int64_t dy = (int64_t)(splitMix64(state) % (2 * padding + 1)) - padding;
      int64_t dx = (int64_t)(splitMix64(state) % (2 * padding + 1)) - padding;
      unsigned char *record = f.bytes.data() + r * rb;
      std::vector<unsigned char> source(record, record + rb);
      std::memset(record, 0, rb);
      for (int64_t y = 0; y < h; ++y) {
        int64_t sy = y + dy;
        if (sy < 0 || sy >= h)
          continue;
        for (int64_t x = 0; x < w; ++x) {
          int64_t sx = x + dx;
          if (sx >= 0 && sx < w)
            std::memcpy(record + (y * w + x) * pixel,
                        source.data() + (sy * w + sx) * pixel, pixel);
        }
      }
    });
  };
  return t;
}

Transform Transform::exported(int (*entry)(void **),
                              std::vector<std::string> inputs,
                              std::vector<Output> outputs) {
  if (!entry)
    fail(SPORE_ERROR_ARGUMENT, "exported: no entry point");
  Transform t;
  t.apply_ = [=](Batch &batch, const Context &) {
    std::vector<void *> args;
    for (const std::string &name : inputs)
      args.push_back(batch.field(name).bytes.data());
    for (const Output &o : outputs) {
      Field *f = nullptr;
      for (Field &g : batch.fields)
        if (g.name == o.name)
          f = &g;
      if (!f) {
        batch.fields.push_back(Field{o.name, o.dtype, {}, {}});
        f = &batch.fields.back();
      }
      f->dtype = o.dtype;
      f->shape = {batch.fields[0].shape[0]};
      f->shape.insert(f->shape.end(), o.recordShape.begin(),
                      o.recordShape.end());
      f->bytes.resize(f->shape[0] * f->recordBytes());
    }
    // Pointers after the resizes above, which may move data.
    args.clear();
    for (const std::string &name : inputs)
      args.push_back(batch.field(name).bytes.data());
    for (const Output &o : outputs)
      args.push_back(batch.field(o.name).bytes.data());
    if (int status = entry(args.data()))
      fail(status,
           std::string("the exported transform failed: ") + spore_last_error());
  };
  return t;
}

Transform Transform::custom(std::function<void(Batch &, int64_t)> fn) {
  Transform t;
  t.apply_ = [fn = std::move(fn)](Batch &batch, const Context &) {
    fn(batch, batch.valid);
  };
  return t;
}

/// The batch being prepared on a oneTBB task, and what it threw.
struct Loader::Pending {
  tbb::task_group group;
  std::exception_ptr error;
  bool active = false;
};

Loader::Loader(Dataset dataset, LoaderOptions options)
    : dataset_(std::move(dataset)), options_(std::move(options)),
      pending_(std::make_unique<Pending>()) {
  if (options_.batchSize <= 0)
    fail(SPORE_ERROR_ARGUMENT, "the batch size must be positive, got " +
                                   std::to_string(options_.batchSize));
  startEpoch(0);
}

Loader::~Loader() { wait(); }

void Loader::wait() {
  if (pending_ && pending_->active) {
    pending_->group.wait();
    pending_->active = false;
  }
}

int64_t Loader::batchesPerEpoch() const {
  int64_t n = dataset_.size(), b = options_.batchSize;
  return options_.dropRemainder ? n / b : (n + b - 1) / b;
}

void Loader::startEpoch(int64_t epoch, int64_t firstBatch) {
  if (epoch < 0)
    fail(SPORE_ERROR_ARGUMENT,
         "epochs count from 0, got " + std::to_string(epoch));
  if (firstBatch < 0 || firstBatch > batchesPerEpoch())
    fail(SPORE_ERROR_ARGUMENT,
         "batch " + std::to_string(firstBatch) + " is not in an epoch of " +
             std::to_string(batchesPerEpoch()) + " batches");
  wait();
  pending_->error = nullptr;
  int64_t n = dataset_.size();
  if (options_.shuffle) {
    order_ = epochOrder(n, options_.seed, epoch);
  } else {
    order_.resize(n);
    for (int64_t i = 0; i < n; ++i)
      order_[i] = i;
  }
  epoch_ = epoch;
  nextIndex_ = firstBatch;
  slots_[current_].valid = 0;
}

void Loader::addTransform(Transform transform) {
  // A batch prepared without it is made again.
  wait();
  pending_->error = nullptr;
  options_.transforms.push_back(std::move(transform));
}

void Loader::produce(int64_t index, Batch &into) const {
  int64_t b = options_.batchSize;
  int64_t first = index * b;
  int64_t valid = index < batchesPerEpoch()
                      ? std::min(b, (int64_t)order_.size() - first)
                      : 0;
  into.valid = valid;
  if (valid == 0)
    return;
  into.fields.resize(dataset_.fields().size());
  for (size_t k = 0; k < into.fields.size(); ++k) {
    const Field &from = dataset_.fields()[k];
    Field &to = into.fields[k];
    to.name = from.name;
    to.dtype = from.dtype;
    to.shape = from.shape;
    to.shape[0] = b;
    size_t rb = from.recordBytes();
    to.bytes.resize(b * rb);
    forRecords(valid, [&](int64_t r) {
      std::memcpy(to.bytes.data() + r * rb,
                  from.bytes.data() + order_[first + r] * rb, rb);
    });
    std::memset(to.bytes.data() + valid * rb, 0, (b - valid) * rb);
  }
  Transform::Context context{options_.seed, epoch_, first};
  for (const Transform &t : options_.transforms)
    t.apply(into, context);
}

int64_t Loader::next() {
  int other = 1 - current_;
  if (pending_->active) {
    wait();
    if (pending_->error)
      std::rethrow_exception(std::exchange(pending_->error, nullptr));
    current_ = other; // the prefetched batch
  } else {
    produce(nextIndex_, slots_[current_]);
  }
  ++nextIndex_;
  if (options_.prefetch && nextIndex_ < batchesPerEpoch()) {
    Batch *into = &slots_[1 - current_];
    int64_t index = nextIndex_;
    pending_->active = true;
    pending_->group.run([this, into, index] {
      try {
        produce(index, *into);
      } catch (...) {
        pending_->error = std::current_exception();
      }
    });
  }
  return slots_[current_].valid;
}

} // namespace spore::data

//===----------------------------------------------------------------------===//
// The C ABI
//===----------------------------------------------------------------------===//

using spore::data::Dataset;
using spore::data::Loader;

namespace {

using spore::runtime::guarded;

int nullArgument(const char *function) {
  return spore_set_error(SPORE_ERROR_ARGUMENT, "%s: a NULL argument", function);
}

int make(spore_dataset **out, const std::function<Dataset()> &build,
         const char *function) {
  if (!out)
    return nullArgument(function);
  *out = nullptr;
  return guarded(function, [&] { *out = new spore_dataset{build()}; });
}

} // namespace

extern "C" int spore_dataset_from_npz(const char *path, spore_dataset **out) {
  if (!path)
    return nullArgument(__func__);
  return make(
      out, [&] { return Dataset::fromNpz(path); }, __func__);
}

extern "C" int spore_dataset_from_npy(const char *path, const char *field,
                                      spore_dataset **out) {
  if (!path || !field)
    return nullArgument(__func__);
  return make(
      out, [&] { return Dataset::fromNpy(path, field); }, __func__);
}

extern "C" int spore_dataset_from_idx(const char *path, const char *field,
                                      spore_dataset **out) {
  if (!path || !field)
    return nullArgument(__func__);
  return make(
      out, [&] { return Dataset::fromIdx(path, field); }, __func__);
}

extern "C" int spore_dataset_from_csv(const char *path, char delimiter,
                                      int header, spore_dtype dtype,
                                      spore_dataset **out) {
  if (!path)
    return nullArgument(__func__);
  return make(
      out, [&] { return Dataset::fromCsv(path, delimiter, header, dtype); },
      __func__);
}

extern "C" int spore_dataset_from_tensors(int32_t count,
                                          const char *const *names,
                                          const spore_tensor *tensors,
                                          spore_dataset **out) {
  if (count < 0 || (count > 0 && (!names || !tensors)))
    return nullArgument(__func__);
  return make(
      out,
      [&] {
        std::vector<spore::data::Field> fields;
        for (int32_t i = 0; i < count; ++i) {
          const spore_tensor &t = tensors[i];
          if (!names[i] || (!t.data && spore_tensor_numel(&t) > 0) ||
              t.rank < 0 || t.rank > SPORE_MAX_RANK ||
              spore_dtype_size(t.dtype) == 0)
            spore::data::fail(SPORE_ERROR_ARGUMENT,
                              "tensor " + std::to_string(i) +
                                  " has no name, no data, or a bad rank "
                                  "or dtype");
          fields.push_back(spore::data::fieldOf(names[i], t));
        }
        return Dataset::fromFields(std::move(fields));
      },
      __func__);
}

extern "C" int spore_dataset_join(const spore_dataset *a,
                                  const spore_dataset *b, spore_dataset **out) {
  if (!a || !b)
    return nullArgument(__func__);
  return make(
      out, [&] { return a->dataset.join(b->dataset); }, __func__);
}

extern "C" int spore_dataset_convert(const spore_dataset *d, const char *field,
                                     spore_dtype dtype, double scale,
                                     double shift, spore_dataset **out) {
  if (!d || !field)
    return nullArgument(__func__);
  return make(
      out, [&] { return d->dataset.convert(field, dtype, scale, shift); },
      __func__);
}

extern "C" int64_t spore_dataset_size(const spore_dataset *d) {
  return d ? d->dataset.size() : 0;
}

extern "C" int32_t spore_dataset_field_count(const spore_dataset *d) {
  return d ? (int32_t)d->dataset.fields().size() : 0;
}

static int fieldView(const std::vector<spore::data::Field> &fields, int32_t i,
                     const char **name, spore_tensor *view,
                     const char *function) {
  if (!view)
    return nullArgument(function);
  if (i < 0 || i >= (int32_t)fields.size())
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "%s: field %d is out of range for %d fields",
                           function, (int)i, (int)fields.size());
  if (name)
    *name = fields[i].name.c_str();
  *view = fields[i].view();
  return SPORE_OK;
}

extern "C" int spore_dataset_field(const spore_dataset *d, int32_t i,
                                   const char **name, spore_tensor *view) {
  if (!d)
    return nullArgument(__func__);
  return fieldView(d->dataset.fields(), i, name, view, __func__);
}

extern "C" void spore_dataset_destroy(spore_dataset *d) { delete d; }

extern "C" int spore_loader_create(const spore_dataset *d, int64_t batch_size,
                                   int flags, uint64_t seed,
                                   spore_loader **out) {
  if (!d || !out)
    return nullArgument(__func__);
  *out = nullptr;
  return guarded(__func__, [&] {
    spore::data::LoaderOptions options;
    options.batchSize = batch_size;
    options.shuffle = flags & SPORE_LOADER_SHUFFLE;
    options.dropRemainder = flags & SPORE_LOADER_DROP_REMAINDER;
    options.seed = seed;
    options.prefetch = !(flags & SPORE_LOADER_NO_PREFETCH);
    *out = new spore_loader{Loader(d->dataset, options)};
  });
}

/// Appends the transform `make` builds to loader `l`.
static int addTransform(spore_loader *l, const char *field,
                        const std::function<spore::data::Transform()> &make,
                        const char *function) {
  if (!l || !field)
    return nullArgument(function);
  return guarded(function, [&] { l->loader.addTransform(make()); });
}

extern "C" int spore_loader_convert(spore_loader *l, const char *field,
                                    spore_dtype dtype, double scale,
                                    double shift) {
  using spore::data::Transform;
  return addTransform(
      l, field, [&] { return Transform::convert(field, dtype, scale, shift); },
      __func__);
}

extern "C" int spore_loader_normalize(spore_loader *l, const char *field,
                                      double mean, double deviation) {
  using spore::data::Transform;
  return addTransform(
      l, field, [&] { return Transform::normalize(field, mean, deviation); },
      __func__);
}

extern "C" int spore_loader_one_hot(spore_loader *l, const char *field,
                                    int64_t classes) {
  using spore::data::Transform;
  return addTransform(
      l, field, [&] { return Transform::oneHot(field, classes); }, __func__);
}

extern "C" int spore_loader_random_flip(spore_loader *l, const char *field,
                                        int64_t axis) {
  using spore::data::Transform;
  return addTransform(
      l, field, [&] { return Transform::randomFlip(field, axis); }, __func__);
}

extern "C" int spore_loader_random_crop(spore_loader *l, const char *field,
                                        int64_t padding) {
  using spore::data::Transform;
  return addTransform(
      l, field, [&] { return Transform::randomCrop(field, padding); },
      __func__);
}

extern "C" int spore_loader_exported(
    spore_loader *l, int (*entry)(void **), int32_t num_inputs,
    const char *const *inputs, int32_t num_outputs, const char *const *outputs,
    const spore_dtype *dtypes, const int32_t *ranks, const int64_t *shapes) {
  if (!l || !entry || num_inputs < 0 || num_outputs < 0 ||
      (num_inputs && !inputs) ||
      (num_outputs && (!outputs || !dtypes || !ranks)))
    return nullArgument(__func__);
  return guarded(__func__, [&] {
    std::vector<std::string> in(inputs, inputs + num_inputs);
    std::vector<spore::data::Transform::Output> out;
    for (int32_t i = 0; i < num_outputs; ++i) {
      std::vector<int64_t> shape(shapes, shapes + ranks[i]);
      shapes += ranks[i];
      out.push_back({outputs[i], dtypes[i], shape});
    }
    l->loader.addTransform(
        spore::data::Transform::exported(entry, in, std::move(out)));
  });
}

extern "C" int64_t spore_loader_batches(const spore_loader *l) {
  return l ? l->loader.batchesPerEpoch() : 0;
}

extern "C" int spore_loader_start_epoch(spore_loader *l, int64_t epoch) {
  if (!l)
    return nullArgument(__func__);
  return guarded(__func__, [&] { l->loader.startEpoch(epoch); });
}

extern "C" int spore_loader_next(spore_loader *l, int64_t *valid) {
  if (!l || !valid)
    return nullArgument(__func__);
  return guarded(__func__, [&] { *valid = l->loader.next(); });
}

extern "C" int spore_loader_field(const spore_loader *l, int32_t i,
                                  const char **name, spore_tensor *view) {
  if (!l)
    return nullArgument(__func__);
  return fieldView(l->loader.batch().fields, i, name, view, __func__);
}

extern "C" void spore_loader_destroy(spore_loader *l) { delete l; }
