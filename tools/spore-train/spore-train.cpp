//===- spore-train.cpp - train a model from the command line --------------===//
//
// `spore-train model.py --train-data SPEC [--eval-data SPEC] --epochs N
// --seed S --run-dir DIR` (training.md §3): compiles the model to a shared
// library (or reuses a cached one), reads the data, binds its fields to the
// exports' parameters by name, and trains with the runtime's Trainer,
// which writes run.json, metrics.csv and checkpoints into the run folder.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "compiler/frontend/IRGen.h"
#include "dialects/spore/SporeOps.h"
#include "spore/data.hpp"
#include "spore/train.hpp"
#include "tools/common/CachedBuild.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <dlfcn.h>
#include <map>
#include <optional>

using namespace llvm;
namespace driver = spore::driver;
namespace data = spore::data;
namespace train = spore::train;

namespace {

cl::OptionCategory category("spore-train options");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.py>"),
                               cl::Required, cl::cat(category));
cl::list<std::string> trainData(
    "train-data",
    cl::desc("the training data: a .npz or .csv file (its arrays or columns "
             "are the fields), or FIELD=FILE pairs of .npy or IDX files "
             "(gzip or not), comma-separated or repeated; fields are bound "
             "to the exports' parameters by name"),
    cl::value_desc("SPEC"), cl::CommaSeparated, cl::OneOrMore,
    cl::cat(category));
cl::list<std::string> evalData("eval-data",
                               cl::desc("the evaluation data, as --train-data"),
                               cl::value_desc("SPEC"), cl::CommaSeparated,
                               cl::cat(category));
cl::opt<int64_t> epochs("epochs",
                        cl::desc("epochs to train (default 1, or unbounded "
                                 "when --steps is given)"),
                        cl::value_desc("N"), cl::cat(category));
cl::opt<int64_t> steps("steps",
                       cl::desc("steps to train in all (with --epochs, "
                                "whichever ends first)"),
                       cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<uint64_t> seed("seed",
                       cl::desc("seeds the state's initial values and the "
                                "data's shuffle (default 0)"),
                       cl::value_desc("S"), cl::init(0), cl::cat(category));
cl::opt<std::string> runDir("run-dir",
                            cl::desc("where run.json, metrics.csv and "
                                     "checkpoints/ go (default: runs/MODEL)"),
                            cl::value_desc("DIR"), cl::cat(category));
cl::opt<std::string> resume(
    "resume",
    cl::desc("continue from a checkpoint (.npz) or, given no value, from the "
             "run folder's newest; the result equals the uninterrupted run"),
    cl::value_desc("CKPT"), cl::ValueOptional, cl::cat(category));
cl::opt<std::string>
    initState("init-state",
              cl::desc("start from the state in an .npz file instead of "
                       "initialising it from --seed"),
              cl::value_desc("ckpt.npz"), cl::cat(category));
cl::list<std::string> normalize(
    "normalize",
    cl::desc("feed (x - MEAN) / STD of field FIELD (after converting it to "
             "its parameter's dtype); x=0,255 scales 8-bit pixels to [0, 1]"),
    cl::value_desc("FIELD=MEAN,STD"), cl::cat(category));
cl::opt<std::string>
    metrics("metrics",
            cl::desc("names of the evaluation export's results, which are "
                     "sums over a batch's valid records and are reported "
                     "per record (default: eval0, eval1, ...)"),
            cl::value_desc("a,b"), cl::cat(category));
cl::opt<std::string>
    trainOutputs("train-outputs",
                 cl::desc("names of the training export's results, the "
                          "loss first (default: loss, out1, ...)"),
                 cl::value_desc("loss,b"), cl::cat(category));
cl::opt<std::string> trainExport("train-export",
                                 cl::desc("the training export"),
                                 cl::init("train_step"), cl::cat(category));
cl::opt<std::string> evalExport("eval-export",
                                cl::desc("the evaluation export"),
                                cl::init("eval_step"), cl::cat(category));
cl::opt<int64_t> evalEvery("eval-every",
                           cl::desc("steps between evaluations (default: "
                                    "each epoch's end)"),
                           cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<int64_t> logEvery("log-every",
                          cl::desc("steps between rows of metrics.csv"),
                          cl::value_desc("N"), cl::init(50), cl::cat(category));
cl::opt<int64_t> checkpointEvery("checkpoint-every",
                                 cl::desc("steps between checkpoints "
                                          "(default: each epoch's end)"),
                                 cl::value_desc("N"), cl::init(0),
                                 cl::cat(category));
cl::opt<std::string> earlyStop(
    "early-stop",
    cl::desc("stop when METRIC has not improved (max: risen, min: fallen, "
             "by more than DELTA) for PATIENCE evaluations"),
    cl::value_desc("METRIC:max|min:PATIENCE[:DELTA]"), cl::cat(category));
enum class ProgressFlag { Auto, Bar, Lines, None };
cl::opt<ProgressFlag> progress(
    "progress", cl::desc("how progress is shown:"),
    cl::init(ProgressFlag::Auto),
    cl::values(clEnumValN(ProgressFlag::Auto, "auto",
                          "a bar on a terminal, lines otherwise (default)"),
               clEnumValN(ProgressFlag::Bar, "bar", "a bar redrawn in place"),
               clEnumValN(ProgressFlag::Lines, "lines",
                          "a line per epoch and evaluation"),
               clEnumValN(ProgressFlag::None, "none", "nothing")),
    cl::cat(category));
cl::opt<bool> noPrefetch("no-prefetch",
                         cl::desc("prepare each batch when it is needed, not "
                                  "while the previous one trains"),
                         cl::cat(category));

int fail(const Twine &message) {
  errs() << "spore-train: error: " << message << "\n";
  return 1;
}

/// A fatal error of the run: its message, printed by main.
struct Failure {
  std::string message;
};

std::vector<std::string> splitList(StringRef list) {
  SmallVector<StringRef> parts;
  list.split(parts, ',', -1, /*KeepEmpty=*/false);
  std::vector<std::string> out;
  for (StringRef p : parts)
    out.push_back(p.trim().str());
  return out;
}

/// The dataset of a --train-data or --eval-data list.
data::Dataset readData(const std::vector<std::string> &specs, StringRef flag) {
  std::optional<data::Dataset> all;
  for (const std::string &spec : specs) {
    data::Dataset part;
    auto [field, path] = StringRef(spec).split('=');
    if (!StringRef(spec).contains('=')) {
      path = spec;
      if (path.ends_with(".npz"))
        part = data::Dataset::fromNpz(spec);
      else if (path.ends_with(".csv"))
        part = data::Dataset::fromCsv(spec);
      else
        throw Failure{"--" + flag.str() + " '" + spec +
                      "': give a .npz or .csv file, or FIELD=FILE for a "
                      ".npy or IDX file"};
    } else if (field.empty() || path.empty()) {
      throw Failure{"--" + flag.str() + " '" + spec +
                    "' is not of the form FIELD=FILE"};
    } else if (path.ends_with(".npy")) {
      part = data::Dataset::fromNpy(path.str(), field.str());
    } else {
      part = data::Dataset::fromIdx(path.str(), field.str());
    }
    all = all ? all->join(part) : part;
  }
  return *all;
}

/// The loader of `dataset` for the export `fn`: batches of its first
/// bound parameter's leading dimension, each field converted to its
/// parameter's dtype (and normalised as asked) per batch.
std::unique_ptr<data::Loader>
makeLoader(const data::Dataset &dataset, const train::Export &fn, bool train,
           const std::map<std::string, std::pair<double, double>> &norms,
           StringRef flag) {
  data::LoaderOptions options;
  options.batchSize = 0;
  options.shuffle = train;
  options.dropRemainder = train; // a training step takes full batches
  options.seed = seed;
  options.prefetch = !noPrefetch;
  for (const train::Arg &in : fn.inputs) {
    if (in.name == "valid" && in.shape.empty())
      continue;
    const data::Field *field = nullptr;
    for (const data::Field &f : dataset.fields())
      if (f.name == in.name)
        field = &f;
    if (!field) {
      std::string names;
      for (const data::Field &f : dataset.fields())
        names += (names.empty() ? "" : ", ") + f.name;
      throw Failure{"'" + fn.signature() + "' takes '" + in.name + "', but --" +
                    flag.str() +
                    " has no field of that name (fields: " + names + ")"};
    }
    if (in.shape.empty())
      throw Failure{"'" + fn.signature() + "': its parameter '" + in.name +
                    "' is a scalar, not a batch of records"};
    std::vector<int64_t> record(in.shape.begin() + 1, in.shape.end());
    std::vector<int64_t> fieldRecord(field->shape.begin() + 1,
                                     field->shape.end());
    if (record != fieldRecord) {
      auto dims = [](const std::vector<int64_t> &s) {
        std::string t = "[";
        for (size_t i = 0; i < s.size(); ++i)
          t += (i ? ", " : "") + std::to_string(s[i]);
        return t + "]";
      };
      throw Failure{"'" + fn.signature() + "': its parameter '" + in.name +
                    "' takes records of shape " + dims(record) +
                    ", but the records of --" + flag.str() + "'s field '" +
                    in.name + "' are " + dims(fieldRecord)};
    }
    if (options.batchSize == 0)
      options.batchSize = in.shape[0];
    else if (options.batchSize != in.shape[0])
      throw Failure{"'" + fn.signature() +
                    "': its parameters take batches of different sizes"};
    auto norm = norms.find(in.name);
    if (norm != norms.end())
      options.transforms.push_back(
          data::Transform::convert(in.name, in.dtype, 1 / norm->second.second,
                                   -norm->second.first / norm->second.second));
    else if (field->dtype != in.dtype)
      options.transforms.push_back(data::Transform::convert(in.name, in.dtype));
  }
  if (options.batchSize == 0)
    throw Failure{"'" + fn.signature() + "' takes no batch of data"};
  if (train && dataset.size() < options.batchSize)
    throw Failure{"--" + flag.str() + " has " + std::to_string(dataset.size()) +
                  " records, fewer than one batch of " +
                  std::to_string(options.batchSize)};
  return std::make_unique<data::Loader>(dataset, options);
}

std::map<std::string, std::pair<double, double>> parseNormalize() {
  std::map<std::string, std::pair<double, double>> out;
  for (const std::string &n : normalize) {
    auto [field, values] = StringRef(n).split('=');
    auto [mean, stdev] = values.split(',');
    double m, s;
    if (field.empty() || mean.trim().getAsDouble(m) ||
        stdev.trim().getAsDouble(s) || s == 0)
      throw Failure{"--normalize '" + n +
                    "' is not of the form FIELD=MEAN,STD with STD not 0"};
    out[field.str()] = {m, s};
  }
  return out;
}

train::EarlyStopping parseEarlyStop() {
  train::EarlyStopping e;
  if (earlyStop.empty())
    return e;
  SmallVector<StringRef> parts;
  StringRef(earlyStop).split(parts, ':');
  bool ok = parts.size() >= 3 && parts.size() <= 4 && !parts[0].empty() &&
            (parts[1] == "max" || parts[1] == "min") &&
            !parts[2].getAsInteger(10, e.patience) && e.patience > 0 &&
            (parts.size() == 3 || !parts[3].getAsDouble(e.minDelta));
  if (!ok)
    throw Failure{"--early-stop '" + earlyStop +
                  "' is not of the form METRIC:max|min:PATIENCE[:DELTA] with "
                  "PATIENCE a positive integer"};
  e.metric = parts[0].str();
  e.maximize = parts[1] == "max";
  return e;
}

std::string sourceHash() {
  auto buffer = MemoryBuffer::getFile(modelPath);
  if (!buffer)
    return "null";
  auto hash = SHA256::hash(arrayRefFromStringRef((*buffer)->getBuffer()));
  return train::jsonString(toHex(hash, /*LowerCase=*/true));
}

/// The shared library of the model, compiled or from the cache.
struct Library {
  void *handle = nullptr;
  ~Library() {
    if (handle)
      dlclose(handle);
  }
};

/// The state object; destroyed at exit.
struct State {
  spore_state *s = nullptr;
  ~State() { spore_state_destroy(s); }
};

int run(int argc, char **argv) {
  auto norms = parseNormalize();
  train::EarlyStopping early = parseEarlyStop();
  for (auto *flag : {&epochs, &steps, &evalEvery, &logEvery, &checkpointEvery})
    if (*flag < 0)
      return fail("--" + flag->ArgStr + " must not be negative");

  // Compile (or find the cached library).
  auto compileStart = std::chrono::steady_clock::now();
  mlir::DialectRegistry registry;
  driver::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  context.loadDialect<spore::SporeDialect>();
  auto module = spore::frontend::compileFile(modelPath, context);
  if (!module)
    return 1;
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string moduleName = driver::moduleNameFromPath(modelPath);
  bool reused = false;
  std::string libraryPath = spore::tools::buildCachedLibrary(
      *module, moduleName, "spore-train", &reused);
  if (libraryPath.empty())
    return 1;
  double compileSeconds = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - compileStart)
                              .count();
  Library library;
  library.handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library.handle)
    return fail("cannot load '" + libraryPath + "': " + dlerror());
  std::string symbol = moduleName + "_model";
  using Describe = const spore_model *(*)();
  auto describe = (Describe)dlsym(library.handle, symbol.c_str());
  if (!describe)
    return fail("'" + modelPath +
                "' exports nothing to train (mark the "
                "training step with @export)");
  train::Model model(describe());
  const train::Export &trainFn = model.get(trainExport);

  // The data, bound to the exports.
  std::unique_ptr<data::Loader> trainLoader, evalLoader;
  trainLoader = makeLoader(readData(trainData, "train-data"), trainFn, true,
                           norms, "train-data");
  if (!evalData.empty())
    evalLoader = makeLoader(readData(evalData, "eval-data"),
                            model.get(evalExport), false, norms, "eval-data");

  // The state.
  State state;
  if (!model.stateDescriptor().empty()) {
    if (spore_state_create(&state.s, model.stateDescriptor().c_str(),
                           nullptr) ||
        (initState.empty() ? spore_state_init(state.s, seed)
                           : spore_state_load(state.s, initState.c_str())))
      return fail(spore_last_error());
  } else if (!initState.empty()) {
    return fail("--init-state: '" + modelPath + "' has no state");
  }

  train::Options options;
  options.epochs = epochs.getNumOccurrences() ? (int64_t)epochs
                   : steps > 0                ? 0
                                              : 1;
  options.steps = steps;
  options.evalEvery = evalEvery;
  options.logEvery = logEvery;
  options.checkpointEvery = checkpointEvery;
  options.runDir = runDir.empty() ? "runs/" + moduleName : runDir;
  options.trainExport = trainExport;
  options.evalExport = evalExport;
  options.trainOutputs = splitList(trainOutputs);
  options.metrics = splitList(metrics);
  options.progress = (train::Progress)progress.getValue();
  options.earlyStopping = early;
  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  options.runInfo = {
      {"source", "{\"path\": " + train::jsonString(modelPath) +
                     ", \"sha256\": " + sourceHash() + "}"},
      {"compiler", "\"spore-train 0.1.0 (LLVM/MLIR 22)\""},
      {"optimisation",
       "\"O" + std::to_string(spore::tools::optimisationLevel()) + "\""},
      {"compile_seconds", std::to_string(compileSeconds)},
      {"compile_cached", reused ? "true" : "false"},
      {"seed", std::to_string(seed)},
      {"command", train::jsonString(command)},
  };
  train::Trainer trainer(model, state.s, *trainLoader, evalLoader.get(),
                         options);
  if (resume.getNumOccurrences()) {
    outs() << "resumed from "
           << trainer.resume(resume.empty() ? options.runDir : resume) << "\n";
  }
  if (options.progress != train::Progress::None)
    outs() << model.name() << ": " << trainLoader->dataset().size()
           << " training records"
           << (evalLoader
                   ? ", " + std::to_string(evalLoader->dataset().size()) +
                         " evaluation records"
                   : std::string())
           << ", batches of " << trainLoader->options().batchSize
           << "; run folder " << options.runDir << "\n";
  outs().flush();
  train::Summary summary = trainer.fit();
  if (options.progress != train::Progress::None) {
    outs() << "trained " << summary.steps << " steps in "
           << format("%.1f", summary.seconds) << " s ("
           << format("%.0f", summary.samplesPerSecond) << " samples/s)"
           << (summary.stoppedEarly ? ", stopped early" : "") << "\n";
    for (const auto &[name, value] : summary.metrics)
      outs() << "eval " << name << " " << format("%.4f", value) << "\n";
    outs() << "checkpoint " << summary.checkpoint << "\n";
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions({&category, &spore::tools::cachedBuildCategory});
  cl::SetVersionPrinter(
      [](raw_ostream &os) { os << "spore-train 0.1.0 (LLVM/MLIR 22)\n"; });
  cl::ParseCommandLineOptions(
      argc, argv,
      "spore-train: train a Spore model on data files\n\n"
      "  spore-train model.py --train-data train.npz --eval-data test.npz \\\n"
      "      --epochs 10 --seed 1 --run-dir runs/NAME\n\n"
      "The model exports train_step, which updates its state and returns\n"
      "the loss first, and eval_step, whose results are sums over a\n"
      "batch's valid records (a scalar i32 parameter named `valid` takes\n"
      "their number); parameters take the data's fields of the same name.\n"
      "The compiled model is cached, keyed by its IR and this executable.\n");
  try {
    return run(argc, argv);
  } catch (const Failure &f) {
    return fail(f.message);
  } catch (const data::Error &e) {
    return fail(e.what());
  }
}
