// Unit tests of the training loop (spore/train.hpp, spore/train.h) on a
// model written by hand: its exports are C++ functions with the packed
// calling convention of compiled ones, over a state of two Parameters.
#include "spore/train.h"
#include "spore/train.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using spore::data::Dataset;
using spore::data::Field;
using spore::data::Loader;
using spore::data::LoaderOptions;
namespace train = spore::train;

namespace {

constexpr const char *kState = "w f32 [2] const 0\n"
                               "count i64 [] const 0\n";

float *weights(spore_state *s) {
  return (float *)spore_state_buffers(s, kState)[0];
}

/// train_step(x: f32[4, 2], y: f32[4]) -> (f32[], f32[]): w moves towards
/// the batch's mean of x * y (an update that depends on the data's
/// order); returns the loss |w|^2 + mean(y) and the step count.
int trainStep(void **args) {
  auto *s = (spore_state *)args[0];
  void **buffers = spore_state_buffers(s, kState);
  auto *w = (float *)buffers[0];
  auto *count = (int64_t *)buffers[1];
  const auto *x = (const float *)args[1];
  const auto *y = (const float *)args[2];
  float mean = 0;
  for (int r = 0; r < 4; ++r) {
    for (int j = 0; j < 2; ++j)
      w[j] = 0.9f * w[j] + 0.1f * x[r * 2 + j] * y[r];
    mean += y[r] / 4;
  }
  ++*count;
  *(float *)args[3] = w[0] * w[0] + w[1] * w[1] + mean;
  *(float *)args[4] = (float)*count;
  return 0;
}

/// eval_step(x: f32[4, 2], y: f32[4], valid: i32[]) -> i64[]: the
/// records among the valid ones whose y is positive.
int evalStep(void **args) {
  const auto *y = (const float *)args[2];
  int32_t valid = *(const int32_t *)args[3];
  int64_t hits = 0;
  for (int r = 0; r < valid; ++r)
    hits += y[r] > 0;
  *(int64_t *)args[4] = hits;
  return 0;
}

/// A step that fails at its third call.
int failingStep(void **args) {
  static int calls = 0;
  if (++calls % 3 == 0)
    return spore_set_error(SPORE_ERROR_ASSERT, "m.py:3:5: assert failed");
  return trainStep(args);
}

int (*const kEntries[])(void **) = {trainStep, evalStep, failingStep};

const spore_model kModel = {
    "toy", kState,
    "train_step x:f32[4,2] y:f32[4] -> f32[] f32[]\n"
    "eval_step x:f32[4,2] y:f32[4] valid:i32[] -> i64[]\n"
    "failing_step x:f32[4,2] y:f32[4] -> f32[] f32[]\n",
    kEntries, 3};

/// 22 records: x = (i, -i) / 10, y = +1 for even i and -1 for odd ones.
Dataset toyData(int n = 22) {
  Field x{"x", SPORE_F32, {n, 2}, {}}, y{"y", SPORE_F32, {n}, {}};
  std::vector<float> xs, ys;
  for (int i = 0; i < n; ++i) {
    xs.push_back(i / 10.0f);
    xs.push_back(-i / 10.0f);
    ys.push_back(i % 2 ? -1.0f : 1.0f);
  }
  x.bytes.assign((unsigned char *)xs.data(),
                 (unsigned char *)(xs.data() + xs.size()));
  y.bytes.assign((unsigned char *)ys.data(),
                 (unsigned char *)(ys.data() + ys.size()));
  return Dataset::fromFields({x, y});
}

LoaderOptions trainOptions() {
  LoaderOptions o;
  o.batchSize = 4;
  o.dropRemainder = true; // 5 batches per epoch
  o.seed = 7;
  return o;
}

LoaderOptions evalOptions() {
  LoaderOptions o;
  o.batchSize = 4;
  o.shuffle = false; // the last batch is padded
  return o;
}

struct State {
  spore_state *s = nullptr;
  State() {
    REQUIRE(spore_state_create(&s, kState, nullptr) == 0);
    REQUIRE(spore_state_init(s, 1) == 0);
  }
  ~State() { spore_state_destroy(s); }
};

std::string runDir(const std::string &name) {
  std::string dir = "/tmp/spore_unit_train_" + name;
  fs::remove_all(dir);
  return dir;
}

std::string readText(const fs::path &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The toy model, a fresh state and loaders of the toy data.
struct Toy {
  train::Model model{&kModel};
  State state;
  Loader data{toyData(), trainOptions()}, eval{toyData(), evalOptions()};
};

train::Options quiet() {
  train::Options o;
  o.progress = train::Progress::None;
  o.trainOutputs = {"loss", "count"};
  o.metrics = {"positive"};
  return o;
}

} // namespace

TEST_CASE("a model's description is parsed", "[train]") {
  train::Model model(&kModel);
  CHECK(model.name() == "toy");
  REQUIRE(model.exports().size() == 3);
  const train::Export &e = model.get("eval_step");
  CHECK(e.signature() ==
        "eval_step(x: f32[4, 2], y: f32[4], valid: i32[]) -> (i64[])");
  CHECK(e.entry == evalStep);
  CHECK_THROWS_WITH(model.get("predict"),
                    Catch::Contains("exports no function named 'predict'") &&
                        Catch::Contains("train_step, eval_step"));
  spore_model bad = kModel;
  bad.exports = "train_step x:f32[4,2 -> f32[]\n";
  CHECK_THROWS_WITH(train::Model(&bad),
                    Catch::Contains("malformed exports descriptor"));
  bad.exports = kModel.exports;
  bad.num_entries = 1;
  CHECK_THROWS_WITH(train::Model(&bad),
                    Catch::Contains("more exports than entry points"));
}

TEST_CASE_METHOD(Toy, "the trainer trains, evaluates and writes its run",
                 "[train]") {
  train::Options o = quiet();
  o.epochs = 3;
  o.logEvery = 2;
  o.runDir = runDir("fit");
  train::Trainer trainer(model, state.s, data, &eval, o);
  int steps = 0, epochs = 0, evaluations = 0, checkpoints = 0;
  trainer.addCallback([&](const train::Event &e) {
    steps += e.kind == train::Event::Step;
    epochs += e.kind == train::Event::Epoch;
    evaluations += e.kind == train::Event::Evaluation;
    checkpoints += e.kind == train::Event::Checkpoint;
    if (e.kind == train::Event::Step) {
      REQUIRE(e.values->size() == 2);
      CHECK((*e.values)[1].first == "count");
      CHECK((*e.values)[1].second == e.step); // the state's step counter
    }
    return true;
  });
  train::Summary s = trainer.fit();
  CHECK(s.steps == 15);
  CHECK(s.epochs == 3);
  CHECK(steps == 15);
  CHECK(epochs == 3);
  CHECK(evaluations == 3);
  CHECK(checkpoints == 3);
  // 11 of the 22 records have y > 0, the padded last batch included once.
  REQUIRE(s.metrics.size() == 1);
  CHECK(s.metrics[0].first == "positive");
  CHECK(s.metrics[0].second == 0.5);
  fs::path dir = o.runDir;
  CHECK(fs::exists(dir / "checkpoints/step-00000015.npz"));
  CHECK(fs::exists(dir / "checkpoints/step-00000010.json"));
  CHECK(train::latestCheckpoint(o.runDir) ==
        (dir / "checkpoints/step-00000015.npz").string());
  std::string run = readText(dir / "run.json");
  CHECK_THAT(run, Catch::Contains("\"status\": \"finished\""));
  CHECK_THAT(run, Catch::Contains("\"model\": \"toy\""));
  CHECK_THAT(run, Catch::Contains("\"positive\": 0.5"));
  CHECK_THAT(run, Catch::Contains("\"batch_size\": 4"));
  // A row every 2 steps (7) and after each evaluation (3).
  std::string csv = readText(dir / "metrics.csv");
  std::stringstream rows(csv);
  std::string header, line;
  std::getline(rows, header);
  CHECK(header == "step,epoch,loss,count,samples_per_s,positive");
  int trainRows = 0, evalRows = 0;
  while (std::getline(rows, line)) {
    bool isEval = line.back() != ',';
    evalRows += isEval;
    trainRows += !isEval;
  }
  CHECK(trainRows == 7);
  CHECK(evalRows == 3);
  // The mean of steps 3 and 4 of the counter.
  CHECK_THAT(csv, Catch::Contains("\n4,1,"));
  CHECK_THAT(csv, Catch::Contains(",3.5,"));
}

TEST_CASE("a resumed run ends as the uninterrupted one, bit for bit",
          "[train]") {
  std::vector<float> whole(2);
  {
    Toy t;
    train::Options o = quiet();
    o.epochs = 3;
    o.runDir = runDir("whole");
    train::Trainer trainer(t.model, t.state.s, t.data, &t.eval, o);
    trainer.fit();
    std::memcpy(whole.data(), weights(t.state.s), sizeof(float) * 2);
  }
  // Stopped mid-epoch at step 7 by a callback, then resumed from the
  // checkpoint of step 6 by a new trainer on a new state.
  std::string dir = runDir("split");
  {
    Toy t;
    train::Options o = quiet();
    o.epochs = 3;
    o.checkpointEvery = 3;
    o.runDir = dir;
    train::Trainer trainer(t.model, t.state.s, t.data, &t.eval, o);
    trainer.addCallback([](const train::Event &e) {
      return !(e.kind == train::Event::Step && e.step == 7);
    });
    train::Summary s = trainer.fit();
    CHECK(s.steps == 7);
  }
  // The stop wrote a checkpoint at step 7; resume from step 6's.
  fs::remove(dir + "/checkpoints/step-00000007.npz");
  fs::remove(dir + "/checkpoints/step-00000007.json");
  Toy t;
  train::Options o = quiet();
  o.epochs = 3;
  o.checkpointEvery = 3;
  o.runDir = dir;
  train::Trainer trainer(t.model, t.state.s, t.data, &t.eval, o);
  CHECK(trainer.resume(dir) == dir + "/checkpoints/step-00000006.npz");
  train::Summary s = trainer.fit();
  CHECK(s.steps == 15);
  CHECK(std::memcmp(whole.data(), weights(t.state.s), sizeof(float) * 2) == 0);
  // metrics.csv kept the rows up to step 6 and no later one twice.
  std::string csv = readText(fs::path(dir) / "metrics.csv");
  CHECK(csv.find("\n7,") == csv.rfind("\n7,"));
  CHECK_THAT(readText(fs::path(dir) / "run.json"),
             Catch::Contains("\"resumed_from\""));
}

TEST_CASE_METHOD(Toy, "early stopping ends a run whose metric stops improving",
                 "[train]") {
  train::Options o = quiet();
  o.epochs = 20;
  o.earlyStopping.metric = "positive"; // constant: never improves
  o.earlyStopping.patience = 2;
  train::Trainer trainer(model, state.s, data, &eval, o);
  train::Summary s = trainer.fit();
  CHECK(s.stoppedEarly);
  CHECK(s.epochs == 3); // the first evaluation sets the best, 2 more fail
  o.earlyStopping.metric = "accuracy";
  CHECK_THROWS_WITH(train::Trainer(model, state.s, data, &eval, o),
                    Catch::Contains("'accuracy', which is not a metric"));
}

TEST_CASE("the trainer says what does not fit", "[train]") {
  train::Model model(&kModel);
  State state;
  train::Options o = quiet();
  SECTION("a missing field") {
    Loader data(Dataset::fromFields({toyData().field("x")}), trainOptions());
    train::Trainer trainer(model, state.s, data, nullptr, o);
    CHECK_THROWS_WITH(trainer.fit(),
                      Catch::Contains("no field 'y' for its parameter") &&
                          Catch::Contains("fields: x"));
  }
  SECTION("a field of another dtype") {
    Loader data(toyData().convert("y", SPORE_I32), trainOptions());
    train::Trainer trainer(model, state.s, data, nullptr, o);
    CHECK_THROWS_WITH(trainer.fit(),
                      Catch::Contains("parameter 'y' is f32[4]") &&
                          Catch::Contains("are i32[4]"));
  }
  SECTION("a failing step leaves the state as it was and says where") {
    Loader data(toyData(), trainOptions());
    o.trainExport = "failing_step";
    train::Trainer trainer(model, state.s, data, nullptr, o);
    CHECK_THROWS_WITH(trainer.fit(),
                      Catch::Contains("'failing_step' failed at step 2") &&
                          Catch::Contains("assert failed"));
  }
  SECTION("names for the results") {
    Loader data(toyData(), trainOptions());
    o.trainOutputs = {"loss"};
    CHECK_THROWS_WITH(train::Trainer(model, state.s, data, nullptr, o),
                      Catch::Contains("has 2 results but 1 names"));
  }
  SECTION("no state") {
    Loader data(toyData(), trainOptions());
    CHECK_THROWS_WITH(train::Trainer(model, nullptr, data, nullptr, o),
                      Catch::Contains("has state"));
  }
}

TEST_CASE_METHOD(Toy, "the trainer's progress: plain lines", "[train]") {
  train::Options o = quiet();
  o.epochs = 2;
  o.progress = train::Progress::Lines;
  char *text = nullptr;
  size_t size = 0;
  o.out = open_memstream(&text, &size);
  {
    train::Trainer trainer(model, state.s, data, &eval, o);
    trainer.fit();
  }
  std::fclose(o.out);
  std::string out(text, size);
  std::free(text);
  CHECK_THAT(out, Catch::Contains("epoch 1/2  step 5  loss "));
  CHECK_THAT(out, Catch::Contains(" s  positive 0.5000\n"));
  CHECK_THAT(out, Catch::Contains("epoch 2/2  step 10  loss "));
  CHECK(out.find("eval") == std::string::npos); // on the epochs' lines
  CHECK(out.find('\r') == std::string::npos);
}

namespace {
int (*const kSilentEntries[])(void **) = {trainStep};
/// A model whose training export returns nothing.
const spore_model kSilent = {
    "silent", kState, "silent x:f32[4,2] y:f32[4] ->\n", kSilentEntries, 1};
} // namespace

TEST_CASE_METHOD(Toy, "the trainer refuses bad options and checkpoints",
                 "[train]") {
  train::Options o = quiet();
  SECTION("no length") {
    o.epochs = 0;
    CHECK_THROWS_WITH(train::Trainer(model, state.s, data, &eval, o),
                      Catch::Contains("give a number of epochs or of steps"));
  }
  SECTION("a negative interval") {
    o.logEvery = -1;
    CHECK_THROWS_WITH(train::Trainer(model, state.s, data, &eval, o),
                      Catch::Contains("the intervals are >= 0"));
  }
  SECTION("no patience") {
    o.earlyStopping.metric = "positive";
    o.earlyStopping.patience = 0;
    CHECK_THROWS_WITH(train::Trainer(model, state.s, data, &eval, o),
                      Catch::Contains("patience is at least 1"));
  }
  SECTION("evaluating without evaluation data") {
    train::Trainer trainer(model, state.s, data, nullptr, o);
    CHECK_THROWS_WITH(trainer.evaluate(),
                      Catch::Contains("has no evaluation data"));
  }
  SECTION("a training export without a loss") {
    train::Model silent(&kSilent);
    o.trainExport = "silent";
    o.trainOutputs.clear();
    CHECK_THROWS_WITH(train::Trainer(silent, state.s, data, nullptr, o),
                      Catch::Contains("returns nothing: a training export "
                                      "returns its loss first"));
  }
  SECTION("checkpoints that do not fit") {
    o.runDir = runDir("bad-checkpoints");
    o.epochs = 1;
    std::string npz;
    {
      train::Trainer trainer(model, state.s, data, &eval, o);
      npz = trainer.fit().checkpoint;
    }
    std::string json = fs::path(npz).replace_extension(".json").string();
    // Another run's metrics.csv (other columns) is not appended to.
    {
      std::ofstream(o.runDir + "/metrics.csv") << "step,epoch,other\n";
      train::Trainer trainer(model, state.s, data, &eval, o);
      trainer.resume(npz);
      CHECK_THROWS_WITH(trainer.fit(), Catch::Contains("has other columns"));
    }
    // A position beyond the data.
    {
      std::ofstream(json) << "{\"step\": 5, \"epoch\": 0, \"batch\": 99}";
      train::Trainer trainer(model, state.s, data, &eval, o);
      CHECK_THROWS_WITH(trainer.resume(npz),
                        Catch::Contains("a position outside the training"));
    }
    // A member missing.
    {
      std::ofstream(json) << "{\"step\": 5, \"epoch\": 0}";
      train::Trainer trainer(model, state.s, data, &eval, o);
      CHECK_THROWS_WITH(trainer.resume(npz),
                        Catch::Contains("has no member 'batch'"));
    }
  }
}

namespace {
int countSteps(const spore_train_event *e, void *user) {
  if (e->kind == SPORE_EVENT_STEP)
    ++*(int *)user;
  return e->kind == SPORE_EVENT_STEP && e->step == 4; // stop after 4
}
} // namespace

TEST_CASE("the trainer's C twin", "[train]") {
  State state;
  spore_dataset *d = nullptr;
  std::vector<float> x(16), y(8, 1.0f);
  spore_tensor tx{SPORE_F32, 2, {8, 2}, x.data()};
  spore_tensor ty{SPORE_F32, 1, {8}, y.data()};
  const char *names[] = {"x", "y"};
  spore_tensor tensors[] = {tx, ty};
  REQUIRE(spore_dataset_from_tensors(2, names, tensors, &d) == 0);
  spore_loader *train = nullptr, *test = nullptr;
  REQUIRE(spore_loader_create(
              d, 4, SPORE_LOADER_SHUFFLE | SPORE_LOADER_DROP_REMAINDER, 3,
              &train) == 0);
  REQUIRE(spore_loader_create(d, 4, 0, 0, &test) == 0);
  spore_trainer_options o;
  spore_trainer_options_default(&o);
  o.epochs = 5;
  o.progress = SPORE_PROGRESS_NONE;
  o.metrics = "positive";
  spore_trainer *t = nullptr;
  REQUIRE(spore_trainer_create(&t, &kModel, state.s, train, test, &o) == 0);
  int steps = 0;
  REQUIRE(spore_trainer_add_callback(t, countSteps, &steps) == 0);
  REQUIRE(spore_trainer_fit(t) == 0);
  CHECK(steps == 4);
  double positive = 0;
  REQUIRE(spore_trainer_metric(t, "positive", &positive) == 0);
  CHECK(positive == 1.0);
  CHECK(spore_trainer_metric(t, "loss", &positive) == SPORE_ERROR_ARGUMENT);
  REQUIRE(spore_trainer_evaluate(t) == 0);
  REQUIRE(spore_trainer_metric(t, "positive", &positive) == 0);
  CHECK(positive == 1.0);
  spore_trainer_destroy(t);
  o.eval_export = "predict";
  CHECK(spore_trainer_create(&t, &kModel, state.s, train, test, &o) ==
        SPORE_ERROR_ARGUMENT);
  CHECK(std::string(spore_last_error()).find("no function named 'predict'") !=
        std::string::npos);
  spore_loader_destroy(train);
  spore_loader_destroy(test);
  spore_dataset_destroy(d);
}
