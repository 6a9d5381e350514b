// Trains the Fashion-MNIST MLP (fashion.py) from C++: the runtime's data
// pipeline reads Debian's IDX files, shuffles and batches them, and the
// compiled train_step updates the model's state (Parameters and AdamW's
// moments) in place. Prints one line per epoch and ends with
// `test accuracy 0.xxxx`; saves the trained state.
//
//   fashion_mnist_demo [DATA_DIR] [EPOCHS] [STATE_OUT.npz]
#include "fashion.h"

#include "spore/data.hpp"

#include <chrono>
#include <cstdio>
#include <string>

namespace data = spore::data;

namespace {

data::Dataset load(const std::string &dir, const std::string &split) {
  return data::Dataset::fromIdx(dir + "/" + split + "-images-idx3-ubyte.gz",
                                "x")
      .join(data::Dataset::fromIdx(dir + "/" + split + "-labels-idx1-ubyte.gz",
                                   "y"))
      .convert("x", SPORE_F32, 1.0 / 255, 0)
      .convert("y", SPORE_I32, 1, 0);
}

void check(int rc, const char *what) {
  if (rc != 0)
    throw data::Error(rc, std::string(what) + ": " + spore_last_error());
}

/// The fraction of `loader`'s records that the model classifies right.
double accuracy(fashion_state *state, data::Loader &loader) {
  int64_t correct = 0, total = 0;
  loader.startEpoch(0);
  for (int64_t valid; (valid = loader.next()) > 0;) {
    const data::Batch &b = loader.batch();
    int32_t n = (int32_t)valid;
    int64_t hits = 0;
    check(fashion_eval_step(state, (const float *)b.field("x").bytes.data(),
                            (const int32_t *)b.field("y").bytes.data(), &n,
                            &hits),
          "eval_step");
    correct += hits;
    total += valid;
  }
  return total ? (double)correct / total : 0.0;
}

} // namespace

int main(int argc, char **argv) {
  std::string dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  int epochs = argc > 2 ? std::stoi(argv[2]) : 10;
  std::string out = argc > 3 ? argv[3] : "";
  try {
    data::LoaderOptions trainOptions;
    trainOptions.batchSize = 128;
    trainOptions.dropRemainder = true; // train_step takes full batches
    trainOptions.seed = 1;
    data::Loader train(load(dir, "train"), trainOptions);
    data::LoaderOptions testOptions;
    testOptions.batchSize = 128;
    testOptions.shuffle = false; // the last batch is padded
    data::Loader test(load(dir, "t10k"), testOptions);

    fashion_state *state = nullptr;
    check(fashion_state_create(&state, nullptr), "state_create");
    check(fashion_state_init(state, 42), "state_init");
    std::printf("Fashion-MNIST: %lld training and %lld test images, MLP "
                "784-256-10, AdamW, batch 128\n",
                (long long)train.dataset().size(),
                (long long)test.dataset().size());
    for (int epoch = 0; epoch < epochs; ++epoch) {
      auto start = std::chrono::steady_clock::now();
      double lossSum = 0;
      int64_t steps = 0;
      train.startEpoch(epoch);
      while (train.next() > 0) {
        const data::Batch &b = train.batch();
        float loss = 0;
        check(fashion_train_step(
                  state, (const float *)b.field("x").bytes.data(),
                  (const int32_t *)b.field("y").bytes.data(), &loss),
              "train_step");
        lossSum += loss;
        ++steps;
      }
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      std::printf("epoch %2d  loss %.4f  %.0f samples/s  test accuracy "
                  "%.4f\n",
                  epoch + 1, lossSum / steps, steps * 128 / seconds,
                  accuracy(state, test));
      std::fflush(stdout);
    }
    if (!out.empty()) {
      check(fashion_state_save(state, out.c_str()), "state_save");
      std::printf("saved the trained state to %s\n", out.c_str());
    }
    std::printf("test accuracy %.4f\n", accuracy(state, test));
    fashion_state_destroy(state);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "fashion_mnist_demo: %s\n", e.what());
    return 1;
  }
  return 0;
}
