//===- Driver.cpp - from a spore module to artifacts ----------------------===//
//
// Pipelines, LLVM code generation, header emission and shared-library
// linking: everything between the frontend's module and the files a user
// links against.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"
#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <cctype>

#ifndef SPORE_LINKER_DRIVER
#define SPORE_LINKER_DRIVER "cc"
#endif

using namespace mlir;
using namespace spore::driver;

void spore::driver::registerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registry.insert<spore::SporeDialect>();
}

std::string spore::driver::moduleNameFromPath(llvm::StringRef path) {
  std::string stem = llvm::sys::path::stem(path).str();
  std::string name;
  for (char c : stem)
    name += std::isalnum((unsigned char)c) ? c : '_';
  if (name.empty() || std::isdigit((unsigned char)name[0]))
    name = "m_" + name;
  return name;
}

static std::string cTypeOf(Type t) {
  if (t.isF32())
    return "float";
  if (t.isF64())
    return "double";
  if (t.isF16() || t.isBF16())
    return "uint16_t";
  if (t.isInteger(1) || t.isInteger(8))
    return t.isInteger(1) ? "bool" : "int8_t";
  if (t.isInteger(32))
    return "int32_t";
  return "int64_t";
}

static ExportSignature::Buffer buffer(Type type, std::string name) {
  auto t = cast<RankedTensorType>(type);
  ExportSignature::Buffer b;
  b.name = std::move(name);
  b.cType = cTypeOf(t.getElementType());
  b.dtype = spore::dtypeName(t.getElementType());
  b.shape.assign(t.getShape().begin(), t.getShape().end());
  return b;
}

std::vector<ExportSignature::Buffer>
spore::driver::collectState(ModuleOp module) {
  std::vector<ExportSignature::Buffer> state;
  for (auto p : module.getOps<spore::ParameterOp>())
    state.push_back(buffer(p.getType(), p.getName().str()));
  return state;
}

std::string spore::driver::headerName(llvm::StringRef name,
                                      llvm::StringSet<> &taken) {
  static const llvm::StringSet<> reserved = {
      // C11
      "auto", "break", "case", "char", "const", "continue", "default", "do",
      "double", "else", "enum", "extern", "float", "for", "goto", "if",
      "inline", "int", "long", "register", "restrict", "return", "short",
      "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
      "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof",
      "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn",
      "_Static_assert", "_Thread_local",
      // C++17, alternative tokens included
      "alignas", "alignof", "and", "and_eq", "asm", "bitand", "bitor", "bool",
      "catch", "char16_t", "char32_t", "class", "compl", "constexpr",
      "const_cast", "decltype", "delete", "dynamic_cast", "explicit", "export",
      "false", "friend", "mutable", "namespace", "new", "noexcept", "not",
      "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected",
      "public", "reinterpret_cast", "static_assert", "static_cast", "template",
      "this", "thread_local", "throw", "true", "try", "typeid", "typename",
      "using", "virtual", "wchar_t", "xor", "xor_eq",
      // C++20, so that a header keeps compiling with newer standards
      "char8_t", "concept", "consteval", "constinit", "co_await", "co_return",
      "co_yield", "requires",
      // macros of <stdbool.h>, <stdint.h>, <stddef.h> and spore/runtime.h
      "NULL", "offsetof", "__bool_true_false_are_defined"};
  std::string result = name.str();
  // The limit macros of <stdint.h> and <stddef.h> (INT64_MAX, UINT8_C,
  // SIZE_MAX, ...) and spore/runtime.h's SPORE_ macros.
  auto isMacro = [](llvm::StringRef n) {
    bool limit = llvm::any_of(
        llvm::ArrayRef<llvm::StringRef>{"INT", "UINT", "SIZE_", "PTRDIFF_",
                                        "WCHAR_", "WINT_", "SIG_ATOMIC_"},
        [&](llvm::StringRef p) { return n.starts_with(p); });
    return n.starts_with("SPORE_") ||
           (limit &&
            (n.ends_with("_MAX") || n.ends_with("_MIN") || n.ends_with("_C")));
  };
  while (reserved.contains(result) || isMacro(result) ||
         taken.contains(llvm::StringRef(result).upper()))
    result += "_";
  taken.insert(llvm::StringRef(result).upper());
  return result;
}

std::vector<ExportSignature>
spore::driver::collectExports(ModuleOp module, llvm::StringRef moduleName) {
  std::vector<ExportSignature> exports;
  bool stateful = !module.getOps<spore::ParameterOp>().empty();
  for (auto fn : module.getOps<spore::FuncOp>()) {
    if (!fn.isExported())
      continue;
    ExportSignature sig;
    sig.name = fn.getSymName().str();
    sig.symbol = (moduleName + "_" + sig.name).str();
    llvm::StringSet<> none;
    sig.cppName = headerName(sig.name, none);
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      if (auto state = fn.getArgAttrOfType<StringAttr>(
              i, spore::ParameterOp::getStateAttrName())) {
        sig.state.push_back(buffer(fn.getArgumentTypes()[i], state.str()));
        continue;
      }
      auto name = fn.getArgAttrOfType<StringAttr>(
          i, spore::FuncOp::getArgNameAttrName());
      sig.inputs.push_back(
          buffer(fn.getArgumentTypes()[i],
                 name ? name.str() : "arg" + std::to_string(i)));
    }
    for (auto [i, type] : llvm::enumerate(fn.getResultTypes()))
      sig.outputs.push_back(buffer(type, "out" + std::to_string(i)));
    // The state's `s` and the results' names first, then the parameters in
    // order: a user's name gives way to the generated ones.
    llvm::StringSet<> taken;
    if (stateful)
      taken.insert("S");
    for (auto &b : sig.outputs)
      b.cName = headerName(b.name, taken);
    for (auto &b : sig.inputs)
      b.cName = headerName(b.name, taken);
    exports.push_back(std::move(sig));
  }
  return exports;
}

/// Marks a module whose transforms are expanded, so that the lowerings
/// below do not run the differentiation pipeline again.
static constexpr llvm::StringLiteral kDifferentiated = "spore.differentiated";

LogicalResult spore::driver::differentiate(ModuleOp module, bool inlineAll) {
  TimedStage timed("differentiate (spore-differentiate-pipeline)");
  PassManager pm(module->getContext());
  pm.enableVerifier(true);
  spore::buildDifferentiatePipeline(pm, /*shareFunctions=*/!inlineAll);
  if (failed(pm.run(module)))
    return failure();
  module->setAttr(kDifferentiated, UnitAttr::get(module->getContext()));
  return success();
}

LogicalResult spore::driver::stripRuntimeChecks(ModuleOp module) {
  PassManager pm(module->getContext());
  pm.enableVerifier(true);
  pm.addPass(spore::createSporeStripChecks());
  return pm.run(module);
}

LogicalResult spore::driver::lowerToLinalg(ModuleOp module) {
  PassManager pm(module->getContext());
  pm.enableVerifier(true);
  spore::buildLowerToLinalgPipeline(pm, !module->hasAttr(kDifferentiated));
  return pm.run(module);
}

LogicalResult spore::driver::lowerToLLVMDialect(ModuleOp module,
                                                llvm::StringRef moduleName,
                                                unsigned optLevel) {
  TimedStage timed("lower to the LLVM dialect (spore-cpu-pipeline)");
  PassManager pm(module->getContext());
  pm.enableVerifier(true);
  spore::CpuPipelineOptions options;
  options.prefix = moduleName.str();
  options.optLevel = optLevel;
  options.differentiate = !module->hasAttr(kDifferentiated);
  spore::buildCpuPipeline(pm, options);
  return pm.run(module);
}

static llvm::OptimizationLevel llvmOptLevel(unsigned level) {
  switch (level) {
  case 0:
    return llvm::OptimizationLevel::O0;
  case 1:
    return llvm::OptimizationLevel::O1;
  case 2:
    return llvm::OptimizationLevel::O2;
  default:
    return llvm::OptimizationLevel::O3;
  }
}

/// x86 instruction-set features whose absence makes code compiled with
/// them fault, as LLVM names them and as the object records them (the
/// names of __builtin_cpu_supports, which runtime/src/cpu.cpp checks at
/// the object's first call).
static const std::pair<const char *, const char *> kCheckedFeatures[] = {
    {"sse3", "sse3"},
    {"ssse3", "ssse3"},
    {"sse4.1", "sse4.1"},
    {"sse4.2", "sse4.2"},
    {"popcnt", "popcnt"},
    {"lzcnt", "lzcnt"},
    {"movbe", "movbe"},
    {"adx", "adx"},
    {"aes", "aes"},
    {"pclmul", "pclmul"},
    {"sha", "sha"},
    {"avx", "avx"},
    {"avx2", "avx2"},
    {"fma", "fma"},
    {"f16c", "f16c"},
    {"bmi", "bmi"},
    {"bmi2", "bmi2"},
    {"avxvnni", "avxvnni"},
    {"avxifma", "avxifma"},
    {"avxvnniint8", "avxvnniint8"},
    {"avxneconvert", "avxneconvert"},
    {"avx512f", "avx512f"},
    {"avx512cd", "avx512cd"},
    {"avx512dq", "avx512dq"},
    {"avx512bw", "avx512bw"},
    {"avx512vl", "avx512vl"},
    {"avx512ifma", "avx512ifma"},
    {"avx512vbmi", "avx512vbmi"},
    {"avx512vbmi2", "avx512vbmi2"},
    {"avx512vnni", "avx512vnni"},
    {"avx512bitalg", "avx512bitalg"},
    {"avx512vpopcntdq", "avx512vpopcntdq"},
    {"avx512bf16", "avx512bf16"},
    {"avx512fp16", "avx512fp16"},
    {"avx10.1", "avx10.1"},
    {"avx10.2", "avx10.2"},
    {"gfni", "gfni"},
    {"vpclmulqdq", "vpclmulqdq"},
    {"vaes", "vaes"},
    {"amx-tile", "amx-tile"},
    {"amx-int8", "amx-int8"},
    {"amx-bf16", "amx-bf16"},
    {"egpr", "apxf"}};

/// The target machine for `cpu` (an LLVM CPU name, or `host`), or null
/// with `error` set.
static std::unique_ptr<llvm::TargetMachine>
targetMachine(llvm::StringRef cpu, unsigned optLevel, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    error = "no LLVM target for " + triple.str() + ": " + error;
    return nullptr;
  }
  std::string name = cpu.str(), features;
  if (cpu == "host") {
    name = llvm::sys::getHostCPUName().str();
    for (auto &feature : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(feature.second ? "+" : "-") +
                  feature.first().str();
  }
  // Checked first: LLVM would warn on stderr and use a generic CPU.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!generic || !generic->isCPUStringValid(name)) {
    error = "unknown CPU '" + cpu.str() + "' for " + triple.str() +
            " (LLVM CPU names such as x86-64-v3 or znver4, or host; "
            "`llc -mcpu=help` lists them)";
    return nullptr;
  }
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, name, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      optLevel == 0 ? llvm::CodeGenOptLevel::None
                    : llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create the LLVM target machine for " + triple.str();
  return machine;
}

LogicalResult spore::driver::checkCpu(llvm::StringRef cpu, std::string &error) {
  return success(targetMachine(cpu, 2, error) != nullptr);
}

/// Makes every C entry point of `m` (external functions returning int
/// that are not the runtime's) check the CPU first: the entry point becomes
/// a small function compiled for the baseline x86-64, which calls
/// spore_check_cpu with the CPU and the checked features `machine`
/// compiles for and returns its code if it fails, and otherwise calls the
/// original code (renamed, internal, compiled for `machine`; LLVM does not
/// inline a function into one with fewer features). An object run on a CPU
/// without them reports it instead of dying of SIGILL, which even the
/// prologue of the original could raise (APX's push2 on diamondrapids).
static void guardCpuFeatures(llvm::Module &m, llvm::TargetMachine &machine) {
  if (!machine.getTargetTriple().isX86())
    return;
  const llvm::MCSubtargetInfo *sti = machine.getMCSubtargetInfo();
  std::string features;
  for (auto [llvmName, name] : kCheckedFeatures)
    if (sti->checkFeatures(std::string("+") + llvmName))
      features += (features.empty() ? "" : ",") + std::string(name);
  std::string description = machine.getTargetCPU().str() + ":" + features;
  llvm::LLVMContext &ctx = m.getContext();
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::FunctionCallee check = m.getOrInsertFunction(
      "spore_check_cpu", llvm::FunctionType::get(i32, {ptr}, false));
  std::vector<llvm::Function *> entries;
  for (llvm::Function &f : m) {
    llvm::StringRef name = f.getName();
    if (!f.isDeclaration() && f.hasExternalLinkage() &&
        f.getReturnType()->isIntegerTy(32) && !name.starts_with("spore_") &&
        !name.starts_with("__spore") && !name.starts_with("_mlir"))
      entries.push_back(&f);
  }
  if (entries.empty())
    return;
  llvm::Constant *init = llvm::ConstantDataArray::getString(ctx, description);
  auto *text = new llvm::GlobalVariable(m, init->getType(), true,
                                        llvm::GlobalValue::PrivateLinkage, init,
                                        "spore.cpu");
  for (llvm::Function *body : entries) {
    std::string name = body->getName().str();
    body->setName(name + ".body");
    body->setLinkage(llvm::GlobalValue::InternalLinkage);
    auto *entry = llvm::Function::Create(
        body->getFunctionType(), llvm::GlobalValue::ExternalLinkage, name, &m);
    entry->setAttributes(body->getAttributes());
    entry->addFnAttr("target-cpu", "x86-64");
    entry->removeFnAttr("target-features");
    entry->removeFnAttr("tune-cpu");
    auto *start = llvm::BasicBlock::Create(ctx, "", entry);
    auto *lacking = llvm::BasicBlock::Create(ctx, "cpu.lacking", entry);
    auto *run = llvm::BasicBlock::Create(ctx, "run", entry);
    llvm::IRBuilder<> b(start);
    llvm::Value *rc = b.CreateCall(check, {text});
    b.CreateCondBr(b.CreateICmpEQ(rc, b.getInt32(0)), run, lacking);
    b.SetInsertPoint(lacking);
    b.CreateRet(rc);
    b.SetInsertPoint(run);
    std::vector<llvm::Value *> args;
    for (llvm::Argument &a : entry->args())
      args.push_back(&a);
    b.CreateRet(b.CreateCall(body, args));
  }
}

LogicalResult spore::driver::emitNative(ModuleOp module, unsigned optLevel,
                                        LLVMOutput kind, llvm::StringRef path,
                                        llvm::StringRef cpu, unsigned threads) {
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule;
  {
    TimedStage timed("translate to LLVM IR");
    llvmModule = translateModuleToLLVMIR(module, llvmContext);
  }
  if (!llvmModule)
    return emitError(module.getLoc(), "translation to LLVM IR failed");

  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      targetMachine(cpu, optLevel, error);
  if (!machine)
    return emitError(module.getLoc(), error);
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());
  guardCpuFeatures(*llvmModule, *machine);

  if (optLevel > 0) {
    TimedStage optimise("LLVM optimisation (-O" + std::to_string(optLevel) +
                        ")");
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(machine.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm =
        pb.buildPerModuleDefaultPipeline(llvmOptLevel(optLevel));
    mpm.run(*llvmModule, mam);
  }

  std::error_code ec;
  llvm::ToolOutputFile out(path, ec,
                           kind == LLVMOutput::Object ? llvm::sys::fs::OF_None
                                                      : llvm::sys::fs::OF_Text);
  if (ec)
    return emitError(module.getLoc(), "cannot write '")
           << path << "': " << ec.message();
  if (kind == LLVMOutput::IR) {
    llvmModule->print(out.os(), nullptr);
  } else if (kind == LLVMOutput::Object) {
    TimedStage generate("code generation");
    auto makeMachine = [&](std::string &error) {
      return targetMachine(cpu, optLevel, error);
    };
    if (!generateObject(*llvmModule, makeMachine, threads, out.os(), error))
      return emitError(module.getLoc(), error);
  } else {
    TimedStage generate("code generation");
    markGlue(*llvmModule);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, out.os(), nullptr,
                                     llvm::CodeGenFileType::AssemblyFile))
      return emitError(module.getLoc(),
                       "the target cannot emit this kind of file");
    codegen.run(*llvmModule);
  }
  out.keep();
  out.os().flush();
  if (kind == LLVMOutput::Object && TimeReport::get().enabled()) {
    uint64_t bytes = 0;
    if (!llvm::sys::fs::file_size(path, bytes))
      TimeReport::get().setObjectSize(bytes);
  }
  return success();
}

static std::string shapeComment(const ExportSignature::Buffer &b) {
  std::string s = b.dtype + "[";
  for (size_t i = 0; i < b.shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(b.shape[i]);
  return s + "]";
}

static int64_t numel(const ExportSignature::Buffer &b) {
  int64_t n = 1;
  for (int64_t d : b.shape)
    n *= d;
  return n;
}

static std::string upper(llvm::StringRef s) { return s.upper(); }

/// The C++ namespace of a module (`int.py`: `int_`).
static std::string cppNamespace(llvm::StringRef moduleName) {
  llvm::StringSet<> none;
  return spore::driver::headerName(moduleName, none);
}

LogicalResult spore::driver::checkHeaderNames(
    ModuleOp module, const std::vector<ExportSignature> &exports,
    const std::vector<ExportSignature::Buffer> &state,
    llvm::StringRef moduleName) {
  // Every identifier the headers define at file or namespace scope, with
  // the export that defines it (nullptr: the module's own).
  llvm::StringMap<const ExportSignature *> defined;
  const ExportSignature *clash = nullptr, *first = nullptr;
  std::string what;
  auto define = [&](const std::string &name, const ExportSignature *by) {
    auto [it, inserted] = defined.try_emplace(name, by);
    if (!inserted && !clash) {
      clash = by;
      first = it->second;
      what = name;
    }
  };
  std::string st = moduleName.str() + "_state";
  if (!state.empty()) {
    define(st, nullptr);
    for (const char *f : {"_create", "_init", "_save", "_load", "_destroy"})
      define(st + f, nullptr);
  }
  if (!exports.empty())
    define(moduleName.str() + "_model", nullptr);
  for (const ExportSignature &sig : exports) {
    define(sig.symbol, &sig);
    define("::" + sig.cppName, &sig);        // C++: the namespace's function
    define("::" + sig.cppName + "_t", &sig); // and struct
    std::string prefix = upper(sig.symbol);
    for (const auto *buffers : {&sig.inputs, &sig.outputs})
      for (const auto &b : *buffers) {
        std::string p = prefix + "_" + upper(b.cName);
        define(p + "_RANK", &sig);
        define(p + "_NUMEL", &sig);
        for (size_t d = 0; d < b.shape.size(); ++d)
          define(p + "_DIM" + std::to_string(d), &sig);
      }
  }
  if (!clash)
    return success();
  auto fn = module.lookupSymbol<spore::FuncOp>(clash->name);
  auto diag = emitError(fn ? fn.getLoc() : module.getLoc())
              << "the export '" << clash->name << "' would define '"
              << llvm::StringRef(what).ltrim(':') << "' in the headers, as ";
  if (first)
    diag << "the export '" << first->name << "' does";
  else
    diag << "the model's own functions do";
  diag << "; rename one of them";
  return failure();
}

std::string
spore::driver::cHeader(const std::vector<ExportSignature> &exports,
                       const std::vector<ExportSignature::Buffer> &stateBuffers,
                       llvm::StringRef moduleName) {
  std::string guard = "SPORE_MODEL_" + upper(moduleName) + "_H";
  std::string h;
  llvm::raw_string_ostream os(h);
  os << "/* " << moduleName << ".h: C interface of the Spore model '"
     << moduleName << "'. Generated by sporec; do not edit.\n"
     << " *\n"
     << " * Buffers are dense, row-major host arrays owned by the caller. A\n"
     << " * result buffer must not overlap any other buffer of the call;\n"
     << " * inputs may overlap each other.\n"
     << " * Every function returns 0 on success and non-zero otherwise, with\n"
     << " * the message in spore_last_error(). */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdbool.h>\n#include <stdint.h>\n\n"
     << "#include \"spore/runtime.h\"\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  bool stateful = !stateBuffers.empty();
  std::string state = moduleName.str() + "_state";
  if (stateful) {
    os << "\n/* The state: the model's Parameters, created, then initialised\n"
       << " * from a seed or loaded from a file, and passed to every entry\n"
       << " * point. Saved as an .npz archive with these members:\n";
    for (const auto &p : stateBuffers)
      os << " *   " << p.name << ": " << shapeComment(p) << "\n";
    os << " */\n"
       << "typedef struct " << state << " " << state << ";\n"
       << "/* NULL options: CPU defaults. The Parameters start as zeros. */\n"
       << "int " << state << "_create(" << state
       << "** s, const spore_options* options);\n"
       << "int " << state << "_init(" << state << "* s, uint64_t seed);\n"
       << "int " << state << "_save(const " << state
       << "* s, const char* path);\n"
       << "/* Refuses a file whose members differ from the Parameters (name,\n"
       << " * dtype, shape) or that is corrupt, leaving the state unchanged. "
          "*/\n"
       << "int " << state << "_load(" << state << "* s, const char* path);\n"
       << "void " << state << "_destroy(" << state << "* s);\n";
  }
  if (!exports.empty())
    os << "\n/* The exports below, for generic callers such as the Trainer\n"
       << " * (spore/train.h): their names, signatures and entry points. */\n"
       << "const spore_model* " << moduleName << "_model(void);\n";
  for (const ExportSignature &sig : exports) {
    std::string prefix = upper(sig.symbol);
    os << "\n/* " << sig.name << "(";
    for (size_t i = 0; i < sig.inputs.size(); ++i)
      os << (i ? ", " : "") << sig.inputs[i].name << ": "
         << shapeComment(sig.inputs[i]);
    os << ") -> ";
    if (sig.outputs.size() != 1)
      os << "(";
    for (size_t i = 0; i < sig.outputs.size(); ++i)
      os << (i ? ", " : "") << shapeComment(sig.outputs[i]);
    if (sig.outputs.size() != 1)
      os << ")";
    os << " */\n";
    auto constants = [&](const ExportSignature::Buffer &b) {
      std::string p = prefix + "_" + upper(b.cName);
      os << "#define " << p << "_RANK " << b.shape.size() << "\n";
      os << "#define " << p << "_NUMEL " << numel(b) << "\n";
      for (size_t d = 0; d < b.shape.size(); ++d)
        os << "#define " << p << "_DIM" << d << " " << b.shape[d] << "\n";
    };
    for (auto &b : sig.inputs)
      constants(b);
    for (auto &b : sig.outputs)
      constants(b);
    os << "int " << sig.symbol << "(";
    bool first = true;
    if (stateful) {
      os << state << "* s";
      first = false;
    }
    for (auto &b : sig.inputs) {
      os << (first ? "" : ", ") << "const " << b.cType << "* " << b.cName
         << " /* " << shapeComment(b) << " */";
      first = false;
    }
    for (auto &b : sig.outputs) {
      os << (first ? "" : ", ") << b.cType << "* " << b.cName << " /* "
         << shapeComment(b) << " */";
      first = false;
    }
    if (first)
      os << "void";
    os << ");\n";
  }
  os << "\n#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* "
     << guard << " */\n";
  return h;
}

std::string
spore::driver::cppHeader(const std::vector<ExportSignature> &exports,
                         const std::vector<ExportSignature::Buffer> &state,
                         llvm::StringRef moduleName) {
  std::string guard = "SPORE_MODEL_" + upper(moduleName) + "_HPP";
  std::string h;
  llvm::raw_string_ostream os(h);
  os << "// " << moduleName << ".hpp: C++ interface of the Spore model '"
     << moduleName << "'. Generated by sporec; do not edit.\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include \"" << moduleName << ".h\"\n\n"
     << "#include <array>\n#include <cstdint>\n\n"
     << "namespace " << cppNamespace(moduleName) << " {\n";
  for (const ExportSignature &sig : exports) {
    os << "\n/// " << sig.name << ": shapes of its buffers and a call that "
       << "returns 0 on success.\nstruct " << sig.cppName << "_t {\n";
    auto shape = [&](const ExportSignature::Buffer &b) {
      os << "  static constexpr std::array<int64_t, " << b.shape.size() << "> "
         << b.cName << "_shape{";
      for (size_t i = 0; i < b.shape.size(); ++i)
        os << (i ? ", " : "") << b.shape[i];
      os << "};\n  static constexpr int64_t " << b.cName
         << "_numel = " << numel(b) << ";\n";
    };
    for (auto &b : sig.inputs)
      shape(b);
    for (auto &b : sig.outputs)
      shape(b);
    os << "};\n\ninline int " << sig.cppName << "(";
    bool first = true;
    std::string args;
    if (!state.empty()) {
      os << moduleName << "_state *s";
      args = "s";
      first = false;
    }
    for (auto &b : sig.inputs) {
      os << (first ? "" : ", ") << "const " << b.cType << " *" << b.cName;
      args += (first ? "" : ", ") + b.cName;
      first = false;
    }
    for (auto &b : sig.outputs) {
      os << (first ? "" : ", ") << b.cType << " *" << b.cName;
      args += (first ? "" : ", ") + b.cName;
      first = false;
    }
    os << ") {\n  return ::" << sig.symbol << "(" << args << ");\n}\n";
  }
  os << "\n} // namespace " << cppNamespace(moduleName) << "\n\n#endif // "
     << guard << "\n";
  return h;
}

static LogicalResult writeFile(llvm::StringRef path, llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    llvm::errs() << "error: cannot write '" << path << "': " << ec.message()
                 << "\n";
    return failure();
  }
  os << text;
  return success();
}

LogicalResult
spore::driver::writeHeaders(const std::vector<ExportSignature> &exports,
                            const std::vector<ExportSignature::Buffer> &state,
                            llvm::StringRef moduleName, llvm::StringRef dir) {
  llvm::SmallString<256> h(dir), hpp(dir);
  llvm::sys::path::append(h, moduleName + ".h");
  llvm::sys::path::append(hpp, moduleName + ".hpp");
  if (failed(writeFile(h, cHeader(exports, state, moduleName))) ||
      failed(writeFile(hpp, cppHeader(exports, state, moduleName))))
    return failure();
  return success();
}

std::string spore::driver::linkerDriver(std::string &error) {
  std::string program = SPORE_LINKER_DRIVER;
  if (llvm::sys::fs::exists(program))
    return program;
  if (auto found = llvm::sys::findProgramByName("cc"))
    return *found;
  error = "no C compiler driver found";
  return "";
}

LogicalResult spore::driver::linkShared(llvm::StringRef object,
                                        llvm::StringRef output) {
  TimedStage timed("link the shared library");
  std::string error;
  std::string program = linkerDriver(error);
  if (program.empty()) {
    llvm::errs() << "error: " << error << " to link '" << output << "'\n";
    return failure();
  }
  llvm::SmallVector<llvm::StringRef> args = {program, "-shared", "-o",
                                             output,  object,    "-lm"};
  // Compiled code may call libspore_runtime (print, errors): link it from
  // the lib/ beside this tool's bin/ (the build tree and an install alike),
  // with an rpath so that the library loads without LD_LIBRARY_PATH.
  std::string self =
      llvm::sys::fs::getMainExecutable(nullptr, (void *)&linkShared);
  llvm::SmallString<256> libDir(
      llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(libDir, "lib");
  std::string searchFlag = ("-L" + libDir).str();
  std::string rpathFlag = ("-Wl,-rpath," + libDir).str();
  llvm::SmallString<256> runtimeLib(libDir);
  llvm::sys::path::append(runtimeLib, "libspore_runtime.so");
  if (llvm::sys::fs::exists(runtimeLib)) {
    args.push_back(searchFlag);
    args.push_back(rpathFlag);
    args.push_back("-lspore_runtime");
  }
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, args, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc != 0) {
    llvm::errs() << "error: linking '" << output << "' failed"
                 << (message.empty() ? "" : ": " + message) << "\n";
    return failure();
  }
  return success();
}

LogicalResult
spore::driver::buildSharedLibrary(ModuleOp module, llvm::StringRef moduleName,
                                  unsigned optLevel, llvm::StringRef output,
                                  llvm::StringRef cpu, unsigned threads) {
  if (failed(lowerToLLVMDialect(module, moduleName, optLevel)))
    return emitError(module.getLoc(), "lowering to LLVM failed");
  llvm::SmallString<128> object;
  if (auto ec = llvm::sys::fs::createTemporaryFile(moduleName, "o", object))
    return emitError(module.getLoc(), "cannot create a temporary file: ")
           << ec.message();
  LogicalResult result =
      emitNative(module, optLevel, LLVMOutput::Object, object, cpu, threads);
  if (succeeded(result))
    result = linkShared(object, output);
  llvm::sys::fs::remove(object);
  return result;
}
