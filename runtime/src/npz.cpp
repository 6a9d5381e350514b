//===- npz.cpp - .npz archives (numpy.savez) ------------------------------===//
//
// An .npz file is a zip archive of .npy members named NAME.npy. The zip
// layer is libzip's (Debian libzip-dev): it writes zip64 records whenever
// a size or offset needs them (states past 4 GiB), reads stored and
// deflated members (numpy.savez and savez_compressed), checks CRCs and the
// consistency of local and central headers, and is maintained against
// malformed archives. The hand-written reader and writer it replaces had
// 32-bit offsets and bounds checks that could wrap. Members are written
// stored, as numpy.savez does, straight from the caller's tensors, with a
// fixed time stamp so that the same state always gives the same bytes, and
// the archive replaces its path atomically (replaceFile).
//
//===----------------------------------------------------------------------===//

#include "Npy.h"
#include "spore/runtime.h"

#include <zip.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

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

struct ZipCloser {
  void operator()(zip_t *z) const { zip_discard(z); }
};

/// libzip's message for the error code of a failed zip_open.
std::string openError(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string why = zip_error_strerror(&error);
  zip_error_fini(&error);
  return why;
}

int writeNpz(const char *path, int32_t count, const char *const *names,
             const spore_tensor *tensors) {
  // An archive without members is its end record alone (libzip writes
  // nothing for one), as numpy.savez() writes it.
  if (count == 0)
    return spore::runtime::writeFileAtomically(
        path, std::string("PK\x05\x06", 4) + std::string(18, '\0'));
  // Each member is its .npy header and the caller's data, read by libzip
  // when it writes the archive: no copy of the state is made.
  std::vector<std::string> headers(count);
  std::vector<zip_buffer_fragment_t> fragments(2 * (size_t)count);
  for (int32_t i = 0; i < count; ++i) {
    uint64_t bytes = 0;
    if (spore::runtime::encodeNpyHeader(&tensors[i], headers[i], bytes) !=
        SPORE_OK)
      return spore_set_error(SPORE_ERROR_ARGUMENT,
                             "spore_npz_write: '%s' is not a valid tensor (%s)",
                             names[i], std::string(spore_last_error()).c_str());
    fragments[2 * i] = {(zip_uint8_t *)headers[i].data(), headers[i].size()};
    fragments[2 * i + 1] = {(zip_uint8_t *)tensors[i].data, bytes};
  }
  return spore::runtime::replaceFile(path, [&](const char *temp) {
    auto fail = [&](zip_error_t *error) {
      int code = zip_error_code_zip(error) == ZIP_ER_MEMORY ? SPORE_ERROR_MEMORY
                                                            : SPORE_ERROR_IO;
      return spore_set_error(code, "%s: write failed: %s", path,
                             zip_error_strerror(error));
    };
    int code = 0;
    std::unique_ptr<zip_t, ZipCloser> archive(
        zip_open(temp, ZIP_CREATE | ZIP_TRUNCATE, &code));
    if (!archive)
      return spore_set_error(
          code == ZIP_ER_MEMORY ? SPORE_ERROR_MEMORY : SPORE_ERROR_IO,
          "%s: write failed: %s", path, openError(code).c_str());
    for (int32_t i = 0; i < count; ++i) {
      std::string member = std::string(names[i]) + ".npy";
      zip_source_t *source =
          zip_source_buffer_fragment(archive.get(), &fragments[2 * i], 2, 0);
      zip_int64_t index = source ? zip_file_add(archive.get(), member.c_str(),
                                                source, ZIP_FL_ENC_UTF_8)
                                 : -1;
      if (index < 0) {
        if (source)
          zip_source_free(source);
        if (zip_error_code_zip(zip_get_error(archive.get())) == ZIP_ER_EXISTS)
          return spore_set_error(SPORE_ERROR_ARGUMENT,
                                 "spore_npz_write: two members are named '%s'",
                                 names[i]);
        return fail(zip_get_error(archive.get()));
      }
      // Stored, as numpy.savez; 1980-01-01 00:00, the first DOS date, so
      // that the same state gives the same bytes.
      if (zip_set_file_compression(archive.get(), index, ZIP_CM_STORE, 0) !=
              0 ||
          zip_file_set_dostime(archive.get(), index, 0, 0x21, 0) != 0)
        return fail(zip_get_error(archive.get()));
    }
    // libzip writes into a file of its own and renames it over `temp`.
    if (zip_close(archive.get()) != 0)
      return fail(zip_get_error(archive.get()));
    archive.release(); // closed and freed
    return (int)SPORE_OK;
  });
}

/// The archive of spore_npz_read, whose arguments it has checked.
int readNpz(const char *path, int32_t *count, char ***names,
            spore_tensor **tensors);

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
  return spore::runtime::withoutExceptions(
      "spore_npz_read", [&] { return readNpz(path, count, names, tensors); });
}

namespace {

struct FileCloser {
  void operator()(zip_file_t *f) const { zip_fclose(f); }
};

int readNpz(const char *path, int32_t *count, char ***names,
            spore_tensor **tensors) {
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(
      zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &code));
  if (!archive) {
    std::string why = openError(code);
    // A seek fails on an offset the archive made up: a format error.
    if (code == ZIP_ER_NOENT || code == ZIP_ER_OPEN || code == ZIP_ER_READ)
      return spore_set_error(SPORE_ERROR_IO, "%s: cannot open: %s", path,
                             why.c_str());
    if (code == ZIP_ER_MEMORY)
      return spore_set_error(SPORE_ERROR_MEMORY, "%s: out of memory", path);
    return spore_set_error(SPORE_ERROR_FORMAT, "%s: not a valid .npz (%s)",
                           path, why.c_str());
  }
  zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  if (entries < 0 || entries > INT32_MAX)
    return spore_set_error(SPORE_ERROR_FORMAT,
                           "%s: not a valid .npz (%lld members)", path,
                           (long long)entries);
  struct Read {
    std::string name;
    std::vector<unsigned char> bytes;
  };
  std::vector<Read> members;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    if (zip_stat_index(archive.get(), i, 0, &stat) != 0 ||
        !(stat.valid & ZIP_STAT_NAME) || !(stat.valid & ZIP_STAT_SIZE))
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: not a valid .npz (member %lld: %s)", path,
                             (long long)i, zip_strerror(archive.get()));
    std::string name = stat.name;
    // libzip turns a NUL inside a stored name into a space, so that
    // `w\0evil.npy` can never pass for `w`; names are Parameters' names,
    // which have no spaces.
    if (name.size() < 5 || name.compare(name.size() - 4, 4, ".npy") != 0 ||
        name.find(' ') != std::string::npos)
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: member '%s' is not a .npy array named "
                             "NAME.npy",
                             path, name.c_str());
    std::unique_ptr<zip_file_t, FileCloser> file(
        zip_fopen_index(archive.get(), i, 0));
    if (!file)
      return spore_set_error(SPORE_ERROR_FORMAT, "%s: member '%s': %s", path,
                             name.c_str(), zip_strerror(archive.get()));
    // Read to the end, which is where libzip checks the CRC; grow as the
    // data comes rather than trusting the declared size.
    Read member{name.substr(0, name.size() - 4), {}};
    unsigned char chunk[1 << 16];
    zip_int64_t n;
    while ((n = zip_fread(file.get(), chunk, sizeof chunk)) > 0)
      member.bytes.insert(member.bytes.end(), chunk, chunk + n);
    if (n < 0 || member.bytes.size() != stat.size) {
      std::string why =
          n < 0 ? zip_file_strerror(file.get()) : "size differs from header";
      return spore_set_error(SPORE_ERROR_FORMAT,
                             "%s: member '%s' is corrupt (%s)", path,
                             name.c_str(), why.c_str());
    }
    members.push_back(std::move(member));
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
    if (int rc = spore::runtime::parseNpy(members[i].bytes.data(),
                                          members[i].bytes.size(),
                                          label.c_str(), &outTensors[i])) {
      spore_npz_free(i, outNames, outTensors);
      return rc;
    }
    outNames[i] = strdup(members[i].name.c_str());
    if (!outNames[i]) {
      spore_npz_free(i + 1, outNames, outTensors);
      return spore_set_error(SPORE_ERROR_MEMORY, "%s: out of memory", path);
    }
  }
  *count = k;
  *names = outNames;
  *tensors = outTensors;
  return SPORE_OK;
}

} // namespace
