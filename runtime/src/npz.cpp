//===- npz.cpp - .npz archives (numpy.savez) ------------------------------===//
//
// An .npz file is a zip archive of .npy members named NAME.npy. Writing
// uses the stored (uncompressed) method with CRC-32, as numpy.savez does;
// reading accepts stored members (with zip64 sizes, as NumPy writes them),
// checks every offset, size and CRC, and refuses compressed archives with a
// message. Model state files use this format.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "spore/runtime.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// The CRC-32 table, built once: thread-safe, unlike the lazily filled
/// static array it replaces (ThreadSanitizer saw eight saving threads race).
struct Crc32Table {
  uint32_t entries[256];
  constexpr Crc32Table() : entries() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      entries[i] = c;
    }
  }
};
constexpr Crc32Table kCrc32;

uint32_t crc32(const unsigned char *data, size_t size) {
  const uint32_t *table = kCrc32.entries;
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i)
    c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

void put16(std::string &out, uint32_t v) {
  out += (char)(v & 0xFF);
  out += (char)((v >> 8) & 0xFF);
}

void put32(std::string &out, uint32_t v) {
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

uint32_t get16(const unsigned char *p) { return p[0] | (p[1] << 8); }

uint32_t get32(const unsigned char *p) {
  return get16(p) | ((uint32_t)get16(p + 2) << 16);
}

uint64_t get64(const unsigned char *p) {
  return get32(p) | ((uint64_t)get32(p + 4) << 32);
}

struct Member {
  std::string name;
  uint64_t offset, size;
  uint32_t crc;
};

/// The archive of spore_npz_write, whose arguments it has checked.
int writeNpz(const char *path, int32_t count, const char *const *names,
             const spore_tensor *tensors);

} // namespace

extern "C" int spore_npz_write(const char *path, int32_t count,
                               const char *const *names,
                               const spore_tensor *tensors) {
  if (!path || count < 0 || (count && (!names || !tensors)))
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_npz_write: NULL argument");
  for (int32_t i = 0; i < count; ++i)
    if (!names[i] || !*names[i])
      return spore_set_error(SPORE_ERROR_ARGUMENT,
                             "spore_npz_write: member %d has no name", (int)i);
  return spore::runtime::withoutExceptions(
      "spore_npz_write", [&] { return writeNpz(path, count, names, tensors); });
}

namespace {

int writeNpz(const char *path, int32_t count, const char *const *names,
             const spore_tensor *tensors) {
  std::string archive, directory;
  for (int32_t i = 0; i < count; ++i) {
    std::string member = std::string(names[i]) + ".npy";
    std::string data;
    if (spore::runtime::encodeNpy(&tensors[i], data) != SPORE_OK)
      return spore_set_error(SPORE_ERROR_ARGUMENT,
                             "spore_npz_write: '%s' is not a valid tensor",
                             names[i]);
    if (data.size() >= 0xFFFFFFFFu || archive.size() >= 0xFFFFFFFFu)
      return spore_set_error(SPORE_ERROR_ARGUMENT,
                             "%s: archives of 4 GiB or more are not "
                             "supported",
                             path);
    uint32_t crc = crc32((const unsigned char *)data.data(), data.size());
    uint32_t offset = archive.size();
    // Local header, stored, no time stamp (1980-01-01).
    put32(archive, 0x04034b50);
    put16(archive, 20);
    put16(archive, 0);
    put16(archive, 0);
    put16(archive, 0);
    put16(archive, 0x21);
    put32(archive, crc);
    put32(archive, data.size());
    put32(archive, data.size());
    put16(archive, member.size());
    put16(archive, 0);
    archive += member;
    archive += data;
    // Its central directory entry.
    put32(directory, 0x02014b50);
    put16(directory, 20);
    put16(directory, 20);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0x21);
    put32(directory, crc);
    put32(directory, data.size());
    put32(directory, data.size());
    put16(directory, member.size());
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put16(directory, 0);
    put32(directory, 0);
    put32(directory, offset);
    directory += member;
  }
  uint32_t directoryOffset = archive.size();
  archive += directory;
  put32(archive, 0x06054b50);
  put16(archive, 0);
  put16(archive, 0);
  put16(archive, count);
  put16(archive, count);
  put32(archive, directory.size());
  put32(archive, directoryOffset);
  put16(archive, 0);
  return spore::runtime::writeFileAtomically(path, archive);
}

} // namespace

extern "C" void spore_npz_free(int32_t count, char **names,
                               spore_tensor *tensors) {
  for (int32_t i = 0; i < count; ++i) {
    if (names)
      std::free(names[i]);
    if (tensors)
      spore_tensor_free(&tensors[i]);
  }
  std::free(names);
  std::free(tensors);
}

extern "C" int spore_npz_read(const char *path, int32_t *count, char ***names,
                              spore_tensor **tensors) {
  if (!path || !count || !names || !tensors)
    return spore_set_error(SPORE_ERROR_ARGUMENT,
                           "spore_npz_read: NULL argument");
  *count = 0;
  *names = nullptr;
  *tensors = nullptr;
  FILE *f = std::fopen(path, "rb");
  if (!f)
    return spore_set_error(SPORE_ERROR_IO, "%s: cannot open: %s", path,
                           std::strerror(errno));
  std::vector<unsigned char> bytes;
  unsigned char chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  std::fclose(f);
  const unsigned char *data = bytes.data();
  size_t size = bytes.size();
  auto bad = [&](const char *why) {
    return spore_set_error(SPORE_ERROR_FORMAT, "%s: not a valid .npz (%s)",
                           path, why);
  };

  // The end of central directory record, searched from the end.
  if (size < 22)
    return bad("too short for a zip archive");
  size_t eocd = size - 22;
  while (get32(data + eocd) != 0x06054b50) {
    if (eocd == 0 || size - eocd > 22 + 65535)
      return bad("no end of central directory");
    --eocd;
  }
  uint32_t entries = get16(data + eocd + 10);
  uint64_t dirSize = get32(data + eocd + 12),
           dirOffset = get32(data + eocd + 16);
  if (dirOffset == 0xFFFFFFFFu || entries == 0xFFFF) {
    // zip64: the locator just before points at the zip64 record.
    if (eocd < 20 || get32(data + eocd - 20) != 0x07064b50)
      return bad("zip64 locator missing");
    uint64_t rec = get64(data + eocd - 20 + 8);
    if (rec + 56 > size || get32(data + rec) != 0x06064b50)
      return bad("zip64 record out of bounds");
    entries = (uint32_t)get64(data + rec + 32);
    dirSize = get64(data + rec + 40);
    dirOffset = get64(data + rec + 48);
  }
  if (dirOffset > size || dirSize > size - dirOffset)
    return bad("central directory out of bounds");

  std::vector<Member> members;
  size_t p = dirOffset;
  for (uint32_t i = 0; i < entries; ++i) {
    if (p + 46 > dirOffset + dirSize || get32(data + p) != 0x02014b50)
      return bad("damaged central directory");
    uint32_t method = get16(data + p + 10);
    uint32_t crc = get32(data + p + 16);
    uint64_t csize = get32(data + p + 20), usize = get32(data + p + 24);
    uint32_t nameLen = get16(data + p + 28), extraLen = get16(data + p + 30),
             commentLen = get16(data + p + 32);
    uint64_t offset = get32(data + p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > dirOffset + dirSize)
      return bad("damaged central directory");
    std::string name((const char *)data + p + 46, nameLen);
    // zip64 sizes in the extra field, in this order, for fields at max.
    size_t e = p + 46 + nameLen, end = e + extraLen;
    while (e + 4 <= end) {
      uint32_t id = get16(data + e), len = get16(data + e + 2);
      if (e + 4 + len > end)
        return bad("damaged extra field");
      if (id == 0x0001) {
        size_t q = e + 4;
        for (uint64_t *field : {&usize, &csize, &offset})
          if (*field == 0xFFFFFFFFu) {
            if (q + 8 > e + 4 + len)
              return bad("damaged zip64 field");
            *field = get64(data + q);
            q += 8;
          }
      }
      e += 4 + len;
    }
    if (method != 0)
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: member '%s' is compressed; save state "
                             "with numpy.savez, not savez_compressed",
                             path, name.c_str());
    if (csize != usize)
      return bad("stored member sizes differ");
    if (offset + 30 > size || get32(data + offset) != 0x04034b50)
      return bad("local header out of bounds");
    uint64_t start =
        offset + 30 + get16(data + offset + 26) + get16(data + offset + 28);
    if (start > size || usize > size - start)
      return bad("member data out of bounds");
    if (crc32(data + start, usize) != crc)
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: member '%s' fails its CRC check (the file "
                             "is corrupt)",
                             path, name.c_str());
    if (name.size() < 5 || name.compare(name.size() - 4, 4, ".npy") != 0)
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: member '%s' is not a .npy array", path,
                             name.c_str());
    members.push_back({name.substr(0, name.size() - 4), start, usize, crc});
    p += 46 + nameLen + extraLen + commentLen;
  }

  int32_t k = (int32_t)members.size();
  char **outNames = (char **)std::calloc(k ? k : 1, sizeof(char *));
  auto *outTensors =
      (spore_tensor *)std::calloc(k ? k : 1, sizeof(spore_tensor));
  if (!outNames || !outTensors) {
    std::free(outNames);
    std::free(outTensors);
    return spore_set_error(SPORE_ERROR_MEMORY, "%s: out of memory", path);
  }
  for (int32_t i = 0; i < k; ++i) {
    std::string label = std::string(path) + ":" + members[i].name;
    if (int rc =
            spore::runtime::parseNpy(data + members[i].offset, members[i].size,
                                     label.c_str(), &outTensors[i])) {
      spore_npz_free(i, outNames, outTensors);
      return rc;
    }
    outNames[i] = strdup(members[i].name.c_str());
  }
  *count = k;
  *names = outNames;
  *tensors = outTensors;
  return SPORE_OK;
}
