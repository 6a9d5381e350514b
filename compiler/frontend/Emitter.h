//===- Emitter.h - the frontend's emitters --------------------------------===//
//
// Semantic analysis and IR emission share these classes: EValue (a value
// during emission: run-time tensor or compile-time constant, tuple, function
// or name), FunctionEmitter (expressions, primitives and statements of one
// function body) and ModuleEmitter (the module, its constants and the
// specialisations of its functions). Implemented across Emit*.cpp, one file
// per concern.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_FRONTEND_EMITTER_H
#define SPORE_FRONTEND_EMITTER_H

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Diagnostics.h"
#include "dialects/spore/SporeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace spore::frontend::detail {

using namespace spore::frontend::ast;
using llvm::ArrayRef;
using llvm::SMLoc;
using llvm::StringRef;
using mlir::FailureOr;
using mlir::RankedTensorType;
using mlir::Type;

/// A value during emission: a run-time tensor, a compile-time scalar (weakly
/// typed, folded as in Python), a tuple, or a name-like value (a function, a
/// dtype, a primitive).
struct EValue {
  enum Kind {
    Tensor,
    Int,
    Float,
    Bool,
    None,
    String,
    Tuple,
    Function,
    Primitive,
    DType,
    Module
  };
  Kind kind = None;
  mlir::Value tensor;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string str; // String contents, Primitive and Module names
  std::vector<EValue> elts;
  const Stmt *fn = nullptr; // Function
  Type dtype;               // DType

  static EValue ofTensor(mlir::Value v) {
    EValue e;
    e.kind = Tensor;
    e.tensor = v;
    return e;
  }
  static EValue ofInt(int64_t v) {
    EValue e;
    e.kind = Int;
    e.i = v;
    return e;
  }
  static EValue ofFloat(double v) {
    EValue e;
    e.kind = Float;
    e.f = v;
    return e;
  }
  static EValue ofBool(bool v) {
    EValue e;
    e.kind = Bool;
    e.b = v;
    return e;
  }
  static EValue ofTuple(std::vector<EValue> elts) {
    EValue e;
    e.kind = Tuple;
    e.elts = std::move(elts);
    return e;
  }
  static EValue named(Kind kind, StringRef name) {
    EValue e;
    e.kind = kind;
    e.str = name.str();
    return e;
  }
  bool isScalarConst() const {
    return kind == Int || kind == Float || kind == Bool;
  }
  bool isCompileTime() const {
    if (kind == Tuple)
      return llvm::all_of(elts,
                          [](const EValue &e) { return e.isCompileTime(); });
    return isScalarConst() || kind == None || kind == String;
  }
  RankedTensorType tensorType() const {
    return mlir::cast<RankedTensorType>(tensor.getType());
  }
  double asDouble() const {
    return kind == Float ? f : kind == Int ? (double)i : (double)b;
  }
};

/// The name of a type as the language writes it: `f32[3, 4]`, `i64`.
std::string typeName(Type t);
/// A phrase for a value in messages: "a tensor f32[3]", "the int 2".
std::string describe(const EValue &v);
/// Primitives of language.md §5 that parse and resolve but are not
/// implemented yet: calling one is a located "not supported yet" error.
const llvm::StringSet<> &plannedPrimitives();
/// Primitives implemented by this emitter.
const llvm::StringSet<> &primitives();
/// The element type named `name` (`f32`, `bool`, ...).
std::optional<Type> dtypeByName(mlir::MLIRContext *ctx, StringRef name);

class ModuleEmitter;

/// Arguments of a call bound to a primitive's parameters by position or
/// keyword, with defaults.
struct BoundArgs {
  std::vector<std::optional<EValue>> values;
  std::vector<SMLoc> locs;
  const EValue *get(size_t i) const {
    return values[i] ? &*values[i] : nullptr;
  }
};

class FunctionEmitter {
public:
  FunctionEmitter(ModuleEmitter &module, mlir::OpBuilder &builder)
      : m(module), b(builder) {}

  llvm::StringMap<EValue> scope;

  /// Emits `body`; sets `result` from its return statement.
  mlir::LogicalResult emitBody(const Body &body, std::optional<EValue> &result,
                               SMLoc &resultLoc);

  FailureOr<EValue> emitExpr(const Expr &e);

  // Helpers also used by the module emitter.
  mlir::Location loc(SMLoc l);
  FailureOr<EValue> materialize(const EValue &v, Type elementType, SMLoc l);
  FailureOr<EValue> toTensor(const EValue &v, SMLoc l);

private:
  ModuleEmitter &m;
  mlir::OpBuilder &b;
  unsigned depth = 0;

  mlir::LogicalResult fail(SMLoc l, const llvm::Twine &msg);
  mlir::LogicalResult bind(const Expr &target, const EValue &value);
  FailureOr<EValue> lookup(const Expr &e);
  FailureOr<EValue> emitUnary(const Expr &e);
  FailureOr<EValue> emitBinary(const Expr &e);
  FailureOr<EValue> binaryOp(StringRef op, const EValue &lhs, const EValue &rhs,
                             SMLoc l);
  FailureOr<EValue> foldBinary(StringRef op, const EValue &lhs,
                               const EValue &rhs, SMLoc l);
  FailureOr<EValue> emitCompare(const Expr &e);
  FailureOr<EValue> emitCall(const Expr &e);
  FailureOr<EValue> emitAttribute(const Expr &e);
  FailureOr<EValue> emitSubscript(const Expr &e);
  FailureOr<EValue> callPrimitive(StringRef name, std::vector<EValue> args,
                                  std::vector<SMLoc> argLocs,
                                  const std::vector<Keyword> &keywords,
                                  std::vector<EValue> kwValues, SMLoc l);
  FailureOr<BoundArgs> bindArgs(StringRef name, ArrayRef<StringRef> params,
                                size_t required, std::vector<EValue> &args,
                                std::vector<SMLoc> &argLocs,
                                const std::vector<Keyword> &keywords,
                                std::vector<EValue> &kwValues, SMLoc l);
  FailureOr<EValue> castTo(const EValue &v, Type elementType, SMLoc l);
  FailureOr<std::pair<EValue, EValue>> unify(StringRef op, const EValue &lhs,
                                             const EValue &rhs, SMLoc l);
  FailureOr<EValue> broadcastTo(const EValue &v, ArrayRef<int64_t> shape,
                                SMLoc l);
  FailureOr<llvm::SmallVector<int64_t>> axesOf(const EValue *axis, int64_t rank,
                                               SMLoc l);
  FailureOr<llvm::SmallVector<int64_t>> shapeOf(const EValue &v, SMLoc l);
  EValue constantTensor(RankedTensorType type, double value, SMLoc l);
};

class ModuleEmitter {
public:
  ModuleEmitter(unsigned bufferId, Diagnostics &diags, mlir::MLIRContext &ctx)
      : diags(diags), ctx(ctx), bufferId(bufferId), builder(&ctx) {}

  mlir::OwningOpRef<mlir::ModuleOp> run(const ast::Module &module);

  mlir::Location loc(SMLoc l) {
    auto &sm = diags.getSourceMgr();
    if (!l.isValid())
      return mlir::UnknownLoc::get(&ctx);
    auto [line, col] = sm.getLineAndColumn(l, bufferId);
    return mlir::FileLineColLoc::get(
        &ctx, sm.getMemoryBuffer(bufferId)->getBufferIdentifier(), line, col);
  }

  /// Reports an error; the result converts to any FailureOr.
  mlir::LogicalResult fail(SMLoc l, const llvm::Twine &msg) {
    diags.error(l, msg);
    return mlir::failure();
  }

  /// Calls `fn` with `args`: finds or emits its specialisation.
  FailureOr<EValue> call(const Stmt &fn, std::vector<EValue> args,
                         std::vector<SMLoc> argLocs,
                         const std::vector<Keyword> &keywords,
                         std::vector<EValue> kwValues, SMLoc l,
                         mlir::OpBuilder &callerBuilder);

  /// Resolves a type annotation: a tensor type, or a tuple of them.
  FailureOr<EValue> annotationType(const Expr &e);

  llvm::StringMap<EValue> globals;
  Diagnostics &diags;
  mlir::MLIRContext &ctx;

private:
  unsigned bufferId;
  mlir::OpBuilder builder;
  mlir::ModuleOp module;
  llvm::StringSet<> reservedNames;
  /// A specialisation: its function and how its results rebuild the value
  /// (tensor leaves in order are the results).
  struct Specialization {
    FuncOp func;
    EValue resultTemplate;
    bool inProgress = true;
  };
  std::map<std::string, Specialization> specializations;

  mlir::LogicalResult emitExport(const Stmt &fn);
  FailureOr<EValue> evalConstant(const Expr &e);
  std::string uniqueName(StringRef base);
  void collectLeaves(const EValue &v, std::vector<mlir::Value> &leaves);
  EValue rebuild(const EValue &tmpl, mlir::ValueRange results, size_t &next);
  std::string key(const EValue &v);
  FailureOr<Specialization *> specialize(const Stmt &fn,
                                         std::vector<EValue> args,
                                         SMLoc callLoc,
                                         std::optional<std::string> exportName);
};

} // namespace spore::frontend::detail

#endif // SPORE_FRONTEND_EMITTER_H
