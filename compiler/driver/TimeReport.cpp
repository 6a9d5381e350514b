//===- TimeReport.cpp - stage times for sporec --time-report --------------===//
//
// Each stage of a compilation (parsing, differentiation, the MLIR
// pipelines, LLVM's optimisation and code generation, linking) records its
// wall time while the report is on; sporec prints the table at the end.
//
//===----------------------------------------------------------------------===//

#include "compiler/driver/Driver.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace spore::driver;

TimeReport &TimeReport::get() {
  static TimeReport report;
  return report;
}

void TimeReport::add(llvm::StringRef stage, double seconds) {
  for (auto &[name, total] : stages)
    if (name == stage) {
      total += seconds;
      return;
    }
  stages.emplace_back(stage.str(), seconds);
}

void TimeReport::print(llvm::raw_ostream &os, llvm::StringRef input) const {
  os << "===" << std::string(70, '-') << "===\n"
     << "  sporec time report: " << input << "\n"
     << "===" << std::string(70, '-') << "===\n";
  double total = 0;
  for (const auto &[name, seconds] : stages)
    total += seconds;
  os << llvm::format("  %10s  %6s  %s\n", "wall (s)", "share", "stage");
  for (const auto &[name, seconds] : stages)
    os << llvm::format("  %10.4f  %5.1f%%  %s\n", seconds,
                       total > 0 ? 100.0 * seconds / total : 0.0, name.c_str());
  os << llvm::format("  %10.4f  %5.1f%%  %s\n", total, 100.0, "total");
  if (codegenParts)
    os << "  code generation: " << codegenParts->first
       << (codegenParts->first == 1 ? " part" : " parts") << " on "
       << codegenParts->second
       << (codegenParts->second == 1 ? " thread" : " threads") << ", "
       << glueFunctions << (glueFunctions == 1 ? " function" : " functions")
       << " of glue at -O0\n";
  if (objectBytes)
    os << "  object: " << *objectBytes << " bytes\n";
}

TimedStage::TimedStage(llvm::StringRef stage)
    : stage(stage.str()), start(std::chrono::steady_clock::now()) {}

TimedStage::~TimedStage() {
  TimeReport &report = TimeReport::get();
  if (report.enabled())
    report.add(stage, std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count());
}
