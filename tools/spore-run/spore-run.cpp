//===- spore-run.cpp - run one export of a model on .npy files ------------===//
//
// `spore-run model.py ENTRY --input NAME=file.npy ... [--out DIR]` compiles
// the model to a shared library (or reuses a cached one), calls ENTRY through
// its packed C entry point and writes the flattened results as
// DIR/ENTRY.0.npy, DIR/ENTRY.1.npy, ... (language.md §9). Inputs are matched
// to parameters by name and checked for dtype and shape before anything is
// compiled. Exits 1 on any user error.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/interpreter/Interpreter.h"
#include "dialects/spore/SporeOps.h"
#include "spore/runtime.h"
#include "tools/common/CachedBuild.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <dlfcn.h>
#include <memory>

using namespace llvm;
namespace driver = spore::driver;
using Buffer = driver::ExportSignature::Buffer;

namespace {

cl::OptionCategory category("spore-run options");
cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.py>"),
                               cl::Required, cl::cat(category));
cl::opt<std::string> entryName(cl::Positional, cl::desc("<ENTRY>"),
                               cl::Required, cl::cat(category));
cl::list<std::string>
    inputs("input",
           cl::desc("bind the parameter NAME to the array in a .npy file "
                    "(one per parameter; several may follow one --input)"),
           cl::value_desc("NAME=file.npy"), cl::cat(category));
cl::opt<std::string>
    outDir("out", cl::desc("folder for ENTRY.<i>.npy (default: current)"),
           cl::value_desc("DIR"), cl::init("."), cl::cat(category));
cl::opt<std::string>
    statePath("state",
              cl::desc("load the state of a model with Parameters from an "
                       ".npz file (as <model>_state_save writes it)"),
              cl::value_desc("ckpt.npz"), cl::cat(category));
cl::opt<std::string>
    initState("init-state",
              cl::desc("initialise a fresh state of a model with Parameters "
                       "from SEED (an unsigned 64-bit integer)"),
              cl::value_desc("SEED"), cl::cat(category));
cl::opt<std::string>
    saveState("save-state",
              cl::desc("write the state as it is after the run to PATH "
                       "(.npz)"),
              cl::value_desc("PATH"), cl::cat(category));
cl::opt<bool> noRuntimeChecks(
    "no-runtime-checks",
    cl::desc("omit the run-time checks of indices and range steps (as "
             "sporec --no-runtime-checks)"),
    cl::cat(category));
cl::opt<bool> eager("eager",
                    cl::desc("run op by op in the reference interpreter "
                             "instead of compiling"),
                    cl::cat(category));

int fail(const Twine &message) {
  errs() << "spore-run: error: " << message << "\n";
  return 1;
}

std::string typeString(StringRef dtype, ArrayRef<int64_t> shape) {
  std::string s = dtype.str();
  if (shape.empty())
    return s;
  s += "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

/// A tensor read from or written to a .npy file; frees its data.
struct Tensor {
  spore_tensor t{};
  Tensor() = default;
  Tensor(const Tensor &) = delete;
  Tensor &operator=(const Tensor &) = delete;
  ~Tensor() { spore_tensor_free(&t); }
};

/// The state object of a model with Parameters; destroyed at exit.
struct State {
  spore_state *s = nullptr;
  State() = default;
  State(const State &) = delete;
  State &operator=(const State &) = delete;
  ~State() { spore_state_destroy(s); }
};

bool dtypeFromName(StringRef name, spore_dtype &out) {
  for (spore_dtype d : {SPORE_F16, SPORE_BF16, SPORE_F32, SPORE_F64, SPORE_BOOL,
                        SPORE_I8, SPORE_I32, SPORE_I64})
    if (name == spore_dtype_name(d)) {
      out = d;
      return true;
    }
  return false;
}

/// Reads the `--input` files and checks them against the parameters of
/// `entry`, in parameter order. Reports every problem, not only the first.
bool bindInputs(const driver::ExportSignature &entry,
                std::vector<std::unique_ptr<Tensor>> &bound) {
  StringMap<std::string> files;
  bool ok = true;
  auto params = [&] {
    std::string list;
    for (const Buffer &b : entry.inputs)
      list += (list.empty() ? "" : ", ") + b.name;
    return list.empty() ? std::string("none") : list;
  };
  for (const std::string &binding : inputs) {
    auto [nameRef, path] = StringRef(binding).split('=');
    StringRef name = nameRef; // a plain variable: lambdas capture it
    if (name.empty() || path.empty() || !StringRef(binding).contains('=')) {
      fail("--input '" + binding + "' is not of the form NAME=file.npy");
      ok = false;
      continue;
    }
    if (llvm::none_of(entry.inputs,
                      [&](const Buffer &b) { return b.name == name; })) {
      fail("'" + entry.name + "' has no parameter named '" + name +
           "' (parameters: " + params() + ")");
      ok = false;
      continue;
    }
    if (!files.try_emplace(name, path.str()).second) {
      fail("input '" + name + "' is given more than once");
      ok = false;
    }
  }
  for (const Buffer &b : entry.inputs) {
    std::string expected = typeString(b.dtype, b.shape);
    auto it = files.find(b.name);
    if (it == files.end()) {
      fail("missing input '" + b.name + "' (" + expected + "): pass --input " +
           b.name + "=file.npy");
      ok = false;
      continue;
    }
    auto tensor = std::make_unique<Tensor>();
    if (spore_npy_read(it->second.c_str(), &tensor->t) != SPORE_OK) {
      fail("input '" + b.name + "': " + spore_last_error());
      ok = false;
      continue;
    }
    const spore_tensor &t = tensor->t;
    ArrayRef<int64_t> shape(t.shape, t.rank);
    if (spore_dtype_name(t.dtype) != b.dtype || shape != ArrayRef(b.shape)) {
      fail("input '" + b.name + "' from '" + it->second + "' is " +
           typeString(spore_dtype_name(t.dtype), shape) + " but '" +
           entry.name + "' expects " + expected);
      ok = false;
      continue;
    }
    bound.push_back(std::move(tensor));
  }
  return ok;
}

/// Writes the results as OUT/ENTRY.<i>.npy.
int writeResults(const std::vector<std::unique_ptr<Tensor>> &results) {
  if (auto ec = sys::fs::create_directories(outDir))
    return fail("cannot create '" + outDir + "': " + ec.message());
  for (auto [i, t] : llvm::enumerate(results)) {
    SmallString<256> path(outDir);
    sys::path::append(path, entryName + "." + std::to_string(i) + ".npy");
    if (spore_npy_write(path.c_str(), &t->t) != SPORE_OK)
      return fail(spore_last_error());
  }
  return 0;
}

/// The semantics of an element type for 16-bit floats.
const llvm::fltSemantics &halfSemantics(spore_dtype d) {
  return d == SPORE_BF16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf();
}

/// Runs `entry` in the reference interpreter: .npy arrays in, arrays out.
/// `args` are the function's arguments: the state's Parameters, then the
/// inputs.
mlir::LogicalResult runEager(mlir::ModuleOp module,
                             const driver::ExportSignature &entry,
                             const std::vector<const spore_tensor *> &args,
                             std::vector<std::unique_ptr<Tensor>> &results,
                             spore_state *state) {
  auto fn = module.lookupSymbol<spore::FuncOp>(entry.name);
  std::vector<spore::interp::Tensor> inputs;
  for (auto [k, arg] : llvm::enumerate(args)) {
    const spore_tensor &t = *arg;
    spore::interp::Tensor v;
    v.elementType = mlir::cast<mlir::RankedTensorType>(fn.getArgumentTypes()[k])
                        .getElementType();
    v.shape.assign(t.shape, t.shape + t.rank);
    int64_t n = spore_tensor_numel(&t);
    for (int64_t e = 0; e < n; ++e) {
      switch (t.dtype) {
      case SPORE_F32:
        v.f.push_back(((const float *)t.data)[e]);
        break;
      case SPORE_F64:
        v.f.push_back(((const double *)t.data)[e]);
        break;
      case SPORE_F16:
      case SPORE_BF16:
        v.f.push_back(
            llvm::APFloat(halfSemantics(t.dtype),
                          llvm::APInt(16, ((const uint16_t *)t.data)[e]))
                .convertToDouble());
        break;
      case SPORE_BOOL:
        v.i.push_back(((const uint8_t *)t.data)[e] != 0);
        break;
      case SPORE_I8:
        v.i.push_back(((const int8_t *)t.data)[e]);
        break;
      case SPORE_U8:
        v.i.push_back(((const uint8_t *)t.data)[e]);
        break;
      case SPORE_I32:
        v.i.push_back(((const int32_t *)t.data)[e]);
        break;
      case SPORE_I64:
        v.i.push_back(((const int64_t *)t.data)[e]);
        break;
      case SPORE_DTYPE_MAX_ENUM: // spore_npy_read gives real dtypes
        break;
      }
    }
    inputs.push_back(std::move(v));
  }
  std::vector<spore::interp::Tensor> outputs;
  std::string error;
  if (!spore::interp::run(module, entry.name, inputs, outputs, error)) {
    fail("the interpreter stopped: " + error);
    return mlir::failure();
  }
  // The export's last results are the new values of the state that it
  // assigns (spore-thread-state), which the call has succeeded to make.
  SmallVector<int64_t> writes;
  if (auto attr =
          fn->getAttrOfType<mlir::DenseI64ArrayAttr>(spore::kStateWritesAttr))
    llvm::append_range(writes, attr.asArrayRef());
  if (outputs.size() != results.size() + writes.size()) {
    fail("the interpreter returned " + std::to_string(outputs.size()) +
         " values for " + std::to_string(results.size()) + " results and " +
         std::to_string(writes.size()) + " state updates");
    return mlir::failure();
  }
  for (auto [k, out] : llvm::enumerate(outputs)) {
    spore_tensor view;
    if (k >= results.size())
      spore_state_tensor(state, (int32_t)writes[k - results.size()], nullptr,
                         &view);
    spore_tensor &t = k < results.size() ? results[k]->t : view;
    int64_t n = spore_tensor_numel(&t);
    for (int64_t e = 0; e < n; ++e) {
      switch (t.dtype) {
      case SPORE_F32:
        ((float *)t.data)[e] = (float)out.f[e];
        break;
      case SPORE_F64:
        ((double *)t.data)[e] = out.f[e];
        break;
      case SPORE_F16:
      case SPORE_BF16: {
        llvm::APFloat h(out.f[e]);
        bool lost;
        h.convert(halfSemantics(t.dtype), llvm::APFloat::rmNearestTiesToEven,
                  &lost);
        ((uint16_t *)t.data)[e] = (uint16_t)h.bitcastToAPInt().getZExtValue();
        break;
      }
      case SPORE_BOOL:
        ((uint8_t *)t.data)[e] = out.i[e] != 0;
        break;
      case SPORE_I8:
        ((int8_t *)t.data)[e] = (int8_t)out.i[e];
        break;
      case SPORE_U8:
        ((uint8_t *)t.data)[e] = (uint8_t)out.i[e];
        break;
      case SPORE_I32:
        ((int32_t *)t.data)[e] = (int32_t)out.i[e];
        break;
      case SPORE_I64:
        ((int64_t *)t.data)[e] = out.i[e];
        break;
      case SPORE_DTYPE_MAX_ENUM: // results take the exports' dtypes
        break;
      }
    }
  }
  return mlir::success();
}

/// The arguments with `--input a=x.npy b=y.npy` spelt as one `--input`
/// per binding: after the value of an `--input`, each argument of the form
/// NAME=PATH that is not an option is another binding.
std::vector<const char *> splitInputs(int argc, char **argv) {
  std::vector<const char *> args(argv, argv + argc);
  std::vector<const char *> out;
  bool afterInput = false;
  for (size_t i = 0; i < args.size(); ++i) {
    StringRef arg = args[i];
    if (afterInput && !arg.starts_with("-") && arg.contains('=')) {
      out.push_back("--input");
      out.push_back(args[i]);
      continue;
    }
    out.push_back(args[i]);
    afterInput = false;
    if ((arg == "--input" || arg == "-input") && i + 1 < args.size()) {
      out.push_back(args[++i]);
      afterInput = true;
    } else if (arg.starts_with("--input=") || arg.starts_with("-input=")) {
      afterInput = true;
    }
  }
  return out;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions({&category, &spore::tools::cachedBuildCategory});
  cl::SetVersionPrinter(
      [](raw_ostream &os) { os << "spore-run 0.1.0 (LLVM/MLIR 22)\n"; });
  std::vector<const char *> cmdline = splitInputs(argc, argv);
  cl::ParseCommandLineOptions(
      (int)cmdline.size(), cmdline.data(),
      "spore-run: run one exported function of a Spore model on .npy files\n\n"
      "  spore-run model.py ENTRY --input x=x.npy --input w=w.npy --out DIR\n\n"
      "Results are written as DIR/ENTRY.0.npy, DIR/ENTRY.1.npy, ... The\n"
      "compiled model is cached, keyed by its IR and this executable.\n");

  mlir::DialectRegistry registry;
  driver::registerDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false); // diagnostics quote the source
  context.loadDialect<spore::SporeDialect>();
  auto module = spore::frontend::compileFile(modelPath, context);
  if (!module)
    return 1;
  if (noRuntimeChecks && failed(driver::stripRuntimeChecks(*module)))
    return 1;
  // Errors of later stages (differentiation) quote the source too.
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string moduleName = driver::moduleNameFromPath(modelPath);
  auto exports = driver::collectExports(*module, moduleName);
  auto entry = llvm::find_if(exports, [](const driver::ExportSignature &e) {
    return e.name == entryName;
  });
  if (entry == exports.end()) {
    std::string names;
    for (const auto &e : exports)
      names += (names.empty() ? "" : ", ") + e.name;
    return fail("'" + modelPath + "' exports no function named '" + entryName +
                "' (exports: " +
                (names.empty() ? "none; mark one with @export" : names) + ")");
  }

  // The state of a model with Parameters: loaded or initialised here, in
  // the runtime's state object that the compiled entry point and the
  // interpreter both read.
  auto stateBuffers = driver::collectState(*module);
  State state;
  if (stateBuffers.empty()) {
    for (auto *flag : {&statePath, &initState, &saveState})
      if (flag->getNumOccurrences())
        return fail("--" + flag->ArgStr + ": '" + modelPath +
                    "' has no state (no module-level Cell with Parameters)");
  } else {
    if (statePath.getNumOccurrences() == initState.getNumOccurrences())
      return fail("'" + modelPath + "' has state (" +
                  std::to_string(stateBuffers.size()) +
                  " Parameters): give exactly one of --state ckpt.npz and "
                  "--init-state SEED");
    std::string descriptor = spore::stateDescriptor(*module);
    if (spore_state_create(&state.s, descriptor.c_str(), nullptr))
      return fail(spore_last_error());
    if (initState.getNumOccurrences()) {
      uint64_t seed;
      if (StringRef(initState).getAsInteger(0, seed))
        return fail("--init-state '" + initState +
                    "' is not an unsigned 64-bit integer");
      if (spore_state_init(state.s, seed))
        return fail(spore_last_error());
    } else if (spore_state_load(state.s, statePath.c_str())) {
      return fail(spore_last_error());
    }
  }
  std::vector<std::unique_ptr<Tensor>> args;
  if (!bindInputs(*entry, args))
    return 1;

  auto saveAfterRun = [&]() -> int {
    if (saveState.getNumOccurrences() &&
        spore_state_save(state.s, saveState.c_str()))
      return fail(spore_last_error());
    return 0;
  };

  // Outputs: allocated here, written as .npy after the call.
  std::vector<std::unique_ptr<Tensor>> results;
  for (const Buffer &b : entry->outputs) {
    auto tensor = std::make_unique<Tensor>();
    spore_tensor &t = tensor->t;
    if (!dtypeFromName(b.dtype, t.dtype))
      return fail("result of dtype " + b.dtype + " cannot be written as .npy");
    t.rank = b.shape.size();
    llvm::copy(b.shape, t.shape);
    size_t bytes = spore_tensor_numel(&t) * spore_dtype_size(t.dtype);
    t.data = spore_aligned_alloc(64, bytes ? bytes : 1);
    if (!t.data)
      return fail(spore_last_error());
    results.push_back(std::move(tensor));
  }

  if (eager) {
    std::vector<spore_tensor> views(spore_state_count(state.s));
    std::vector<const spore_tensor *> all;
    for (auto [i, view] : llvm::enumerate(views)) {
      spore_state_tensor(state.s, i, nullptr, &view);
      all.push_back(&view);
    }
    for (auto &t : args)
      all.push_back(&t->t);
    // The interpreter runs the program with its transforms expanded.
    if (failed(driver::differentiate(*module)))
      return 1;
    if (failed(runEager(*module, *entry, all, results, state.s)))
      return 1;
    if (int rc = saveAfterRun())
      return rc;
    return writeResults(results);
  }

  std::string library =
      spore::tools::buildCachedLibrary(*module, moduleName, "spore-run");
  if (library.empty())
    return 1;
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return fail("cannot load '" + library + "': " + dlerror());
  std::string symbol = "__spore_packed_" + entry->symbol;
  using Packed = int (*)(void **);
  auto fn = reinterpret_cast<Packed>(dlsym(handle, symbol.c_str()));
  if (!fn)
    return fail("'" + library + "' has no symbol '" + symbol + "'");

  std::vector<void *> packed;
  if (state.s)
    packed.push_back(state.s);
  for (auto &t : args)
    packed.push_back(t->t.data);
  for (auto &t : results)
    packed.push_back(t->t.data);
  if (int rc = fn(packed.data()))
    return fail("'" + entry->name + "' failed (" + std::to_string(rc) +
                "): " + spore_last_error());
  if (int rc = saveAfterRun())
    return rc;
  return writeResults(results);
}
