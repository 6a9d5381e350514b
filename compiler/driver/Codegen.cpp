//===- Codegen.cpp - machine code on every core ---------------------------===//
//
// Generates the object code of an optimised LLVM module. A large module is
// cut into partitions of whole functions, each partition is generated in
// its own LLVMContext on a thread of LLVM's pool, and the partitions'
// objects are linked into one relocatable object (`cc -r`) whose internal
// symbols are made local again (LLVM's objcopy library, as
// `llvm-objcopy --localize-hidden`).
//
// The partitions depend only on the module, never on the thread count, so
// the object's bytes are the same with 1 thread and with N. llvm::
// splitCodeGen (ParallelCG.h) ties the partitions to the threads and
// llvm::SplitModule spreads functions by a hash of their names, not by
// their size, which is why the split is done here.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Analysis/CFG.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/ObjCopy/ConfigManager.h"
#include "llvm/ObjCopy/ObjCopy.h"
#include "llvm/Object/Binary.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <algorithm>

using namespace spore::driver;

namespace {

/// LLVM instructions per partition; a module of fewer than two partitions'
/// worth is generated whole, with no bitcode round trip and no `cc -r`
/// link. At this size a part is worth a thread: MLP-S (12,100 instructions,
/// 2 parts) generates in 0.35 s on 2 threads against 0.52-0.57 s on 1.
constexpr uint64_t kInstructionsPerPartition = 6000;

/// The most partitions: more cores than this rarely help a single model,
/// and every partition repeats the module's declarations.
constexpr unsigned kMaxPartitions = 16;

/// The fewest instructions of a function generated without optimisation
/// as glue (markGlue).
constexpr uint64_t kGlueInstructions = 1000;

/// Glue is generated in about a quarter of the time per instruction, and
/// weighs that much in the split.
constexpr uint64_t kGlueWeight = 4;

/// Whether `inst` computes: arithmetic, or a floating-point or vector value.
bool computes(const llvm::Instruction &inst) {
  return llvm::isa<llvm::BinaryOperator, llvm::UnaryOperator>(inst) ||
         inst.getType()->isFPOrFPVectorTy() || inst.getType()->isVectorTy();
}

/// Which partition each defined global lands in, and how many there are.
struct Split {
  unsigned partitions = 1;
  llvm::DenseMap<const llvm::GlobalValue *, unsigned> partitionOf;
};

/// Functions go, largest first, to the partition with the fewest
/// instructions so far (the lowest index among equals); global variables
/// go to partition 0. A module with aliases, ifuncs or appending globals
/// (`llvm.used`, constructors) is not split: Spore emits none of them.
Split splitModule(const llvm::Module &module) {
  Split split;
  if (!module.alias_empty() || !module.ifunc_empty())
    return split;
  for (const llvm::GlobalVariable &global : module.globals())
    if (global.hasAppendingLinkage() || !global.hasName())
      return split;
  std::vector<std::pair<uint64_t, const llvm::Function *>> functions;
  uint64_t total = 0;
  for (const llvm::Function &fn : module) {
    if (fn.isDeclaration())
      continue;
    if (!fn.hasName() || fn.hasComdat())
      return split;
    uint64_t size = fn.getInstructionCount();
    if (fn.hasFnAttribute(llvm::Attribute::OptimizeNone))
      size /= kGlueWeight;
    size = std::max<uint64_t>(size, 1);
    functions.emplace_back(size, &fn);
    total += size;
  }
  uint64_t wanted = total / kInstructionsPerPartition;
  split.partitions = static_cast<unsigned>(std::min<uint64_t>(
      {wanted, kMaxPartitions, static_cast<uint64_t>(functions.size())}));
  if (split.partitions < 2) {
    split.partitions = 1;
    return split;
  }
  // Stable: equal sizes keep the module's order.
  std::stable_sort(
      functions.begin(), functions.end(),
      [](const auto &a, const auto &b) { return a.first > b.first; });
  std::vector<uint64_t> load(split.partitions, 0);
  for (auto [size, fn] : functions) {
    unsigned least = static_cast<unsigned>(
        std::min_element(load.begin(), load.end()) - load.begin());
    load[least] += size;
    split.partitionOf[fn] = least;
  }
  for (const llvm::GlobalVariable &global : module.globals())
    if (!global.isDeclaration())
      split.partitionOf[&global] = 0;
  return split;
}

/// Makes every internal definition of `module` a hidden external one, so
/// that the partitions can reach each other's; localizeHidden makes them
/// internal again in the linked object.
void externalize(llvm::Module &module) {
  auto hide = [](llvm::GlobalValue &value) {
    if (value.isDeclaration() || !value.hasLocalLinkage())
      return;
    value.setLinkage(llvm::GlobalValue::ExternalLinkage);
    value.setVisibility(llvm::GlobalValue::HiddenVisibility);
    value.setDSOLocal(true);
  };
  for (llvm::Function &fn : module)
    hide(fn);
  for (llvm::GlobalVariable &global : module.globals())
    hide(global);
}

/// Generates `module` into `os` with `machine`.
bool generate(llvm::Module &module, llvm::TargetMachine &machine,
              llvm::raw_pwrite_stream &os, std::string &error) {
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return false;
  }
  codegen.run(module);
  return true;
}

/// The message for a temporary file that could not be made, with the
/// folder ($TMPDIR or the system's).
std::string noTemporaryFile(std::error_code ec) {
  llvm::SmallString<128> dir;
  llvm::sys::path::system_temp_directory(/*erasedOnReboot=*/true, dir);
  return ("cannot create a temporary file in '" + dir + "': " + ec.message())
      .str();
}

/// Writes `bytes` to a new temporary file, whose path goes to `path`.
bool writeTemporary(llvm::StringRef bytes, llvm::SmallVectorImpl<char> &path,
                    std::string &error) {
  int fd;
  if (auto ec =
          llvm::sys::fs::createTemporaryFile("spore-part", "o", fd, path)) {
    error = noTemporaryFile(ec);
    return false;
  }
  llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
  os << bytes;
  os.close();
  if (std::error_code ec = os.error()) {
    error = "cannot write '" + std::string(path.data(), path.size()) +
            "': " + ec.message();
    os.clear_error(); // a stream left in error aborts when destroyed
    return false;
  }
  return true;
}

/// Links the partitions' objects into one relocatable object and makes the
/// symbols that externalize() hid local again.
bool combine(llvm::ArrayRef<llvm::SmallVector<char, 0>> objects,
             llvm::raw_pwrite_stream &out, std::string &error) {
  std::vector<llvm::SmallString<128>> parts(objects.size());
  llvm::SmallString<128> linked;
  auto cleanup = llvm::make_scope_exit([&] {
    for (auto &part : parts)
      if (!part.empty())
        llvm::sys::fs::remove(part);
    if (!linked.empty())
      llvm::sys::fs::remove(linked);
  });
  for (size_t i = 0; i < objects.size(); ++i)
    if (!writeTemporary(llvm::StringRef(objects[i].data(), objects[i].size()),
                        parts[i], error))
      return false;
  if (auto ec =
          llvm::sys::fs::createTemporaryFile("spore-linked", "o", linked)) {
    error = noTemporaryFile(ec);
    return false;
  }
  std::string program = linkerDriver(error);
  if (program.empty())
    return false;
  llvm::SmallVector<llvm::StringRef> args = {program, "-r", "-o", linked};
  for (auto &part : parts)
    args.push_back(part);
  std::string message;
  if (llvm::sys::ExecuteAndWait(program, args, std::nullopt, {}, 0, 0,
                                &message) != 0) {
    error = "linking the partitions failed" +
            (message.empty() ? "" : ": " + message);
    return false;
  }
  auto binary = llvm::object::createBinary(linked);
  if (!binary) {
    error = llvm::toString(binary.takeError());
    return false;
  }
  llvm::objcopy::ConfigManager config;
  config.ELF.LocalizeHidden = true;
  if (llvm::Error e = llvm::objcopy::executeObjcopyOnBinary(
          config, *binary->getBinary(), out)) {
    error = llvm::toString(std::move(e));
    return false;
  }
  return true;
}

} // namespace

/// Marks `optnone` the functions that only pass buffers around: at least
/// kGlueInstructions instructions, no loop, and at most one in 64 that
/// computes. Such are the step of a deep model once spore-outline-loops
/// has made its loop nests calls (thousands of allocations, calls and
/// frees in one block) and the C entry points of a model with hundreds of
/// Parameters. LLVM's instruction selection and register allocation grow
/// faster than linearly in the size of a block; generated at -O0 (fast
/// instruction selection and register allocation), the step of 32
/// transformer blocks takes 0.3 s instead of 1-2 s, and runs the same:
/// its time is in the functions it calls. Returns how many were marked.
unsigned spore::driver::markGlue(llvm::Module &module) {
  unsigned marked = 0;
  for (llvm::Function &fn : module) {
    if (fn.isDeclaration() || fn.hasFnAttribute(llvm::Attribute::AlwaysInline))
      continue;
    uint64_t size = fn.getInstructionCount();
    if (size < kGlueInstructions)
      continue;
    uint64_t computing = 0;
    for (const llvm::Instruction &inst : llvm::instructions(fn))
      computing += computes(inst);
    if (computing * 64 > size)
      continue;
    llvm::SmallVector<
        std::pair<const llvm::BasicBlock *, const llvm::BasicBlock *>>
        backEdges;
    llvm::FindFunctionBackedges(fn, backEdges);
    if (!backEdges.empty())
      continue;
    fn.removeFnAttr(llvm::Attribute::OptimizeForSize);
    fn.removeFnAttr(llvm::Attribute::MinSize);
    fn.addFnAttr(llvm::Attribute::NoInline);
    fn.addFnAttr(llvm::Attribute::OptimizeNone);
    ++marked;
  }
  return marked;
}

unsigned spore::driver::codegenThreads(unsigned requested) {
  return llvm::hardware_concurrency(requested).compute_thread_count();
}

bool spore::driver::generateObject(llvm::Module &module,
                                   const TargetMachineFactory &makeMachine,
                                   unsigned threads,
                                   llvm::raw_pwrite_stream &out,
                                   std::string &error) {
  unsigned glue = markGlue(module);
  Split split = splitModule(module);
  // One target machine per partition, made here: a machine is not shared
  // between threads, and making one is not thread-safe.
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (unsigned i = 0; i < split.partitions; ++i) {
    machines.push_back(makeMachine(error));
    if (!machines.back())
      return false;
  }
  unsigned workers = std::min(codegenThreads(threads), split.partitions);
  TimeReport::get().setCodegenParts(split.partitions, workers, glue);
  if (split.partitions == 1)
    return generate(module, *machines[0], out, error);

  // Cloned and written as bitcode here, in order; each thread reads its
  // partition into a context of its own (an LLVMContext is not shared
  // between threads).
  externalize(module);
  std::vector<llvm::SmallVector<char, 0>> bitcode(split.partitions);
  for (unsigned i = 0; i < split.partitions; ++i) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> part =
        llvm::CloneModule(module, map, [&](const llvm::GlobalValue *value) {
          auto it = split.partitionOf.find(value);
          return it != split.partitionOf.end() && it->second == i;
        });
    llvm::raw_svector_ostream os(bitcode[i]);
    llvm::WriteBitcodeToFile(*part, os);
  }

  std::vector<llvm::SmallVector<char, 0>> objects(split.partitions);
  std::vector<std::string> errors(split.partitions);
  auto run = [&](unsigned i) {
    llvm::LLVMContext context;
    auto part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(
            llvm::StringRef(bitcode[i].data(), bitcode[i].size()), "part"),
        context);
    if (!part) {
      errors[i] = llvm::toString(part.takeError());
      return;
    }
    llvm::raw_svector_ostream os(objects[i]);
    generate(**part, *machines[i], os, errors[i]);
  };
  if (workers <= 1) {
    for (unsigned i = 0; i < split.partitions; ++i)
      run(i);
  } else {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(workers));
    for (unsigned i = 0; i < split.partitions; ++i)
      pool.async(run, i);
    pool.wait();
  }
  for (std::string &e : errors)
    if (!e.empty()) {
      error = e;
      return false;
    }
  return combine(objects, out, error);
}
