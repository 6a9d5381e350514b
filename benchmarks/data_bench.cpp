// The data pipeline's benchmark driver (data_bench.py builds the model and
// runs it): epochs of a compiled training step over Fashion-MNIST fed by
// the runtime's loader, against the same steps on batches gathered into
// memory beforehand, all from C++ so that nothing but the pipeline
// differs.
//
//   spore-data-bench LIBSTEP.so DATA_DIR [ROUNDS]
//
// The library is a model `step` whose export `step(x: f32[128, 28, 28],
// y: i32[128]) -> f32` updates its state. Each round times, in turn, an
// epoch on preloaded batches, one through each pipeline, and one through
// the Trainer; the rounds interleave so that a slow spell of the machine
// hits every variant alike.
#include "spore/data.hpp"
#include "spore/train.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <dlfcn.h>
#include <map>
#include <string>
#include <vector>

namespace data = spore::data;
namespace train = spore::train;
using Clock = std::chrono::steady_clock;

namespace {

void check(int rc) {
  if (rc)
    throw data::Error(rc, spore_last_error());
}

double seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: spore-data-bench LIBSTEP.so DATA_DIR [ROUNDS]\n");
    return 2;
  }
  std::string dir = argv[2];
  int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
  try {
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib)
      throw data::Error(SPORE_ERROR_IO, dlerror());
    auto describe = (const spore_model *(*)())dlsym(lib, "step_model");
    if (!describe)
      throw data::Error(SPORE_ERROR_ARGUMENT, "no step_model in the library");
    train::Model model(describe());
    const train::Export &step = model.get("step");
    spore_state *state = nullptr;
    check(spore_state_create(&state, model.stateDescriptor().c_str(), nullptr));
    check(spore_state_init(state, 1));

    data::Dataset u8 =
        data::Dataset::fromIdx(dir + "/train-images-idx3-ubyte.gz", "x")
            .join(data::Dataset::fromIdx(dir + "/train-labels-idx1-ubyte.gz",
                                         "y"))
            .convert("y", SPORE_I32);
    data::Dataset f32 = u8.convert("x", SPORE_F32, 1.0 / 255);
    auto options = [](bool prefetch, bool convert) {
      data::LoaderOptions o;
      o.batchSize = 128;
      o.dropRemainder = true;
      o.seed = 1;
      o.prefetch = prefetch;
      if (convert)
        o.transforms = {data::Transform::convert("x", SPORE_F32, 1.0 / 255)};
      return o;
    };
    data::Loader f32Loader(f32, options(true, false));
    data::Loader u8Loader(u8, options(true, true));
    data::Loader noPrefetch(f32, options(false, false));
    data::Loader trainerLoader(u8, options(true, true));

    // Preloaded: epoch 0's batches, gathered once.
    std::vector<data::Batch> batches;
    {
      data::Loader pre(f32, options(false, false));
      pre.startEpoch(0);
      while (pre.next() > 0)
        batches.push_back(pre.batch());
    }
    float loss = 0;
    auto call = [&](const void *x, const void *y) {
      void *args[] = {state, const_cast<void *>(x), const_cast<void *>(y),
                      &loss};
      check(step.entry(args));
    };
    auto preloaded = [&] {
      auto start = Clock::now();
      for (const data::Batch &b : batches)
        call(b.fields[0].bytes.data(), b.fields[1].bytes.data());
      return seconds(start);
    };
    auto epoch = [&](data::Loader &l, int e) {
      auto start = Clock::now();
      l.startEpoch(e);
      while (l.next() > 0)
        call(l.batch().field("x").bytes.data(),
             l.batch().field("y").bytes.data());
      return seconds(start);
    };
    train::Options trainerOptions;
    trainerOptions.progress = train::Progress::None;
    trainerOptions.trainExport = "step";
    trainerOptions.logEvery = 0;
    trainerOptions.epochs = 1;
    auto trainer = [&](int) {
      train::Trainer t(model, state, trainerLoader, nullptr, trainerOptions);
      auto start = Clock::now();
      t.fit();
      return seconds(start);
    };

    preloaded(); // warm up: page in the buffers, fill the caches
    std::vector<std::string> names = {
        "preloaded", "pipeline, f32 dataset", "pipeline, u8 + convert",
        "Trainer, u8 + convert", "f32, no prefetch"};
    std::map<std::string, std::vector<double>> times;
    for (int r = 0; r < rounds; ++r) {
      times[names[0]].push_back(preloaded());
      times[names[1]].push_back(epoch(f32Loader, r));
      times[names[2]].push_back(epoch(u8Loader, r));
      times[names[3]].push_back(trainer(r));
      times[names[4]].push_back(epoch(noPrefetch, r));
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    double baseMin =
        *std::min_element(times[names[0]].begin(), times[names[0]].end());
    double baseMedian = median(times[names[0]]);
    std::printf("Fashion-MNIST, %zu steps of batch 128 per epoch, %d rounds "
                "(C++ driver)\n",
                batches.size(), rounds);
    // The ratio to the preloaded epoch of the same round (the two ran
    // within a second of each other), then its median over the rounds:
    // the estimate least moved by the machine's slow and fast spells.
    std::printf("%-24s %10s %10s %8s %8s %8s\n", "", "best ms", "median ms",
                "best", "median", "paired");
    for (const std::string &n : names) {
      const auto &t = times[n];
      double best = *std::min_element(t.begin(), t.end());
      std::vector<double> paired;
      for (int r = 0; r < rounds; ++r)
        paired.push_back(t[r] / times[names[0]][r]);
      std::printf("%-24s %10.1f %10.1f %7.3fx %7.3fx %7.3fx\n", n.c_str(),
                  1e3 * best, 1e3 * median(t), best / baseMin,
                  median(t) / baseMedian, median(paired));
    }
    spore_state_destroy(state);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "spore-data-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
