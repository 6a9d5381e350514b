// Unit tests of the data pipeline (spore/data.hpp, spore/data.h): every
// source, shuffling, remainders, bad files, and the C ABI.
#include "spore/data.h"
#include "spore/data.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <set>
#include <string>
#include <vector>

using spore::data::Dataset;
using spore::data::Field;
using spore::data::Loader;
using spore::data::LoaderOptions;

namespace {

std::string tempPath(const std::string &name) {
  return "/tmp/spore_unit_data_" + name;
}

void writeFile(const std::string &path, const std::string &bytes,
               bool gzip = false) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f);
    REQUIRE(gzwrite(f, bytes.data(), (unsigned)bytes.size()) ==
            (int)bytes.size());
    gzclose(f);
    return;
  }
  FILE *f = std::fopen(path.c_str(), "wb");
  REQUIRE(f);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

/// An IDX file: magic, big-endian dimensions, then `data` as given.
std::string idx(unsigned char type, const std::vector<uint32_t> &dims,
                const std::string &data) {
  std::string out{'\0', '\0', (char)type, (char)dims.size()};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      out += (char)(d >> shift);
  return out + data;
}

/// A field of f32 records 0, 1, 2, ... (each of `width` equal values).
Field counting(const std::string &name, int64_t records, int64_t width) {
  Field f;
  f.name = name;
  f.dtype = SPORE_F32;
  f.shape = {records, width};
  f.bytes.resize(records * width * 4);
  auto *p = reinterpret_cast<float *>(f.bytes.data());
  for (int64_t r = 0; r < records; ++r)
    for (int64_t k = 0; k < width; ++k)
      p[r * width + k] = (float)r;
  return f;
}

std::vector<float> firstColumn(const Field &f, int64_t rows) {
  const auto *p = reinterpret_cast<const float *>(f.bytes.data());
  int64_t width = f.shape[1];
  std::vector<float> out;
  for (int64_t r = 0; r < rows; ++r)
    out.push_back(p[r * width]);
  return out;
}

/// The records of one epoch, in order, by their first column.
std::vector<float> epoch(Loader &loader, int64_t e) {
  std::vector<float> seen;
  loader.startEpoch(e);
  while (int64_t valid = loader.next()) {
    std::vector<float> rows = firstColumn(loader.batch().fields[0], valid);
    seen.insert(seen.end(), rows.begin(), rows.end());
  }
  return seen;
}

template <typename Fn> std::string errorOf(Fn fn, int *status = nullptr) {
  try {
    fn();
  } catch (const spore::data::Error &e) {
    if (status)
      *status = e.status;
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("loader: batches, remainders and padding", "[data]") {
  Dataset d = Dataset::fromFields({counting("x", 10, 3)});
  LoaderOptions options;
  options.batchSize = 4;
  options.shuffle = false;
  Loader padded(d, options);
  CHECK(padded.batchesPerEpoch() == 3);
  CHECK(padded.next() == 4);
  CHECK(firstColumn(padded.batch().fields[0], 4) ==
        std::vector<float>{0, 1, 2, 3});
  CHECK(padded.next() == 4);
  CHECK(padded.next() == 2); // the last two records, then zeros
  const Field &last = padded.batch().field("x");
  CHECK(last.shape == std::vector<int64_t>{4, 3});
  CHECK(firstColumn(last, 4) == std::vector<float>{8, 9, 0, 0});
  CHECK(padded.next() == 0);
  CHECK(padded.batch().valid == 0);

  options.dropRemainder = true;
  Loader dropped(d, options);
  CHECK(dropped.batchesPerEpoch() == 2);
  CHECK(epoch(dropped, 0) == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7});

  options.batchSize = 0;
  CHECK_THAT(errorOf([&] { Loader bad(d, options); }),
             Catch::Contains("the batch size must be positive, got 0"));
}

TEST_CASE("loader: the order depends only on the seed and the epoch",
          "[data]") {
  Dataset d = Dataset::fromFields({counting("x", 97, 1)});
  LoaderOptions options;
  options.batchSize = 8;
  options.seed = 42;
  Loader a(d, options), b(d, options);
  std::vector<float> e0 = epoch(a, 0), e1 = epoch(a, 1);
  // Each epoch is a permutation of all the records.
  for (const auto &e : {e0, e1}) {
    std::vector<float> sorted = e;
    std::sort(sorted.begin(), sorted.end());
    std::vector<float> all(97);
    std::iota(all.begin(), all.end(), 0.0f);
    CHECK(sorted == all);
  }
  CHECK(e0 != e1);
  // A second loader (a resumed run) starting at epoch 1 sees the same.
  CHECK(epoch(b, 1) == e1);
  CHECK(epoch(b, 0) == e0);
  options.seed = 43;
  Loader c(d, options);
  CHECK(epoch(c, 0) != e0);
  // The permutation is fixed across platforms and versions: a run resumed
  // elsewhere must see the same batches.
  CHECK(spore::data::epochOrder(5, 1, 0) == spore::data::epochOrder(5, 1, 0));
  std::vector<int64_t> order = spore::data::epochOrder(6, 7, 3);
  std::set<int64_t> distinct(order.begin(), order.end());
  CHECK(distinct.size() == 6);
}

TEST_CASE("dataset: IDX files, plain and gzip, joined and converted",
          "[data]") {
  // Three 2x2 ubyte images and their labels, as in Fashion-MNIST.
  std::string pixels = {0, 51, 102, (char)255, 1, 2, 3, 4, 5, 6, 7, 8};
  writeFile(tempPath("images.idx"), idx(0x08, {3, 2, 2}, pixels));
  writeFile(tempPath("labels.idx.gz"), idx(0x08, {3}, {7, 0, 9}), true);
  Dataset images = Dataset::fromIdx(tempPath("images.idx"), "x");
  Dataset labels = Dataset::fromIdx(tempPath("labels.idx.gz"), "y");
  CHECK(images.field("x").dtype == SPORE_U8);
  CHECK(images.field("x").shape == std::vector<int64_t>{3, 2, 2});
  Dataset d = images.join(labels)
                  .convert("x", SPORE_F32, 1.0 / 255, 0)
                  .convert("y", SPORE_I32);
  CHECK(d.size() == 3);
  const auto *x = reinterpret_cast<const float *>(d.field("x").bytes.data());
  CHECK(x[1] == Approx(0.2f));
  CHECK(x[3] == 1.0f);
  const auto *y = reinterpret_cast<const int32_t *>(d.field("y").bytes.data());
  CHECK(std::vector<int32_t>(y, y + 3) == std::vector<int32_t>{7, 0, 9});

  // Big-endian ints, shorts and floats.
  std::string ints = {0,          0,          1,          0,
                      (char)0xff, (char)0xff, (char)0xff, (char)0xfe};
  writeFile(tempPath("ints.idx"), idx(0x0C, {2}, ints));
  Dataset i32 = Dataset::fromIdx(tempPath("ints.idx"), "v");
  const auto *iv =
      reinterpret_cast<const int32_t *>(i32.field("v").bytes.data());
  CHECK(iv[0] == 256);
  CHECK(iv[1] == -2);
  std::string shorts = {(char)0xff, (char)0xfd};
  writeFile(tempPath("shorts.idx"), idx(0x0B, {1}, shorts));
  Dataset shortSet = Dataset::fromIdx(tempPath("shorts.idx"), "v");
  CHECK(reinterpret_cast<const int32_t *>(
            shortSet.field("v").bytes.data())[0] == -3);
  std::string one = {0x3f, (char)0x80, 0, 0};
  writeFile(tempPath("float.idx"), idx(0x0D, {1}, one));
  Dataset floatSet = Dataset::fromIdx(tempPath("float.idx"), "v");
  CHECK(reinterpret_cast<const float *>(floatSet.field("v").bytes.data())[0] ==
        1.0f);
}

TEST_CASE("dataset: bad IDX files name the file and the record", "[data]") {
  int status = 0;
  writeFile(tempPath("cut.idx"), idx(0x08, {3, 2, 2}, std::string(9, '\1')));
  CHECK_THAT(
      errorOf([] { Dataset::fromIdx(tempPath("cut.idx"), "x"); }, &status),
      Catch::Contains("cut.idx: record 2 of 3 is cut off"));
  CHECK(status == SPORE_ERROR_FORMAT);
  writeFile(tempPath("long.idx"), idx(0x08, {1}, "ab"));
  CHECK_THAT(errorOf([] { Dataset::fromIdx(tempPath("long.idx"), "x"); }),
             Catch::Contains("1 bytes after the last record"));
  writeFile(tempPath("magic.idx"), "PK\3\4 not idx");
  CHECK_THAT(errorOf([] { Dataset::fromIdx(tempPath("magic.idx"), "x"); }),
             Catch::Contains("magic.idx: not an IDX file"));
  // Dimensions whose product overflows are refused, not trusted: the
  // wrapped size could match the file and describe records past its end.
  writeFile(tempPath("huge.idx"),
            idx(0x08, {0x80000000u, 0x80000000u, 0x80000000u, 4}, ""));
  CHECK_THAT(
      errorOf([] { Dataset::fromIdx(tempPath("huge.idx"), "x"); }, &status),
      Catch::Contains("huge.idx: not an IDX file: its dimensions "
                      "describe more than 2^64 bytes"));
  CHECK(status == SPORE_ERROR_FORMAT);
  writeFile(tempPath("type.idx"), idx(0x07, {1}, "a"));
  CHECK_THAT(errorOf([] { Dataset::fromIdx(tempPath("type.idx"), "x"); }),
             Catch::Contains("unknown element type 0x7"));
  CHECK_THAT(
      errorOf([] { Dataset::fromIdx(tempPath("missing.idx"), "x"); }, &status),
      Catch::Contains("missing.idx: cannot open"));
  CHECK(status == SPORE_ERROR_IO);
}

TEST_CASE("dataset: numeric CSV", "[data]") {
  writeFile(tempPath("table.csv"),
            "label, a ,b\n1,0.5,-2\n\n0,1e3,4\r\n2,3,5\n");
  Dataset d = Dataset::fromCsv(tempPath("table.csv"));
  CHECK(d.size() == 3);
  CHECK(d.fields().size() == 3);
  CHECK(d.field("a").dtype == SPORE_F32);
  const auto *a = reinterpret_cast<const float *>(d.field("a").bytes.data());
  CHECK(std::vector<float>(a, a + 3) == std::vector<float>{0.5f, 1000, 3});
  Dataset ints = Dataset::fromCsv(tempPath("table.csv"), ',', true, SPORE_I64);
  CHECK(reinterpret_cast<const int64_t *>(ints.field("b").bytes.data())[0] ==
        -2);
  writeFile(tempPath("plain.csv"), "1;2\n3;4\n");
  Dataset plain = Dataset::fromCsv(tempPath("plain.csv"), ';', false);
  CHECK(plain.fields()[1].name == "c1");
  CHECK(plain.size() == 2);

  int status = 0;
  writeFile(tempPath("word.csv"), "a,b\n1,2\n3,x4\n");
  CHECK_THAT(errorOf([] { Dataset::fromCsv(tempPath("word.csv")); }, &status),
             Catch::Contains("word.csv:3: record 1, field 'b': 'x4' is not "
                             "a number"));
  CHECK(status == SPORE_ERROR_FORMAT);
  writeFile(tempPath("ragged.csv"), "a,b\n1,2\n3\n");
  CHECK_THAT(errorOf([] { Dataset::fromCsv(tempPath("ragged.csv")); }),
             Catch::Contains("ragged.csv:3: record 1 has 1 fields, the "
                             "first line 2"));
  writeFile(tempPath("empty.csv"), "a,b\n");
  CHECK_THAT(errorOf([] { Dataset::fromCsv(tempPath("empty.csv")); }),
             Catch::Contains("empty.csv: no records"));
}

TEST_CASE("dataset: .npy and .npz through the runtime's readers", "[data]") {
  float xs[6] = {1, 2, 3, 4, 5, 6};
  int32_t ys[3] = {0, 1, 2};
  spore_tensor t[2] = {};
  t[0].dtype = SPORE_F32, t[0].rank = 2, t[0].shape[0] = 3, t[0].shape[1] = 2,
  t[0].data = xs;
  t[1].dtype = SPORE_I32, t[1].rank = 1, t[1].shape[0] = 3, t[1].data = ys;
  const char *names[2] = {"x", "y"};
  REQUIRE(spore_npz_write(tempPath("set.npz").c_str(), 2, names, t) == 0);
  Dataset d = Dataset::fromNpz(tempPath("set.npz"));
  CHECK(d.size() == 3);
  CHECK(d.field("y").dtype == SPORE_I32);
  REQUIRE(spore_npy_write(tempPath("x.npy").c_str(), &t[0]) == 0);
  CHECK(Dataset::fromNpy(tempPath("x.npy"), "pixels").field("pixels").shape ==
        std::vector<int64_t>{3, 2});
  // Fields must agree on the records.
  t[1].shape[0] = 2;
  REQUIRE(spore_npz_write(tempPath("odd.npz").c_str(), 2, names, t) == 0);
  CHECK_THAT(errorOf([] { Dataset::fromNpz(tempPath("odd.npz")); }),
             Catch::Contains("odd.npz: field 'y' has 2 records, field 'x' 3"));
  CHECK_THAT(errorOf([&] { d.join(d); }),
             Catch::Contains("two fields are named 'x'"));
  // A field whose bytes do not match its shape would make the loader copy
  // past its end.
  Field shortField = counting("x", 4, 2);
  shortField.bytes.resize(12);
  CHECK_THAT(errorOf([&] { Dataset::fromFields({shortField}); }),
             Catch::Contains("field 'x' holds 12 bytes, not what its dtype "
                             "and shape describe"));
}

TEST_CASE("data C ABI: sources, loader, views and errors", "[data]") {
  float xs[10];
  for (int i = 0; i < 10; ++i)
    xs[i] = (float)i;
  spore_tensor t{};
  t.dtype = SPORE_F32, t.rank = 2, t.shape[0] = 5, t.shape[1] = 2, t.data = xs;
  const char *name = "x";
  spore_dataset *d = nullptr;
  REQUIRE(spore_dataset_from_tensors(1, &name, &t, &d) == 0);
  CHECK(spore_dataset_size(d) == 5);
  CHECK(spore_dataset_field_count(d) == 1);
  spore_loader *l = nullptr;
  REQUIRE(spore_loader_create(d, 2, SPORE_LOADER_DROP_REMAINDER, 0, &l) == 0);
  spore_dataset_destroy(d); // the loader keeps the data
  CHECK(spore_loader_batches(l) == 2);
  int64_t valid = -1;
  REQUIRE(spore_loader_next(l, &valid) == 0);
  CHECK(valid == 2);
  const char *field = nullptr;
  spore_tensor view{};
  REQUIRE(spore_loader_field(l, 0, &field, &view) == 0);
  CHECK(std::string(field) == "x");
  CHECK(view.shape[0] == 2);
  CHECK(static_cast<float *>(view.data)[2] == 2.0f);
  REQUIRE(spore_loader_next(l, &valid) == 0);
  REQUIRE(spore_loader_next(l, &valid) == 0);
  CHECK(valid == 0);
  CHECK(spore_loader_field(l, 1, &field, &view) == SPORE_ERROR_ARGUMENT);
  CHECK_THAT(spore_last_error(), Catch::Contains("field 1 is out of range"));
  spore_loader_destroy(l);

  spore_dataset *bad = reinterpret_cast<spore_dataset *>(0x1);
  CHECK(spore_dataset_from_idx(tempPath("missing.idx").c_str(), "x", &bad) ==
        SPORE_ERROR_IO);
  CHECK(bad == nullptr);
  CHECK_THAT(spore_last_error(), Catch::Contains("missing.idx: cannot open"));
  CHECK(spore_dataset_from_csv(nullptr, ',', 1, SPORE_F32, &bad) ==
        SPORE_ERROR_ARGUMENT);
}

TEST_CASE("dataset: Debian's Fashion-MNIST (dataset-fashion-mnist)", "[data]") {
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (FILE *f = std::fopen((dir + "t10k-labels-idx1-ubyte.gz").c_str(), "rb"))
    std::fclose(f);
  else {
    // scripts/setup installs it; without it this case has nothing to read.
    WARN("skipped: " << dir
                     << " is missing (apt-get install "
                        "dataset-fashion-mnist)");
    return;
  }
  Dataset test =
      Dataset::fromIdx(dir + "t10k-images-idx3-ubyte.gz", "x")
          .join(Dataset::fromIdx(dir + "t10k-labels-idx1-ubyte.gz", "y"));
  CHECK(test.size() == 10000);
  CHECK(test.field("x").shape == std::vector<int64_t>{10000, 28, 28});
  const Field &y = test.field("y");
  std::vector<int> perClass(10, 0);
  int outOfRange = 0;
  for (unsigned char label : y.bytes)
    label < 10 ? ++perClass[label] : ++outOfRange;
  CHECK(outOfRange == 0);
  // The test set holds 1000 images of each of the 10 classes.
  CHECK(perClass == std::vector<int>(10, 1000));
}

namespace {

/// Every batch of epoch `e`, field by field, as bytes.
std::vector<std::vector<unsigned char>> batches(Loader &loader, int64_t e) {
  std::vector<std::vector<unsigned char>> out;
  loader.startEpoch(e);
  while (loader.next())
    for (const Field &f : loader.batch().fields)
      out.push_back(f.bytes);
  return out;
}

/// A stand-in for a compiled export's packed entry point: y = 2 * x on a
/// batch of 4 records of 3 floats.
int doubleIt(void **args) {
  const float *x = static_cast<const float *>(args[0]);
  float *y = static_cast<float *>(args[1]);
  for (int i = 0; i < 12; ++i)
    y[i] = 2 * x[i];
  return 0;
}

int failIt(void **) {
  return spore_set_error(SPORE_ERROR_ASSERT, "model.py:3:5: check failed");
}

} // namespace

TEST_CASE("loader: transforms, the same with and without prefetch", "[data]") {
  // 10 images of 3x4 with labels 0..9.
  Field images;
  images.name = "x";
  images.dtype = SPORE_F32;
  images.shape = {10, 3, 4};
  images.bytes.resize(10 * 12 * 4);
  auto *p = reinterpret_cast<float *>(images.bytes.data());
  for (int i = 0; i < 120; ++i)
    p[i] = (float)i;
  Field labels;
  labels.name = "y";
  labels.dtype = SPORE_I32;
  labels.shape = {10};
  labels.bytes.resize(40);
  for (int i = 0; i < 10; ++i)
    reinterpret_cast<int32_t *>(labels.bytes.data())[i] = i;
  Dataset d = Dataset::fromFields({images, labels});

  LoaderOptions options;
  options.batchSize = 4;
  options.seed = 5;
  options.transforms = {spore::data::Transform::randomFlip("x", 1),
                        spore::data::Transform::randomCrop("x", 1),
                        spore::data::Transform::normalize("x", 1, 2),
                        spore::data::Transform::oneHot("y", 10)};
  Loader prefetched(d, options);
  options.prefetch = false;
  Loader direct(d, options);
  for (int64_t e : {0, 1, 2})
    CHECK(batches(prefetched, e) == batches(direct, e));
  CHECK(batches(prefetched, 1) != batches(prefetched, 2));

  // The last batch of an epoch: 2 records, one-hot rows and zero padding.
  direct.startEpoch(0);
  direct.next();
  direct.next();
  CHECK(direct.next() == 2);
  const Field &y = direct.batch().field("y");
  CHECK(y.dtype == SPORE_F32);
  CHECK(y.shape == std::vector<int64_t>{4, 10});
  const auto *hot = reinterpret_cast<const float *>(y.bytes.data());
  CHECK(std::count(hot, hot + 20, 1.0f) == 2);
  CHECK(std::count(hot + 20, hot + 40, 0.0f) == 20);

  // Without the random transforms, normalisation is exact.
  LoaderOptions plain;
  plain.batchSize = 10;
  plain.shuffle = false;
  plain.transforms = {spore::data::Transform::normalize("x", 1, 2)};
  Loader normalized(d, plain);
  normalized.next();
  const auto *x = reinterpret_cast<const float *>(
      normalized.batch().field("x").bytes.data());
  CHECK(x[0] == -0.5f);
  CHECK(x[119] == 59.0f);
}

TEST_CASE("loader: convert per batch equals converting the dataset", "[data]") {
  // u8 pixels (the fast path) and i32 labels (the general one), 5 records
  // in batches of 2: the last batch is padded with zeros.
  Field pixels;
  pixels.name = "x";
  pixels.dtype = SPORE_U8;
  pixels.shape = {5, 3};
  for (int i = 0; i < 15; ++i)
    pixels.bytes.push_back((unsigned char)(i * 17));
  Field labels;
  labels.name = "y";
  labels.dtype = SPORE_I32;
  labels.shape = {5};
  labels.bytes.resize(20);
  for (int i = 0; i < 5; ++i)
    reinterpret_cast<int32_t *>(labels.bytes.data())[i] = 7 - i;
  Dataset raw = Dataset::fromFields({pixels, labels});
  Dataset whole = raw.convert("x", SPORE_F32, 1.0 / 255, -0.5)
                      .convert("y", SPORE_F64, 2, 1);
  LoaderOptions options;
  options.batchSize = 2;
  options.shuffle = false;
  Loader converted(whole, options);
  options.transforms = {
      spore::data::Transform::convert("x", SPORE_F32, 1.0 / 255, -0.5),
      spore::data::Transform::convert("y", SPORE_F64, 2, 1)};
  Loader perBatch(raw, options);
  for (int b = 0; b < 3; ++b) {
    int64_t valid = converted.next();
    REQUIRE(perBatch.next() == valid);
    for (const char *name : {"x", "y"}) {
      const Field &want = converted.batch().field(name);
      const Field &got = perBatch.batch().field(name);
      CHECK(got.dtype == want.dtype);
      CHECK(got.shape == want.shape);
      size_t n = valid * want.recordBytes();
      CHECK(std::equal(got.bytes.begin(), got.bytes.begin() + n,
                       want.bytes.begin()));
      CHECK(std::all_of(got.bytes.begin() + n, got.bytes.end(),
                        [](unsigned char c) { return c == 0; }));
    }
  }
  CHECK_THROWS_AS(spore::data::Transform::convert("x", (spore_dtype)99),
                  spore::data::Error);
}

TEST_CASE("loader: random flips and crops move whole pixels", "[data]") {
  // One 2x3 image per record, every record the same: [[0 1 2] [3 4 5]].
  Field f;
  f.name = "x";
  f.dtype = SPORE_F32;
  f.shape = {400, 2, 3};
  f.bytes.resize(400 * 6 * 4);
  for (int r = 0; r < 400; ++r)
    for (int i = 0; i < 6; ++i)
      reinterpret_cast<float *>(f.bytes.data())[r * 6 + i] = (float)i;
  LoaderOptions options;
  options.batchSize = 400;
  options.transforms = {spore::data::Transform::randomFlip("x", 1)};
  Loader flips(Dataset::fromFields({f}), options);
  flips.next();
  const auto *out =
      reinterpret_cast<const float *>(flips.batch().field("x").bytes.data());
  int flipped = 0;
  for (int r = 0; r < 400; ++r) {
    std::vector<float> row(out + r * 6, out + r * 6 + 6);
    bool same = row == std::vector<float>{0, 1, 2, 3, 4, 5};
    bool mirrored = row == std::vector<float>{2, 1, 0, 5, 4, 3};
    CHECK((same || mirrored));
    flipped += mirrored;
  }
  CHECK(flipped > 150); // about half of 400
  CHECK(flipped < 250);

  options.transforms = {spore::data::Transform::randomCrop("x", 1)};
  Loader crops(Dataset::fromFields({f}), options);
  crops.next();
  out = reinterpret_cast<const float *>(crops.batch().field("x").bytes.data());
  std::set<std::vector<float>> seen;
  for (int r = 0; r < 400; ++r)
    seen.insert(std::vector<float>(out + r * 6, out + r * 6 + 6));
  // Offsets in {-1, 0, 1}^2: 9 distinct windows, the centre one the image.
  CHECK(seen.size() == 9);
  CHECK(seen.count({0, 1, 2, 3, 4, 5}) == 1);
  CHECK(seen.count({4, 5, 0, 0, 0, 0}) == 1); // shifted by (1, 1)
}

TEST_CASE("loader: a compiled export as a transform, and errors", "[data]") {
  Dataset d = Dataset::fromFields({counting("x", 8, 3)});
  LoaderOptions options;
  options.batchSize = 4;
  options.shuffle = false;
  options.transforms = {spore::data::Transform::exported(
      doubleIt, {"x"}, {{"twice", SPORE_F32, {3}}})};
  Loader loader(d, options);
  REQUIRE(loader.next() == 4);
  const Field &twice = loader.batch().field("twice");
  CHECK(twice.shape == std::vector<int64_t>{4, 3});
  CHECK(firstColumn(twice, 4) == std::vector<float>{0, 2, 4, 6});
  REQUIRE(loader.next() == 4);
  CHECK(firstColumn(loader.batch().field("twice"), 4) ==
        std::vector<float>{8, 10, 12, 14});

  // A failing transform fails next(), also when it ran ahead.
  options.transforms = {spore::data::Transform::exported(failIt, {"x"}, {})};
  Loader failing(d, options);
  int status = 0;
  CHECK_THAT(errorOf([&] { failing.next(); }, &status),
             Catch::Contains("the exported transform failed: model.py:3:5: "
                             "check failed"));
  CHECK(status == SPORE_ERROR_ASSERT);

  Field labels;
  labels.name = "y";
  labels.dtype = SPORE_I32;
  labels.shape = {8};
  labels.bytes.assign(32, 0);
  reinterpret_cast<int32_t *>(labels.bytes.data())[6] = 12;
  options.transforms = {spore::data::Transform::oneHot("y", 10)};
  Loader bad(Dataset::fromFields({labels}), options);
  REQUIRE(bad.next() == 4);
  CHECK_THAT(errorOf([&] { bad.next(); }, &status),
             Catch::Contains("one_hot: field 'y', record 6 of the epoch: "
                             "label 12.000000 is not in [0, 10)"));
  CHECK(status == SPORE_ERROR_VALUE);
}

TEST_CASE("data C ABI: transforms", "[data]") {
  float xs[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  spore_tensor t{};
  t.dtype = SPORE_F32, t.rank = 2, t.shape[0] = 4, t.shape[1] = 2, t.data = xs;
  const char *name = "x";
  spore_dataset *d = nullptr;
  REQUIRE(spore_dataset_from_tensors(1, &name, &t, &d) == 0);
  spore_loader *l = nullptr;
  REQUIRE(spore_loader_create(d, 4, 0, 0, &l) == 0);
  spore_dataset_destroy(d);
  REQUIRE(spore_loader_normalize(l, "x", 1, 0.5) == 0);
  CHECK(spore_loader_normalize(l, "x", 1, 0) == SPORE_ERROR_ARGUMENT);
  CHECK_THAT(spore_last_error(), Catch::Contains("deviation must not be 0"));
  CHECK(spore_loader_one_hot(l, "x", 0) == SPORE_ERROR_ARGUMENT);
  int64_t valid = 0;
  REQUIRE(spore_loader_next(l, &valid) == 0);
  spore_tensor view{};
  REQUIRE(spore_loader_field(l, 0, nullptr, &view) == 0);
  CHECK(static_cast<float *>(view.data)[3] == 4.0f);
  spore_loader_destroy(l);
}
