// spore/train.hpp: the training loop of libspore_runtime (training.md §3),
// C++ API. spore/train.h is its C twin.
//
// A Trainer drives a compiled model's training export over a Loader's
// batches, epoch after epoch, and its evaluation export over another's:
//
//   spore::train::Model model(fashion_model());   // the generated header's
//   spore::train::Options options;
//   options.epochs = 10;
//   options.metrics = {"accuracy"};
//   options.runDir = "runs/mlp";
//   spore::train::Trainer trainer(model, (spore_state *)state, train, &test,
//                                 options);
//   trainer.fit();
//
// Binding: each parameter of an export takes the batch's field of the same
// name (same dtype, shape [batch, ...]); a scalar integer parameter named
// `valid` (Options::validParam) takes the number of real records of the
// batch instead (the last batch of an evaluation is padded). Every result
// is a scalar: the training export's first is the loss; the evaluation
// export's are sums over the batch's valid records, reported as their
// mean per record (an export that counts correct predictions yields the
// accuracy).
//
// Files in Options::runDir: run.json (the run's settings, the model's
// size, the machine, the final metrics), metrics.csv (a row every
// Options::logEvery steps and after every evaluation) and
// checkpoints/step-NNNNNNNN.npz (the state) with a .json beside it (the
// position in the data and the trainer's counters), from which resume()
// continues to the same result, bit for bit, as the uninterrupted run.
//
// Errors are thrown as spore::data::Error.
#ifndef SPORE_TRAIN_HPP
#define SPORE_TRAIN_HPP

#include "spore/data.hpp"
#include "spore/runtime.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spore::train {

/// One buffer of an export's C signature.
struct Arg {
  std::string name; // the parameter's source name; results: out0, out1, ...
  spore_dtype dtype = SPORE_F32;
  std::vector<int64_t> shape;
  int64_t numel() const;
};

/// An export of a compiled model.
struct Export {
  std::string name;
  std::vector<Arg> inputs, outputs;
  int (*entry)(void **) = nullptr; // its packed entry point
  /// "name(x: f32[128, 784], ...) -> (f32[])", for messages.
  std::string signature() const;
};

/// A compiled model as `<model>_model()` describes it (runtime.h).
class Model {
public:
  /// Parses the description; throws on a malformed one.
  explicit Model(const spore_model *model);
  const std::string &name() const { return name_; }
  const std::string &stateDescriptor() const { return state_; }
  const std::vector<Export> &exports() const { return exports_; }
  /// The export named `name`; throws naming the model's exports when
  /// there is none.
  const Export &get(const std::string &name) const;
  bool has(const std::string &name) const;

private:
  std::string name_, state_;
  std::vector<Export> exports_;
};

enum class Progress {
  Auto,  // Bar when the output is a terminal, Lines otherwise
  Bar,   // one line redrawn in place: progress, ETA, samples/s, loss
  Lines, // a line per epoch and per evaluation
  None,
};

struct EarlyStopping {
  std::string metric; // an evaluation metric; empty: never stop early
  bool maximize = true;
  int64_t patience = 3; // evaluations without improvement before stopping
  double minDelta = 0;  // the least change that counts as improvement
};

struct Options {
  int64_t epochs = 1;
  int64_t steps = 0;           // > 0: stop after this many steps in all
  int64_t evalEvery = 0;       // steps between evaluations; 0: every epoch
  int64_t logEvery = 50;       // steps between rows of metrics.csv
  int64_t checkpointEvery = 0; // steps between checkpoints; 0: every epoch
  std::string runDir;          // where the run's files go; "": none
  std::string trainExport = "train_step";
  std::string evalExport = "eval_step"; // ignored without an eval loader
  /// Names of the training export's results (default: loss, out1, ...).
  std::vector<std::string> trainOutputs;
  /// Names of the evaluation export's results (default: eval0, ...).
  std::vector<std::string> metrics;
  std::string validParam = "valid";
  Progress progress = Progress::Auto;
  EarlyStopping earlyStopping;
  /// Extra members of run.json: name and JSON text of the value.
  std::vector<std::pair<std::string, std::string>> runInfo;
  std::FILE *out = stdout; // where progress goes
};

/// What a callback is told.
struct Event {
  enum Kind { Step, Evaluation, Epoch, Checkpoint, End } kind = Step;
  int64_t step = 0;  // steps done in all
  int64_t epoch = 0; // the current epoch, from 0
  int64_t batch = 0; // batches of this epoch done
  int64_t batchesPerEpoch = 0;
  /// Step: this step's results by name (loss first). Evaluation, Epoch,
  /// End: the last evaluation's metrics, and `loss`, the mean training
  /// loss of the epoch (Epoch) or since the last log row.
  const std::vector<std::pair<std::string, double>> *values = nullptr;
  double loss = 0;
  std::string path; // Checkpoint: the .npz written
};

/// Return false to stop training (after the current step).
using Callback = std::function<bool(const Event &)>;

struct Summary {
  int64_t steps = 0;
  int64_t epochs = 0; // epochs completed
  bool stoppedEarly = false;
  double seconds = 0;          // of training, evaluation excluded
  double samplesPerSecond = 0; // of training
  std::vector<std::pair<std::string, double>> metrics; // the last evaluation
  std::string checkpoint;                              // the last one
};

class Trainer {
public:
  /// `state` may be null only for a model without state; `eval` may be
  /// null. The loaders and the state must outlive the trainer. Checks the
  /// exports' bindings to the loaders' fields now.
  Trainer(const Model &model, spore_state *state, data::Loader &train,
          data::Loader *eval, Options options);
  ~Trainer();
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;

  void addCallback(Callback callback);
  /// Adds member `key` to run.json with `json` as its value, verbatim.
  void addRunInfo(std::string key, std::string json);
  /// Loads a checkpoint (its .npz path, or a run folder: its newest
  /// checkpoint) into the state and continues from where it was taken;
  /// returns the .npz loaded.
  std::string resume(const std::string &checkpoint);
  /// Trains until the epochs or steps are done, early stopping fires or a
  /// callback says stop; writes a last checkpoint.
  Summary fit();
  /// Runs the evaluation export over the eval loader: metric means.
  std::vector<std::pair<std::string, double>> evaluate();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// `s` as a JSON string, quoted and escaped: for values of
/// Options::runInfo and Trainer::addRunInfo, which take JSON text.
std::string jsonString(const std::string &s);

/// The newest checkpoint of a run folder ("" when it has none).
std::string latestCheckpoint(const std::string &runDir);

} // namespace spore::train

#endif // SPORE_TRAIN_HPP
