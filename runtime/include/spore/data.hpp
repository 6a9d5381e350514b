// spore/data.hpp: the data pipeline of libspore_runtime (training.md §2),
// C++ API. spore/data.h is its C twin and documents the formats.
//
//   auto train = spore::data::Dataset::fromIdx(dir +
//   "/train-images-idx3-ubyte.gz", "x")
//                    .join(spore::data::Dataset::fromIdx(dir +
//                    "/train-labels-idx1-ubyte.gz", "y")) .convert("x",
//                    SPORE_F32, 1.0 / 255, 0) .convert("y", SPORE_I32, 1, 0);
//   spore::data::LoaderOptions options;
//   options.batchSize = 128;
//   spore::data::Loader loader(train, options);
//   for (int64_t epoch = 0; epoch < 10; ++epoch)
//     for (loader.startEpoch(epoch); loader.next() > 0;)
//       step(loader.batch().field("x").data, loader.batch().field("y").data);
//
// Errors are thrown as spore::data::Error, whose status is a spore_status
// and whose message names the file and, for malformed data, the record.
#ifndef SPORE_DATA_HPP
#define SPORE_DATA_HPP

#include "spore/runtime.h"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace spore::data {

struct Error : std::runtime_error {
  Error(int status, const std::string &message)
      : std::runtime_error(message), status(status) {}
  int status;
};

/// A named tensor whose first dimension indexes records.
struct Field {
  std::string name;
  spore_dtype dtype = SPORE_F32;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;

  int64_t records() const { return shape.empty() ? 0 : shape[0]; }
  /// Bytes of one record.
  size_t recordBytes() const;
  /// A view (the data stays owned by the field).
  spore_tensor view() const;
};

/// An immutable table of fields with the same number of records; copies
/// share the data.
class Dataset {
public:
  static Dataset fromFields(std::vector<Field> fields);
  static Dataset fromNpz(const std::string &path);
  static Dataset fromNpy(const std::string &path, const std::string &field);
  static Dataset fromIdx(const std::string &path, const std::string &field);
  static Dataset fromCsv(const std::string &path, char delimiter = ',',
                         bool header = true, spore_dtype dtype = SPORE_F32);

  Dataset join(const Dataset &other) const;
  Dataset convert(const std::string &field, spore_dtype dtype, double scale = 1,
                  double shift = 0) const;

  int64_t size() const;
  const std::vector<Field> &fields() const { return *fields_; }
  /// The field named `name`; throws when there is none.
  const Field &field(const std::string &name) const;

private:
  std::shared_ptr<const std::vector<Field>> fields_ =
      std::make_shared<std::vector<Field>>();
};

struct LoaderOptions {
  int64_t batchSize = 32;
  bool shuffle = true;
  bool dropRemainder = false;
  uint64_t seed = 0;
};

/// One batch: fields of [batchSize, ...], of which the first `valid`
/// records are real (the rest, in a padded last batch, zeros).
struct Batch {
  int64_t valid = 0;
  std::vector<Field> fields;
  const Field &field(const std::string &name) const;
};

/// Batches of a dataset, epoch by epoch, in an order that depends only on
/// the seed and the epoch.
class Loader {
public:
  Loader(Dataset dataset, LoaderOptions options);
  int64_t batchesPerEpoch() const;
  void startEpoch(int64_t epoch);
  /// Fills batch(); returns its valid records, 0 at the end of the epoch.
  int64_t next();
  const Batch &batch() const { return batch_; }
  const Dataset &dataset() const { return dataset_; }

private:
  Dataset dataset_;
  LoaderOptions options_;
  std::vector<int64_t> order_;
  int64_t position_ = 0;
  Batch batch_;
};

/// The permutation of 0..n-1 for `epoch` under `seed` (Fisher-Yates on a
/// SplitMix64 stream, unbiased): the same on every platform.
std::vector<int64_t> epochOrder(int64_t n, uint64_t seed, int64_t epoch);

} // namespace spore::data

#endif // SPORE_DATA_HPP
