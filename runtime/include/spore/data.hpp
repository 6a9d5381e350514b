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
//       step(loader.batch().field("x").bytes.data(),
//            loader.batch().field("y").bytes.data());
//
// Errors are thrown as spore::data::Error, whose status is a spore_status
// and whose message names the file and, for malformed data, the record.
#ifndef SPORE_DATA_HPP
#define SPORE_DATA_HPP

#include "spore/runtime.h"

#include <cstdint>
#include <functional>
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

/// One batch: fields of [batchSize, ...], of which the first `valid`
/// records are real (the rest, in a padded last batch, zeros).
struct Batch {
  int64_t valid = 0;
  std::vector<Field> fields;
  const Field &field(const std::string &name) const;
  Field &field(const std::string &name);
};

/// A step of the loader's map: it changes a batch after its records are
/// gathered. Random transforms draw from a stream fixed by the loader's
/// seed, the epoch and the record's position in the epoch, so their
/// results do not depend on threads or timing. Per-record transforms run
/// on the records in parallel (oneTBB).
class Transform {
public:
  /// x * scale + shift in `dtype`, elementwise (Dataset::convert per
  /// batch): a u8 image field kept as bytes is gathered with a quarter of
  /// the memory traffic of f32 and converted here, in parallel.
  static Transform convert(std::string field, spore_dtype dtype,
                           double scale = 1, double shift = 0);
  /// (x - mean) / deviation, elementwise, of a f32 or f64 field.
  static Transform normalize(std::string field, double mean, double deviation);
  /// An integer field of class labels [N] as f32 one-hot rows [N, classes];
  /// a label outside [0, classes) is an error naming the record.
  static Transform oneHot(std::string field, int64_t classes);
  /// Reverses axis `axis` of each record (0: the first axis after the
  /// record's) with probability 1/2: horizontal flips of [H, W(, C)]
  /// images are axis 1.
  static Transform randomFlip(std::string field, int64_t axis);
  /// Pads the first two axes of each record ([H, W(, C)]) by `padding`
  /// zeros and crops them back to H x W at a random offset, as
  /// torchvision's RandomCrop(size, padding).
  static Transform randomCrop(std::string field, int64_t padding);
  /// A compiled export as the transform: its packed entry point
  /// (`__spore_packed_<model>_<name>`, which takes the C parameters as an
  /// array of pointers) is called on the whole batch with the data of
  /// the `inputs` fields, then of the `outputs` fields, which it writes.
  /// An output field that the batch lacks is added with its dtype and
  /// its shape after the batch dimension.
  struct Output {
    std::string name;
    spore_dtype dtype;
    std::vector<int64_t> recordShape;
  };
  static Transform exported(int (*entry)(void **),
                            std::vector<std::string> inputs,
                            std::vector<Output> outputs);
  /// Any function of the batch and its valid records.
  static Transform custom(std::function<void(Batch &, int64_t valid)> fn);

  struct Context {
    uint64_t seed;
    int64_t epoch;
    int64_t firstRecord; // the batch's position in the epoch
  };
  void apply(Batch &batch, const Context &context) const;

private:
  std::function<void(Batch &, const Context &)> apply_;
};

struct LoaderOptions {
  int64_t batchSize = 32;
  bool shuffle = true;
  bool dropRemainder = false;
  uint64_t seed = 0;
  /// Applied to each batch in order.
  std::vector<Transform> transforms;
  /// Prepare the next batch (gather and transform) on a oneTBB task while
  /// the caller uses the current one.
  bool prefetch = true;
};

/// Batches of a dataset, epoch by epoch, in an order that depends only on
/// the seed and the epoch.
class Loader {
public:
  Loader(Dataset dataset, LoaderOptions options);
  ~Loader();
  Loader(const Loader &) = delete;
  Loader &operator=(const Loader &) = delete;
  int64_t batchesPerEpoch() const;
  /// Starts epoch `epoch` at its batch `firstBatch` (a resumed run skips
  /// the batches it has trained on without gathering them).
  void startEpoch(int64_t epoch, int64_t firstBatch = 0);
  int64_t epoch() const { return epoch_; }
  /// The batches of this epoch that next() has returned.
  int64_t position() const { return nextIndex_; }
  /// Appends a transform; batches made from now on apply it.
  void addTransform(Transform transform);
  /// Makes the next batch current; returns its valid records, 0 at the
  /// end of the epoch. Throws what gathering or a transform threw.
  int64_t next();
  /// The current batch, valid until the next call of next().
  const Batch &batch() const { return slots_[current_]; }
  const Dataset &dataset() const { return dataset_; }
  const LoaderOptions &options() const { return options_; }

private:
  struct Pending;
  /// Gathers batch `index` of the epoch into `into` and transforms it.
  void produce(int64_t index, Batch &into) const;
  void wait();

  Dataset dataset_;
  LoaderOptions options_;
  std::vector<int64_t> order_;
  int64_t epoch_ = 0;
  int64_t nextIndex_ = 0; // the batch next() returns next
  Batch slots_[2];
  int current_ = 0;
  std::unique_ptr<Pending> pending_;
};

/// The permutation of 0..n-1 for `epoch` under `seed` (Fisher-Yates on a
/// SplitMix64 stream, unbiased): the same on every platform.
std::vector<int64_t> epochOrder(int64_t n, uint64_t seed, int64_t epoch);

} // namespace spore::data

#endif // SPORE_DATA_HPP
