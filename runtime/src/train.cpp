//===- train.cpp - the training loop (training.md §3) ---------------------===//
//
// spore::train::Trainer and its C twin (spore/train.h): drives a compiled
// model's exports, found by name through its spore_model, over the data
// pipeline's loaders; shows progress, evaluates, checkpoints, resumes, and
// writes the run's files.
//
//===----------------------------------------------------------------------===//

#include "spore/train.h"
#include "spore/train.hpp"

#include "DataHandles.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using spore::data::Batch;
using spore::data::Error;
using spore::data::Field;
using spore::data::Loader;

namespace spore::train {

namespace {

[[noreturn]] void fail(int status, const std::string &message) {
  throw Error(status, message);
}

using spore::runtime::dtypeByName;

std::string typeText(spore_dtype dtype, const std::vector<int64_t> &shape) {
  std::string s = spore_dtype_name(dtype);
  s += "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Parses `DTYPE[D0,D1]` into `arg`.
bool parseType(const std::string &text, Arg &arg) {
  size_t open = text.find('[');
  if (open == std::string::npos || text.back() != ']' ||
      !dtypeByName(text.substr(0, open), arg.dtype))
    return false;
  std::string dims = text.substr(open + 1, text.size() - open - 2);
  std::stringstream in(dims);
  for (std::string d; std::getline(in, d, ',');) {
    char *end = nullptr;
    long long v = std::strtoll(d.c_str(), &end, 10);
    if (d.empty() || *end || v < 0)
      return false;
    arg.shape.push_back(v);
  }
  return true;
}

/// A double as JSON: exact (17 digits), null when not finite.
std::string jsonNumber(double v) {
  if (!std::isfinite(v))
    return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// The number of member `key` of a flat JSON object we wrote.
bool jsonLookup(const std::string &text, const std::string &key,
                double &value) {
  std::string quoted = "\"" + key + "\":";
  size_t at = text.find(quoted);
  if (at == std::string::npos)
    return false;
  const char *start = text.c_str() + at + quoted.size();
  while (*start == ' ')
    ++start;
  if (std::strncmp(start, "null", 4) == 0) {
    value = NAN;
    return true;
  }
  char *end = nullptr;
  value = std::strtod(start, &end);
  return end != start;
}

std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    fail(SPORE_ERROR_IO, "cannot read '" + path + "'");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Replaces `path` by `text` atomically (a failed write leaves the old
/// file), throwing the runtime's message.
void writeFile(const std::string &path, const std::string &text) {
  if (int status = spore::runtime::writeFileAtomically(path.c_str(), text))
    fail(status, spore_last_error());
}

std::string cpuName() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      size_t colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

std::string isoTime() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buf;
}

std::string duration(double seconds) {
  long s = (long)std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60,
                  s % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

/// A scalar result of any dtype as a double.
double scalarValue(spore_dtype dtype, const void *p) {
  switch (dtype) {
  case SPORE_F32:
    return *(const float *)p;
  case SPORE_F64:
    return *(const double *)p;
  case SPORE_I32:
    return *(const int32_t *)p;
  case SPORE_I64:
    return (double)*(const int64_t *)p;
  case SPORE_I8:
    return *(const int8_t *)p;
  case SPORE_U8:
  case SPORE_BOOL:
    return *(const uint8_t *)p;
  case SPORE_F16:
  case SPORE_BF16:
  case SPORE_DTYPE_MAX_ENUM:
    break;
  }
  return NAN; // 16-bit floats are refused when binding
}

} // namespace

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if ((unsigned char)c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else
      out += c;
  }
  return out + "\"";
}

int64_t Arg::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string Export::signature() const {
  std::string s = name + "(";
  for (size_t i = 0; i < inputs.size(); ++i)
    s += (i ? ", " : "") + inputs[i].name + ": " +
         typeText(inputs[i].dtype, inputs[i].shape);
  s += ") -> (";
  for (size_t i = 0; i < outputs.size(); ++i)
    s += (i ? ", " : "") + typeText(outputs[i].dtype, outputs[i].shape);
  return s + ")";
}

Model::Model(const spore_model *model) {
  if (!model || !model->name || !model->exports || !model->state_descriptor)
    fail(SPORE_ERROR_ARGUMENT, "a NULL or incomplete spore_model");
  name_ = model->name;
  state_ = model->state_descriptor;
  std::stringstream lines(model->exports);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty())
      continue;
    auto malformed = [&] {
      fail(SPORE_ERROR_FORMAT, "model '" + name_ +
                                   "': malformed exports descriptor line '" +
                                   line + "'");
    };
    std::stringstream in(line);
    Export e;
    if (!(in >> e.name))
      malformed();
    bool results = false;
    for (std::string word; in >> word;) {
      if (word == "->") {
        results = true;
        continue;
      }
      Arg arg;
      std::string type = word;
      if (!results) {
        size_t colon = word.find(':');
        if (colon == std::string::npos)
          malformed();
        arg.name = word.substr(0, colon);
        type = word.substr(colon + 1);
      } else {
        arg.name = "out" + std::to_string(e.outputs.size());
      }
      if (!parseType(type, arg))
        malformed();
      (results ? e.outputs : e.inputs).push_back(std::move(arg));
    }
    if (!results)
      malformed();
    if ((int32_t)exports_.size() >= model->num_entries)
      fail(SPORE_ERROR_FORMAT,
           "model '" + name_ + "': more exports than entry points");
    e.entry = model->entries[exports_.size()];
    exports_.push_back(std::move(e));
  }
}

bool Model::has(const std::string &name) const {
  return std::any_of(exports_.begin(), exports_.end(),
                     [&](const Export &e) { return e.name == name; });
}

const Export &Model::get(const std::string &name) const {
  for (const Export &e : exports_)
    if (e.name == name)
      return e;
  std::string names;
  for (const Export &e : exports_)
    names += (names.empty() ? "" : ", ") + e.name;
  fail(SPORE_ERROR_ARGUMENT,
       "model '" + name_ + "' exports no function named '" + name +
           "' (exports: " + (names.empty() ? "none" : names) + ")");
}

std::string latestCheckpoint(const std::string &runDir) {
  fs::path dir = fs::path(runDir) / "checkpoints";
  std::error_code ec;
  std::string best;
  for (auto it = fs::directory_iterator(dir, ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    // step-NNNNNNNN.npz with its .json: names sort as the steps do.
    if (name.rfind("step-", 0) == 0 && it->path().extension() == ".npz" &&
        fs::exists(fs::path(it->path()).replace_extension(".json")) &&
        name > fs::path(best).filename().string())
      best = it->path().string();
  }
  return best;
}

/// How an export's parameters take a batch: the field or the valid count.
struct Binding {
  const Export *fn = nullptr;
  std::vector<int> fields;  // per input: the batch field, or -1: valid
  std::vector<void *> args; // the packed call's pointers
  std::vector<std::vector<unsigned char>> results;
  int64_t valid64 = 0;
  int32_t valid32 = 0;
  bool bound = false;

  /// Checks the export against `batch` (at its first batch) and fills
  /// the pointers of the call; throws naming what does not fit.
  void bind(const Batch &batch, spore_state *state, const std::string &valid,
            const std::string &loaderName) {
    const Export &e = *fn;
    if (!bound) {
      for (const Arg &out : e.outputs)
        if (!out.shape.empty() || out.dtype == SPORE_F16 ||
            out.dtype == SPORE_BF16)
          fail(SPORE_ERROR_ARGUMENT,
               "'" + e.signature() +
                   "': the trainer takes exports whose results are scalars "
                   "of f32, f64 or an integer type");
      fields.clear();
      for (const Arg &in : e.inputs) {
        if (in.name == valid && in.shape.empty() &&
            (in.dtype == SPORE_I32 || in.dtype == SPORE_I64)) {
          fields.push_back(-1);
          continue;
        }
        int found = -1;
        for (size_t f = 0; f < batch.fields.size(); ++f)
          if (batch.fields[f].name == in.name)
            found = (int)f;
        if (found < 0) {
          std::string names;
          for (const Field &f : batch.fields)
            names += (names.empty() ? "" : ", ") + f.name;
          fail(SPORE_ERROR_ARGUMENT, "'" + e.signature() + "': the " +
                                         loaderName + " data has no field '" +
                                         in.name + "' for its parameter (" +
                                         "fields: " + names + ")");
        }
        const Field &f = batch.fields[found];
        if (f.dtype != in.dtype || f.shape != in.shape)
          fail(SPORE_ERROR_ARGUMENT,
               "'" + e.signature() + "': its parameter '" + in.name + "' is " +
                   typeText(in.dtype, in.shape) + " but the " + loaderName +
                   " data's batches of field '" + f.name + "' are " +
                   typeText(f.dtype, f.shape));
        fields.push_back(found);
      }
      results.assign(e.outputs.size(), std::vector<unsigned char>(8));
      bound = true;
    }
    args.clear();
    if (state)
      args.push_back(state);
    valid32 = (int32_t)batch.valid;
    valid64 = batch.valid;
    for (size_t i = 0; i < e.inputs.size(); ++i) {
      if (fields[i] < 0) {
        args.push_back(e.inputs[i].dtype == SPORE_I32 ? (void *)&valid32
                                                      : (void *)&valid64);
        continue;
      }
      const Field &f = batch.fields[fields[i]];
      if (f.dtype != e.inputs[i].dtype || f.shape != e.inputs[i].shape)
        fail(SPORE_ERROR_ARGUMENT, "the " + loaderName + " data's field '" +
                                       f.name +
                                       "' changed its type between batches");
      args.push_back((void *)f.bytes.data());
    }
    for (auto &r : results)
      args.push_back(r.data());
  }

  double result(size_t i) const {
    return scalarValue(fn->outputs[i].dtype, results[i].data());
  }
};

struct Trainer::Impl {
  const Model &model;
  spore_state *state;
  Loader &train;
  Loader *eval;
  Options options;
  std::vector<Callback> callbacks;
  Binding trainCall, evalCall;
  std::vector<std::string> trainNames, metricNames;

  // The position and counters that a checkpoint keeps.
  int64_t step = 0, epoch = 0, batch = 0;
  double epochLossSum = 0;
  int64_t epochLossCount = 0;
  std::vector<double> logSums; // per training result, since the last row
  int64_t logCount = 0;
  double best = NAN;
  int64_t bad = 0;
  bool stoppedEarly = false;
  std::string resumedFrom;

  // Not kept: timing and output.
  std::vector<std::pair<std::string, double>> lastMetrics;
  std::string lastCheckpoint;
  int64_t lastCheckpointStep = -1, lastEvalStep = -1;
  double trainSeconds = 0;
  int64_t samples = 0;
  std::chrono::steady_clock::time_point logStart, lastDraw;
  int64_t logSamples = 0;
  double epochSeconds = 0;
  int64_t epochSamples = 0;
  bool bar = false, lines = false, barDrawn = false;
  std::string started;

  Impl(const Model &model, spore_state *state, Loader &train, Loader *eval,
       Options o)
      : model(model), state(state), train(train), eval(eval),
        options(std::move(o)) {
    if (options.epochs < 0 || options.steps < 0 || options.evalEvery < 0 ||
        options.logEvery < 0 || options.checkpointEvery < 0)
      fail(SPORE_ERROR_ARGUMENT,
           "trainer options: epochs, steps and the intervals are >= 0");
    if (options.epochs == 0 && options.steps == 0)
      fail(SPORE_ERROR_ARGUMENT,
           "trainer options: give a number of epochs or of steps");
    if (!model.stateDescriptor().empty() && !state)
      fail(SPORE_ERROR_ARGUMENT,
           "model '" + model.name() + "' has state: the trainer needs it");
    if (model.stateDescriptor().empty())
      this->state = nullptr;
    trainCall.fn = &model.get(options.trainExport);
    if (trainCall.fn->outputs.empty())
      fail(SPORE_ERROR_ARGUMENT, "'" + trainCall.fn->signature() +
                                     "' returns nothing: a training export "
                                     "returns its loss first");
    trainNames = names(options.trainOutputs, *trainCall.fn, "loss", "out");
    if (eval) {
      evalCall.fn = &model.get(options.evalExport);
      metricNames = names(options.metrics, *evalCall.fn, "eval0", "eval");
    }
    const EarlyStopping &early = options.earlyStopping;
    if (!early.metric.empty() &&
        std::find(metricNames.begin(), metricNames.end(), early.metric) ==
            metricNames.end())
      fail(SPORE_ERROR_ARGUMENT,
           "early stopping on '" + early.metric +
               "', which is not a metric of the evaluation" +
               (eval ? "" : " (there is no evaluation data)"));
    if (early.patience < 1)
      fail(SPORE_ERROR_ARGUMENT, "early stopping: patience is at least 1");
    logSums.assign(trainNames.size(), 0);
    bool tty = isatty(fileno(options.out ? options.out : stdout));
    bar = options.progress == Progress::Bar ||
          (options.progress == Progress::Auto && tty);
    lines = options.progress == Progress::Lines ||
            (options.progress == Progress::Auto && !tty);
    if (!options.out)
      bar = lines = false;
  }

  /// `given` checked against the results of `fn`, or default names.
  static std::vector<std::string> names(const std::vector<std::string> &given,
                                        const Export &fn, const char *first,
                                        const char *stem) {
    if (!given.empty()) {
      if (given.size() != fn.outputs.size())
        fail(SPORE_ERROR_ARGUMENT,
             "'" + fn.signature() + "' has " +
                 std::to_string(fn.outputs.size()) + " results but " +
                 std::to_string(given.size()) + " names were given for them");
      return given;
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < fn.outputs.size(); ++i)
      out.push_back(i == 0 ? first : stem + std::to_string(i));
    return out;
  }

  void call(Binding &b, const Batch &batchData, const char *what) {
    b.bind(batchData, state, options.validParam, what);
    if (int rc = b.fn->entry(b.args.data()))
      fail(rc, "'" + b.fn->name + "' failed at step " + std::to_string(step) +
                   " (epoch " + std::to_string(epoch + 1) +
                   "): " + spore_last_error());
  }

  std::vector<std::pair<std::string, double>> evaluate() {
    if (!eval)
      fail(SPORE_ERROR_ARGUMENT, "the trainer has no evaluation data");
    std::vector<double> sums(metricNames.size(), 0);
    int64_t records = 0;
    eval->startEpoch(0);
    for (int64_t valid; (valid = eval->next()) > 0;) {
      call(evalCall, eval->batch(), "evaluation");
      for (size_t i = 0; i < sums.size(); ++i)
        sums[i] += evalCall.result(i);
      records += valid;
    }
    std::vector<std::pair<std::string, double>> out;
    for (size_t i = 0; i < sums.size(); ++i)
      out.emplace_back(metricNames[i], records ? sums[i] / records : NAN);
    return out;
  }

  bool notify(const Event &e) {
    bool go = true;
    for (const Callback &c : callbacks)
      go &= c(e);
    return go;
  }

  Event event(Event::Kind kind) const {
    Event e;
    e.kind = kind;
    e.step = step;
    e.epoch = epoch;
    e.batch = batch;
    e.batchesPerEpoch = train.batchesPerEpoch();
    return e;
  }

  fs::path runPath(const std::string &name) const {
    return fs::path(options.runDir) / name;
  }

  //===--- metrics.csv ----------------------------------------------------===//

  std::string csvHeader() const {
    std::string h = "step,epoch";
    for (const std::string &n : trainNames)
      h += "," + n;
    h += ",samples_per_s";
    for (const std::string &n : metricNames)
      h += "," + n;
    return h + "\n";
  }

  /// Starts metrics.csv: afresh, or, when resuming, keeping the rows up
  /// to the checkpoint's step.
  void openCsv() {
    if (options.runDir.empty())
      return;
    std::string path = runPath("metrics.csv").string();
    std::string kept = csvHeader();
    if (!resumedFrom.empty() && fs::exists(path)) {
      std::stringstream in(readFile(path));
      std::string line;
      std::getline(in, line);
      if (line + "\n" != kept)
        fail(SPORE_ERROR_FORMAT, "'" + path +
                                     "' has other columns than this run "
                                     "writes: was it written by another "
                                     "model?");
      while (std::getline(in, line))
        if (!line.empty() && std::stoll(line) <= step)
          kept += line + "\n";
    }
    writeFile(path, kept);
  }

  void csvRow(const std::vector<double> *train, double samplesPerSecond,
              const std::vector<std::pair<std::string, double>> *metrics) {
    if (options.runDir.empty())
      return;
    std::string row = std::to_string(step) + "," + std::to_string(epoch + 1);
    for (size_t i = 0; i < trainNames.size(); ++i)
      row += "," + (train ? jsonNumber((*train)[i]) : std::string());
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", samplesPerSecond);
    row += "," + (train ? std::string(rate) : std::string());
    for (size_t i = 0; i < metricNames.size(); ++i)
      row += "," + (metrics ? jsonNumber((*metrics)[i].second) : std::string());
    std::ofstream out(runPath("metrics.csv"), std::ios::app);
    out << row << "\n";
    if (!out)
      fail(SPORE_ERROR_IO,
           "cannot write '" + runPath("metrics.csv").string() + "'");
  }

  //===--- run.json -------------------------------------------------------===//

  void writeRun(const char *status) {
    if (options.runDir.empty())
      return;
    int64_t tensors = 0, elements = 0, bytes = 0;
    if (state) {
      tensors = spore_state_count(state);
      for (int32_t i = 0; i < tensors; ++i) {
        spore_tensor view;
        spore_state_tensor(state, i, nullptr, &view);
        elements += spore_tensor_numel(&view);
        bytes += spore_tensor_numel(&view) * spore_dtype_size(view.dtype);
      }
    }
    std::string j = "{\n";
    auto member = [&](const std::string &key, const std::string &value) {
      j += "  " + jsonString(key) + ": " + value + ",\n";
    };
    member("model", jsonString(model.name()));
    member("status", jsonString(status));
    member("started", jsonString(started));
    member("updated", jsonString(isoTime()));
    if (!resumedFrom.empty())
      member("resumed_from", jsonString(resumedFrom));
    const Options &o = options;
    member(
        "trainer",
        "{\"epochs\": " + std::to_string(o.epochs) +
            ", \"steps\": " + std::to_string(o.steps) +
            ", \"batch_size\": " + std::to_string(train.options().batchSize) +
            ", \"batches_per_epoch\": " +
            std::to_string(train.batchesPerEpoch()) + ", \"train_records\": " +
            std::to_string(train.dataset().size()) + ", \"eval_records\": " +
            std::to_string(eval ? eval->dataset().size() : 0) +
            ", \"data_seed\": " + std::to_string(train.options().seed) +
            ", \"train_export\": " + jsonString(trainCall.fn->signature()) +
            ", \"eval_export\": " +
            (eval ? jsonString(evalCall.fn->signature()) : "null") +
            ", \"eval_every\": " + std::to_string(o.evalEvery) +
            ", \"early_stopping\": " +
            (o.earlyStopping.metric.empty()
                 ? std::string("null")
                 : "{\"metric\": " + jsonString(o.earlyStopping.metric) +
                       ", \"mode\": \"" +
                       (o.earlyStopping.maximize ? "max" : "min") +
                       "\", \"patience\": " +
                       std::to_string(o.earlyStopping.patience) +
                       ", \"min_delta\": " +
                       jsonNumber(o.earlyStopping.minDelta) + "}") +
            "}");
    member("state", "{\"tensors\": " + std::to_string(tensors) +
                        ", \"elements\": " + std::to_string(elements) +
                        ", \"bytes\": " + std::to_string(bytes) + "}");
    member("hardware",
           "{\"cpu\": " + jsonString(cpuName()) + ", \"threads\": " +
               std::to_string(std::thread::hardware_concurrency()) + "}");
    for (const auto &[key, value] : o.runInfo)
      member(key, value);
    std::string metrics = "{";
    for (size_t i = 0; i < lastMetrics.size(); ++i)
      metrics += (i ? ", " : "") + jsonString(lastMetrics[i].first) + ": " +
                 jsonNumber(lastMetrics[i].second);
    metrics += "}";
    j += "  \"result\": {\"steps\": " + std::to_string(step) +
         ", \"epochs\": " + std::to_string(epoch) +
         ", \"train_seconds\": " + jsonNumber(trainSeconds) +
         ", \"samples_per_s\": " +
         jsonNumber(trainSeconds > 0 ? samples / trainSeconds : 0) +
         ", \"stopped_early\": " + (stoppedEarly ? "true" : "false") +
         ", \"metrics\": " + metrics + ", \"checkpoint\": " +
         (lastCheckpoint.empty() ? "null" : jsonString(lastCheckpoint)) +
         "}\n}\n";
    writeFile(runPath("run.json").string(), j);
  }

  //===--- checkpoints ----------------------------------------------------===//

  void checkpoint() {
    if (options.runDir.empty() || lastCheckpointStep == step)
      return;
    fs::path dir = runPath("checkpoints");
    std::error_code ec;
    fs::create_directories(dir, ec);
    char name[32];
    std::snprintf(name, sizeof name, "step-%08lld", (long long)step);
    fs::path npz = dir / (std::string(name) + ".npz");
    if (state && spore_state_save(state, npz.c_str()))
      fail(SPORE_ERROR_IO, spore_last_error());
    // A model without state keeps only the position: an archive without
    // members, which numpy.load still reads.
    if (!state && spore_npz_write(npz.c_str(), 0, nullptr, nullptr))
      fail(SPORE_ERROR_IO, spore_last_error());
    std::string j =
        "{\"step\": " + std::to_string(step) +
        ", \"epoch\": " + std::to_string(epoch) +
        ", \"batch\": " + std::to_string(batch) +
        ", \"epoch_loss_sum\": " + jsonNumber(epochLossSum) +
        ", \"epoch_loss_count\": " + std::to_string(epochLossCount) +
        ", \"log_count\": " + std::to_string(logCount) +
        ", \"best\": " + jsonNumber(best) +
        ", \"bad\": " + std::to_string(bad) +
        ", \"stopped_early\": " + (stoppedEarly ? "1" : "0");
    for (size_t i = 0; i < logSums.size(); ++i)
      j += ", \"log_sum_" + std::to_string(i) + "\": " + jsonNumber(logSums[i]);
    j += "}\n";
    writeFile(fs::path(npz).replace_extension(".json").string(), j);
    lastCheckpoint = npz.string();
    lastCheckpointStep = step;
    Event e = event(Event::Checkpoint);
    e.path = lastCheckpoint;
    notify(e);
  }

  void resume(const std::string &from) {
    std::string npz = from;
    if (fs::path(from).extension() != ".npz") {
      npz = latestCheckpoint(from);
      if (npz.empty())
        fail(SPORE_ERROR_IO, "'" + from +
                                 "' has no checkpoint to resume from "
                                 "(checkpoints/step-*.npz)");
    } else if (!fs::exists(npz)) {
      fail(SPORE_ERROR_IO, "cannot resume from '" + npz + "': no such file");
    }
    std::string jsonPath = fs::path(npz).replace_extension(".json").string();
    if (!fs::exists(jsonPath))
      fail(SPORE_ERROR_IO, "cannot resume from '" + npz + "': '" + jsonPath +
                               "', the trainer's position, is missing (a "
                               "state saved otherwise can start a run, not "
                               "resume one)");
    std::string text = readFile(jsonPath);
    auto get = [&](const char *key) {
      double v;
      if (!jsonLookup(text, key, v))
        fail(SPORE_ERROR_FORMAT,
             "'" + jsonPath + "' has no member '" + key + "'");
      return v;
    };
    int64_t s = (int64_t)get("step"), e = (int64_t)get("epoch"),
            b = (int64_t)get("batch");
    if (s < 0 || e < 0 || b < 0 || b > train.batchesPerEpoch())
      fail(SPORE_ERROR_FORMAT, "'" + jsonPath +
                                   "': a position outside the "
                                   "training data");
    if (state && spore_state_load(state, npz.c_str()))
      fail(SPORE_ERROR_FORMAT, spore_last_error());
    step = s, epoch = e, batch = b;
    epochLossSum = get("epoch_loss_sum");
    epochLossCount = (int64_t)get("epoch_loss_count");
    logCount = (int64_t)get("log_count");
    best = get("best");
    bad = (int64_t)get("bad");
    stoppedEarly = get("stopped_early") != 0;
    for (size_t i = 0; i < logSums.size(); ++i)
      logSums[i] = get(("log_sum_" + std::to_string(i)).c_str());
    resumedFrom = npz;
    lastCheckpoint = npz;
    lastCheckpointStep = step;
  }

  //===--- progress -------------------------------------------------------===//

  void drawBar(bool force) {
    auto now = std::chrono::steady_clock::now();
    if (!bar || (!force && now - lastDraw < std::chrono::milliseconds(100)))
      return;
    lastDraw = now;
    int64_t total = train.batchesPerEpoch();
    int width = 24;
    int filled = total ? (int)(width * batch / total) : width;
    std::string cells(filled, '=');
    if (filled < width)
      cells += ">" + std::string(width - filled - 1, ' ');
    double rate = epochSeconds > 0 ? epochSamples / epochSeconds : 0;
    double remaining =
        rate > 0 ? (total - batch) * train.options().batchSize / rate : 0;
    std::fprintf(options.out,
                 "\r\033[Kepoch %s [%s] %lld/%lld  loss %.4f  "
                 "%.0f samples/s  ETA %s",
                 epochText().c_str(), cells.c_str(), (long long)batch,
                 (long long)total,
                 epochLossCount ? epochLossSum / epochLossCount : 0.0, rate,
                 duration(remaining).c_str());
    std::fflush(options.out);
    barDrawn = true;
  }

  /// "3/10", or "3" when the run is bounded by steps only.
  std::string epochText() const {
    std::string s = std::to_string(epoch + 1);
    return options.epochs > 0 ? s + "/" + std::to_string(options.epochs) : s;
  }

  /// Clears the bar's line for other output (the next step draws it
  /// again).
  void endBar() {
    if (barDrawn) {
      std::fputs("\r\033[K", options.out);
      barDrawn = false;
    }
  }

  std::string metricsText(
      const std::vector<std::pair<std::string, double>> &metrics) const {
    std::string s;
    for (const auto &[name, value] : metrics) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "  %s %.4f", name.c_str(), value);
      s += buf;
    }
    return s;
  }

  //===--- the loop -------------------------------------------------------===//

  /// Evaluates; `announce`: says so in a line of its own (an evaluation
  /// at an epoch's end is on the epoch's line).
  void runEvaluation(bool announce) {
    lastMetrics = evaluate();
    lastEvalStep = step;
    csvRow(nullptr, 0, &lastMetrics);
    const EarlyStopping &early = options.earlyStopping;
    if (!early.metric.empty()) {
      double value = NAN;
      for (const auto &[name, v] : lastMetrics)
        if (name == early.metric)
          value = v;
      bool better =
          std::isnan(best) || (early.maximize ? value > best + early.minDelta
                                              : value < best - early.minDelta);
      if (better) {
        best = value;
        bad = 0;
      } else if (++bad >= early.patience) {
        stoppedEarly = true;
      }
    }
    if (announce && (lines || bar)) {
      endBar();
      std::fprintf(options.out, "step %lld  eval%s%s\n", (long long)step,
                   metricsText(lastMetrics).c_str(),
                   stoppedEarly ? "  (stopping early)" : "");
      std::fflush(options.out);
    }
    Event e = event(Event::Evaluation);
    e.values = &lastMetrics;
    if (!notify(e))
      stopRequested = true;
  }

  bool stopRequested = false;

  bool done() const {
    return stoppedEarly || stopRequested ||
           (options.steps > 0 && step >= options.steps) ||
           (options.epochs > 0 && epoch >= options.epochs);
  }

  Summary fit() {
    started = isoTime();
    if (!options.runDir.empty()) {
      std::error_code ec;
      fs::create_directories(options.runDir, ec);
      if (ec)
        fail(SPORE_ERROR_IO, "cannot create the run folder '" + options.runDir +
                                 "': " + ec.message());
    }
    openCsv();
    writeRun("running");
    // An epoch ending at the checkpoint: the next one starts.
    if (batch == train.batchesPerEpoch()) {
      ++epoch;
      batch = 0;
      epochLossSum = 0;
      epochLossCount = 0;
    }
    std::vector<double> values(trainNames.size());
    std::vector<std::pair<std::string, double>> named(trainNames.size());
    using Clock = std::chrono::steady_clock;
    try {
      while (!done()) {
        train.startEpoch(epoch, batch);
        epochSeconds = 0;
        epochSamples = 0;
        logStart = Clock::now();
        logSamples = 0;
        while (!done()) {
          auto t0 = Clock::now();
          int64_t valid = train.next();
          if (valid == 0)
            break;
          call(trainCall, train.batch(), "training");
          double dt = std::chrono::duration<double>(Clock::now() - t0).count();
          trainSeconds += dt;
          epochSeconds += dt;
          samples += valid;
          epochSamples += valid;
          logSamples += valid;
          ++step;
          ++batch;
          for (size_t i = 0; i < values.size(); ++i) {
            values[i] = trainCall.result(i);
            named[i] = {trainNames[i], values[i]};
            logSums[i] += values[i];
          }
          if (std::isnan(values[0]) || std::isinf(values[0]))
            fail(SPORE_ERROR_VALUE,
                 std::string("the loss is ") +
                     (std::isnan(values[0]) ? "NaN" : "infinite") +
                     " at step " + std::to_string(step) + " (epoch " +
                     std::to_string(epoch + 1) +
                     "); the state is as the step left it");
          epochLossSum += values[0];
          ++epochLossCount;
          ++logCount;
          Event e = event(Event::Step);
          e.values = &named;
          e.loss = values[0];
          if (!notify(e))
            stopRequested = true;
          if (options.logEvery > 0 && step % options.logEvery == 0) {
            double seconds =
                std::chrono::duration<double>(Clock::now() - logStart).count();
            std::vector<double> means(logSums.size());
            for (size_t i = 0; i < means.size(); ++i)
              means[i] = logSums[i] / logCount;
            csvRow(&means, seconds > 0 ? logSamples / seconds : 0, nullptr);
            std::fill(logSums.begin(), logSums.end(), 0);
            logCount = 0;
            logStart = Clock::now();
            logSamples = 0;
          }
          drawBar(false);
          if (eval && options.evalEvery > 0 && step % options.evalEvery == 0)
            runEvaluation(true);
          if (options.checkpointEvery > 0 &&
              step % options.checkpointEvery == 0)
            checkpoint();
        }
        bool epochDone = batch == train.batchesPerEpoch();
        if (!epochDone)
          break; // stopped mid-epoch
        if (eval && options.evalEvery == 0)
          runEvaluation(false);
        endBar();
        double meanLoss = epochLossCount ? epochLossSum / epochLossCount : 0;
        if (lines || bar) {
          std::string evaluated =
              lastEvalStep == step ? metricsText(lastMetrics) : "";
          std::fprintf(options.out,
                       "epoch %s  step %lld  loss %.4f  %.0f samples/s  "
                       "%.1f s%s%s\n",
                       epochText().c_str(), (long long)step, meanLoss,
                       epochSeconds > 0 ? epochSamples / epochSeconds : 0,
                       epochSeconds, evaluated.c_str(),
                       stoppedEarly ? "  (stopping early)" : "");
          std::fflush(options.out);
        }
        if (options.checkpointEvery == 0)
          checkpoint();
        Event e = event(Event::Epoch);
        e.values = &lastMetrics;
        e.loss = meanLoss;
        if (!notify(e))
          stopRequested = true;
        ++epoch;
        batch = 0;
        epochLossSum = 0;
        epochLossCount = 0;
      }
      endBar();
      // The last state, evaluated when the last evaluation was earlier.
      if (eval && lastEvalStep != step)
        runEvaluation(true);
      checkpoint();
    } catch (...) {
      endBar();
      writeRun("failed");
      throw;
    }
    writeRun(stoppedEarly ? "stopped_early" : "finished");
    Event e = event(Event::End);
    e.values = &lastMetrics;
    notify(e);
    Summary s;
    s.steps = step;
    s.epochs = epoch;
    s.stoppedEarly = stoppedEarly;
    s.seconds = trainSeconds;
    s.samplesPerSecond = trainSeconds > 0 ? samples / trainSeconds : 0;
    s.metrics = lastMetrics;
    s.checkpoint = lastCheckpoint;
    return s;
  }
};

Trainer::Trainer(const Model &model, spore_state *state, Loader &train,
                 Loader *eval, Options options)
    : impl_(std::make_unique<Impl>(model, state, train, eval,
                                   std::move(options))) {}
Trainer::~Trainer() = default;

void Trainer::addCallback(Callback callback) {
  impl_->callbacks.push_back(std::move(callback));
}
void Trainer::addRunInfo(std::string key, std::string json) {
  impl_->options.runInfo.emplace_back(std::move(key), std::move(json));
}
std::string Trainer::resume(const std::string &checkpoint) {
  impl_->resume(checkpoint);
  return impl_->resumedFrom;
}
Summary Trainer::fit() { return impl_->fit(); }
std::vector<std::pair<std::string, double>> Trainer::evaluate() {
  return impl_->evaluate();
}

} // namespace spore::train

//===----------------------------------------------------------------------===//
// The C ABI
//===----------------------------------------------------------------------===//

struct spore_trainer {
  spore::train::Model model;
  std::unique_ptr<spore::train::Trainer> trainer;
  spore::train::Summary summary;
  // What callbacks see, kept alive during the call.
  std::vector<std::string> names;
  std::vector<const char *> namePointers;
  std::vector<double> values;
};

namespace {

using spore::runtime::guarded;

std::vector<std::string> splitNames(const char *list) {
  std::vector<std::string> out;
  if (!list)
    return out;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');)
    out.push_back(name);
  return out;
}

int nullArgument(const char *function) {
  return spore_set_error(SPORE_ERROR_ARGUMENT, "%s: a NULL argument", function);
}

} // namespace

extern "C" void spore_trainer_options_default(spore_trainer_options *o) {
  if (!o)
    return;
  spore::train::Options d;
  *o = spore_trainer_options{};
  o->epochs = d.epochs;
  o->steps = d.steps;
  o->eval_every = d.evalEvery;
  o->log_every = d.logEvery;
  o->checkpoint_every = d.checkpointEvery;
  o->train_export = "train_step";
  o->eval_export = "eval_step";
  o->valid_param = "valid";
  o->progress = SPORE_PROGRESS_AUTO;
  o->early_stop_maximize = 1;
  o->early_stop_patience = d.earlyStopping.patience;
  o->early_stop_min_delta = d.earlyStopping.minDelta;
}

extern "C" int spore_trainer_create(spore_trainer **out,
                                    const spore_model *model,
                                    spore_state *state, spore_loader *train,
                                    spore_loader *eval,
                                    const spore_trainer_options *o) {
  if (!out || !model || !train || !o)
    return nullArgument(__func__);
  *out = nullptr;
  return guarded(__func__, [&] {
    spore::train::Options options;
    options.epochs = o->epochs;
    options.steps = o->steps;
    options.evalEvery = o->eval_every;
    options.logEvery = o->log_every;
    options.checkpointEvery = o->checkpoint_every;
    options.runDir = o->run_dir ? o->run_dir : "";
    if (o->train_export)
      options.trainExport = o->train_export;
    if (o->eval_export)
      options.evalExport = o->eval_export;
    if (o->valid_param)
      options.validParam = o->valid_param;
    options.trainOutputs = splitNames(o->train_outputs);
    options.metrics = splitNames(o->metrics);
    // spore_progress lists the modes in spore::train::Progress's order.
    if (o->progress < SPORE_PROGRESS_AUTO || o->progress > SPORE_PROGRESS_NONE)
      throw Error(SPORE_ERROR_ARGUMENT,
                  "unknown progress mode " + std::to_string((int)o->progress));
    options.progress = (spore::train::Progress)o->progress;
    if (o->early_stop_metric) {
      options.earlyStopping.metric = o->early_stop_metric;
      options.earlyStopping.maximize = o->early_stop_maximize != 0;
      options.earlyStopping.patience = o->early_stop_patience;
      options.earlyStopping.minDelta = o->early_stop_min_delta;
    }
    auto t = std::unique_ptr<spore_trainer>(
        new spore_trainer{spore::train::Model(model), nullptr, {}, {}, {}, {}});
    t->trainer = std::make_unique<spore::train::Trainer>(
        t->model, state, train->loader, eval ? &eval->loader : nullptr,
        std::move(options));
    *out = t.release();
  });
}

extern "C" int spore_trainer_add_callback(spore_trainer *t,
                                          spore_train_callback fn, void *user) {
  if (!t || !fn)
    return nullArgument(__func__);
  return guarded(__func__, [&] {
    t->trainer->addCallback([t, fn, user](const spore::train::Event &e) {
      spore_train_event c{};
      c.kind = (spore_train_event_kind)e.kind;
      c.step = e.step;
      c.epoch = e.epoch;
      c.batch = e.batch;
      c.batches_per_epoch = e.batchesPerEpoch;
      c.loss = e.loss;
      t->names.clear();
      t->namePointers.clear();
      t->values.clear();
      if (e.values)
        for (const auto &[name, value] : *e.values) {
          t->names.push_back(name);
          t->values.push_back(value);
        }
      for (const std::string &n : t->names)
        t->namePointers.push_back(n.c_str());
      c.count = (int32_t)t->values.size();
      c.names = t->namePointers.data();
      c.values = t->values.data();
      c.path = e.path.empty() ? nullptr : e.path.c_str();
      return fn(&c, user) == 0;
    });
  });
}

extern "C" int spore_trainer_add_run_info(spore_trainer *t, const char *key,
                                          const char *json) {
  if (!t || !key || !json)
    return nullArgument(__func__);
  return guarded(__func__, [&] { t->trainer->addRunInfo(key, json); });
}

extern "C" int spore_trainer_resume(spore_trainer *t, const char *checkpoint) {
  if (!t || !checkpoint)
    return nullArgument(__func__);
  return guarded(__func__, [&] { t->trainer->resume(checkpoint); });
}

extern "C" int spore_trainer_fit(spore_trainer *t) {
  if (!t)
    return nullArgument(__func__);
  return guarded(__func__, [&] { t->summary = t->trainer->fit(); });
}

extern "C" int spore_trainer_evaluate(spore_trainer *t) {
  if (!t)
    return nullArgument(__func__);
  return guarded(__func__,
                 [&] { t->summary.metrics = t->trainer->evaluate(); });
}

extern "C" int spore_trainer_metric(const spore_trainer *t, const char *name,
                                    double *value) {
  if (!t || !name || !value)
    return nullArgument(__func__);
  for (const auto &[n, v] : t->summary.metrics)
    if (n == name) {
      *value = v;
      return SPORE_OK;
    }
  return spore_set_error(SPORE_ERROR_ARGUMENT,
                         "%s: no metric '%s' in the last evaluation", __func__,
                         name);
}

extern "C" void spore_trainer_destroy(spore_trainer *t) { delete t; }
