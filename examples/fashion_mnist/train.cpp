// Trains the Fashion-MNIST MLP (fashion.py) from C++ with the runtime's
// Trainer: the data pipeline reads Debian's IDX files, shuffles and
// batches them, the compiled train_step updates the model's state
// (Parameters and AdamW's moments) in place, and eval_step counts the
// correct test predictions after each epoch. The run folder gets
// run.json, metrics.csv and a checkpoint per epoch; the last one is then
// reloaded into a fresh state, which must score the same. Ends with
// `test accuracy 0.xxxx`.
//
//   fashion_mnist_demo [DATA_DIR] [EPOCHS] [RUN_DIR]
#include "fashion.h"

#include "spore/data.hpp"
#include "spore/train.hpp"

#include <cstdio>
#include <string>

namespace data = spore::data;
namespace train = spore::train;

namespace {

data::Dataset load(const std::string &dir, const std::string &split) {
  // The images stay bytes until a batch is made: a quarter of the memory
  // traffic of f32 (the loader converts them, below).
  return data::Dataset::fromIdx(dir + "/" + split + "-images-idx3-ubyte.gz",
                                "x")
      .join(data::Dataset::fromIdx(dir + "/" + split + "-labels-idx1-ubyte.gz",
                                   "y"));
}

data::LoaderOptions loaderOptions(bool training) {
  data::LoaderOptions o;
  o.batchSize = FASHION_TRAIN_STEP_X_DIM0;
  o.shuffle = training;
  o.dropRemainder = training; // train_step takes full batches; the
                              // evaluation's last one is padded
  o.seed = 1;
  o.transforms = {data::Transform::convert("x", SPORE_F32, 1.0 / 255),
                  data::Transform::convert("y", SPORE_I32)};
  return o;
}

void check(int rc, const char *what) {
  if (rc != 0)
    throw data::Error(rc, std::string(what) + ": " + spore_last_error());
}

/// A fashion_state, destroyed with its scope.
struct State {
  fashion_state *s = nullptr;
  State() { check(fashion_state_create(&s, nullptr), "state_create"); }
  ~State() { fashion_state_destroy(s); }
  // The generated state is the runtime's state object.
  spore_state *get() const { return reinterpret_cast<spore_state *>(s); }
};

} // namespace

int main(int argc, char **argv) {
  std::string dir = argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  int epochs = argc > 2 ? std::stoi(argv[2]) : 10;
  std::string runDir = argc > 3 ? argv[3] : "runs/fashion-mlp";
  try {
    data::Loader trainData(load(dir, "train"), loaderOptions(true));
    data::Loader testData(load(dir, "t10k"), loaderOptions(false));
    train::Model model(fashion_model());
    State state;
    check(fashion_state_init(state.s, 42), "state_init");
    std::printf("Fashion-MNIST: %lld training and %lld test images, MLP "
                "784-256-10, AdamW, batch %d\n",
                (long long)trainData.dataset().size(),
                (long long)testData.dataset().size(),
                FASHION_TRAIN_STEP_X_DIM0);
    train::Options options;
    options.epochs = epochs;
    options.metrics = {"accuracy"}; // eval_step's result, per record
    options.runDir = runDir;
    options.runInfo = {{"seed", "42"}};
    train::Trainer trainer(model, state.get(), trainData, &testData, options);
    train::Summary summary = trainer.fit();
    std::printf("%lld steps, %.0f samples/s; checkpoint %s\n",
                (long long)summary.steps, summary.samplesPerSecond,
                summary.checkpoint.c_str());

    // A fresh state loaded from the checkpoint scores what training did.
    State reloaded;
    check(fashion_state_load(reloaded.s, summary.checkpoint.c_str()),
          "state_load");
    train::Options evalOnly;
    evalOnly.progress = train::Progress::None;
    evalOnly.metrics = options.metrics;
    train::Trainer evaluator(model, reloaded.get(), trainData, &testData,
                             evalOnly);
    double accuracy = evaluator.evaluate()[0].second;
    if (accuracy != summary.metrics[0].second) {
      std::fprintf(stderr,
                   "fashion_mnist_demo: the reloaded checkpoint scores %.4f, "
                   "training %.4f\n",
                   accuracy, summary.metrics[0].second);
      return 1;
    }
    std::printf("test accuracy %.4f\n", accuracy);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "fashion_mnist_demo: %s\n", e.what());
    return 1;
  }
  return 0;
}
