// Unit tests of the reference interpreter: results, and the errors it
// returns (as values, not exceptions) for a failed check and for an op it
// has no kernel for.
#include "compiler/driver/Driver.h"
#include "compiler/interpreter/Interpreter.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include <catch2/catch.hpp>

using spore::interp::Tensor;

namespace {
struct Module {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  explicit Module(llvm::StringRef text) {
    mlir::DialectRegistry registry;
    spore::driver::registerDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    module = mlir::parseSourceString<mlir::ModuleOp>(text, &context);
    REQUIRE(module);
  }
  bool run(llvm::StringRef name, const std::vector<Tensor> &args,
           std::vector<Tensor> &results, std::string &error) {
    return spore::interp::run(*module, name, args, results, error);
  }
};

Tensor f32s(mlir::MLIRContext &ctx, std::vector<double> values) {
  Tensor t;
  t.elementType = mlir::Float32Type::get(&ctx);
  t.shape = {(int64_t)values.size()};
  t.f = std::move(values);
  return t;
}

const char *kModule = R"(
spore.func @scaled(%x: tensor<3xf32>) -> tensor<3xf32> {
  %two = spore.constant dense<2.5> : tensor<3xf32>
  %y = spore.mul %x, %two : tensor<3xf32>
  %z = spore.maximum %y, %x : tensor<3xf32>
  spore.return %z : tensor<3xf32>
}
spore.func @checked(%x: tensor<3xf32>) -> tensor<3xf32> {
  %zero = spore.constant dense<0.0> : tensor<3xf32>
  %bad = spore.constant dense<7> : tensor<i64>
  %ok = spore.constant dense<false> : tensor<i1>
  spore.assert %ok, "m.py:3:5: index {} is out of bounds"(%bad : tensor<i64>) : tensor<i1>
  spore.return %x : tensor<3xf32>
}
spore.func @unknown(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = arith.constant 1.0 : f32
  %d = arith.addf %c, %c : f32
  spore.return %x : tensor<3xf32>
}
)";
} // namespace

TEST_CASE("the interpreter runs elementwise ops, rounding to f32") {
  Module m(kModule);
  std::vector<Tensor> results;
  std::string error;
  REQUIRE(m.run("scaled", {f32s(m.context, {1.0, -2.0, 0.1})}, results, error));
  REQUIRE(results.size() == 1);
  CHECK(results[0].f[0] == 2.5);
  CHECK(results[0].f[1] == -2.0); // max(-5, -2)
  CHECK(results[0].f[2] == (double)(float)(0.1 * 2.5));
}

TEST_CASE("a failed check is an error with its message") {
  Module m(kModule);
  std::vector<Tensor> results;
  std::string error;
  CHECK_FALSE(m.run("checked", {f32s(m.context, {1, 2, 3})}, results, error));
  CHECK(error == "m.py:3:5: index 7 is out of bounds");
  CHECK(results.empty());
}

TEST_CASE("an op without a kernel is an error naming it") {
  Module m(kModule);
  std::vector<Tensor> results;
  std::string error;
  CHECK_FALSE(m.run("unknown", {f32s(m.context, {1, 2, 3})}, results, error));
  CHECK(error == "the interpreter has no kernel for 'arith.addf'");
}

TEST_CASE("a wrong call is an error") {
  Module m(kModule);
  std::vector<Tensor> results;
  std::string error;
  CHECK_FALSE(m.run("missing", {}, results, error));
  CHECK(error == "no function 'missing' in the module");
  CHECK_FALSE(m.run("scaled", {}, results, error));
  CHECK(error == "'scaled' takes 1 arguments, got 0");
}
