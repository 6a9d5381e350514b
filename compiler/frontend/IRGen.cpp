//===- IRGen.cpp - checks the AST and emits spore IR
//------------------------===//
//
// One walk over the AST that resolves names, computes types and shapes,
// folds compile-time values, specialises generic functions per call and
// emits spore ops. Every error is located at the AST node that caused it.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"
#include "dialects/spore/SporeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>
#include <map>
#include <optional>

using namespace spore;
using namespace spore::frontend;
using namespace spore::frontend::ast;
using llvm::ArrayRef;
using llvm::SMLoc;
using llvm::StringRef;
using mlir::FailureOr;
using mlir::RankedTensorType;
using mlir::Type;

namespace {

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

std::string typeName(Type t) {
  auto tt = mlir::dyn_cast<RankedTensorType>(t);
  if (!tt)
    return dtypeName(t);
  std::string s = dtypeName(tt.getElementType());
  if (tt.getRank() == 0)
    return s;
  return s + formatShape(tt.getShape());
}

std::string describe(const EValue &v) {
  switch (v.kind) {
  case EValue::Tensor:
    return "a tensor " + typeName(v.tensor.getType());
  case EValue::Int:
    return "the int " + std::to_string(v.i);
  case EValue::Float:
    return "a float";
  case EValue::Bool:
    return "a bool";
  case EValue::None:
    return "None";
  case EValue::String:
    return "a string";
  case EValue::Tuple:
    return "a tuple of " + std::to_string(v.elts.size());
  case EValue::Function:
    return "the function '" + v.fn->name + "'";
  case EValue::Primitive:
    return "the primitive '" + v.str + "'";
  case EValue::DType:
    return "the dtype " + dtypeName(v.dtype);
  case EValue::Module:
    return "the module '" + v.str + "'";
  }
  return "a value";
}

/// Primitives of language.md §5 that parse and resolve but are not
/// implemented yet: calling one is a located "not supported yet" error.
const llvm::StringSet<> &plannedPrimitives() {
  static const llvm::StringSet<> names = {
      "abs",         "expm1",         "log1p",      "sqrt",
      "rsqrt",       "sin",           "cos",        "tan",
      "sinh",        "cosh",          "asin",       "acos",
      "atan",        "atan2",         "gelu",       "silu",
      "softplus",    "erf",           "where",      "clip",
      "sign",        "floor",         "ceil",       "round",
      "isnan",       "prod",          "min",        "logsumexp",
      "var",         "std",           "argmax",     "argmin",
      "any",         "all",           "cumsum",     "dot",
      "einsum",      "outer",         "tril",       "triu",
      "diag",        "expand_dims",   "squeeze",    "concatenate",
      "stack",       "split",         "slice",      "pad",
      "flip",        "tile",          "repeat",     "gather",
      "scatter_add", "one_hot",       "zeros_like", "ones_like",
      "arange",      "linspace",      "eye",        "cross_entropy",
      "mse",         "layer_norm",    "rms_norm",   "dropout",
      "conv2d",      "max_pool2d",    "avg_pool2d", "attention",
      "rng",         "split",         "normal",     "uniform",
      "bernoulli",   "randint",       "grad",       "value_and_grad",
      "vjp",         "jvp",           "jacfwd",     "jacrev",
      "hessian",     "stop_gradient", "custom_vjp", "checkpoint",
      "print",       "dim",           "Cell",       "Parameter",
      "Dense",       "Conv2d",        "LayerNorm",  "Embedding",
      "Dropout",     "Sequential",    "SGD",        "Momentum",
      "Adam",        "AdamW",         "range",      "len"};
  return names;
}

/// Primitives implemented by this emitter.
const llvm::StringSet<> &primitives() {
  static const llvm::StringSet<> names = {
      "relu",    "exp",         "log",     "tanh",      "sigmoid",
      "neg",     "maximum",     "minimum", "matmul",    "sum",
      "mean",    "max",         "reshape", "transpose", "broadcast_to",
      "softmax", "log_softmax", "astype",  "pow",       "zeros",
      "ones",    "full"};
  return names;
}

std::optional<Type> dtypeByName(mlir::MLIRContext *ctx, StringRef name) {
  mlir::Builder b(ctx);
  if (name == "f16")
    return b.getF16Type();
  if (name == "bf16")
    return b.getBF16Type();
  if (name == "f32")
    return b.getF32Type();
  if (name == "f64")
    return b.getF64Type();
  if (name == "i1" || name == "bool")
    return b.getI1Type();
  if (name == "i8")
    return b.getIntegerType(8);
  if (name == "i32")
    return b.getIntegerType(32);
  if (name == "i64")
    return b.getIntegerType(64);
  return std::nullopt;
}

/// A failure that was already reported.
struct Reported {};

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

//===----------------------------------------------------------------------===//
// FunctionEmitter
//===----------------------------------------------------------------------===//

mlir::Location FunctionEmitter::loc(SMLoc l) { return m.loc(l); }

mlir::LogicalResult FunctionEmitter::fail(SMLoc l, const llvm::Twine &msg) {
  return m.fail(l, msg);
}

EValue FunctionEmitter::constantTensor(RankedTensorType type, double value,
                                       SMLoc l) {
  Type et = type.getElementType();
  mlir::Attribute attr;
  if (mlir::isa<mlir::FloatType>(et))
    attr = b.getFloatAttr(et, value);
  else if (et.isInteger(1))
    attr = b.getIntegerAttr(et, value != 0);
  else
    attr = b.getIntegerAttr(et, (int64_t)value);
  auto dense = mlir::DenseElementsAttr::get(type, attr);
  return EValue::ofTensor(ConstantOp::create(b, loc(l), dense));
}

FailureOr<EValue> FunctionEmitter::materialize(const EValue &v,
                                               Type elementType, SMLoc l) {
  if (v.kind == EValue::Tensor)
    return castTo(v, elementType, l);
  if (!v.isScalarConst())
    return fail(l, "expected a tensor or a number, got " + describe(v));
  if (v.kind == EValue::Int && !mlir::isa<mlir::FloatType>(elementType) &&
      !elementType.isInteger(1)) {
    unsigned width = elementType.getIntOrFloatBitWidth();
    if (width < 64 && (v.i >= (int64_t(1) << (width - 1)) ||
                       v.i < -(int64_t(1) << (width - 1))))
      return fail(l, "the integer " + std::to_string(v.i) +
                         " does not fit in " + dtypeName(elementType));
    auto type = RankedTensorType::get({}, elementType);
    auto dense =
        mlir::DenseElementsAttr::get(type, b.getIntegerAttr(elementType, v.i));
    return EValue::ofTensor(ConstantOp::create(b, loc(l), dense));
  }
  return constantTensor(RankedTensorType::get({}, elementType), v.asDouble(),
                        l);
}

FailureOr<EValue> FunctionEmitter::toTensor(const EValue &v, SMLoc l) {
  if (v.kind == EValue::Tensor)
    return v;
  if (v.kind == EValue::Int)
    return materialize(v, b.getI64Type(), l);
  if (v.kind == EValue::Float)
    return materialize(v, b.getF32Type(), l);
  if (v.kind == EValue::Bool)
    return materialize(v, b.getI1Type(), l);
  return fail(l, "expected a tensor, got " + describe(v));
}

FailureOr<EValue> FunctionEmitter::castTo(const EValue &v, Type elementType,
                                          SMLoc l) {
  if (v.kind != EValue::Tensor)
    return materialize(v, elementType, l);
  RankedTensorType t = v.tensorType();
  if (t.getElementType() == elementType)
    return v;
  auto type = RankedTensorType::get(t.getShape(), elementType);
  return EValue::ofTensor(CastOp::create(b, loc(l), type, v.tensor));
}

FailureOr<EValue> FunctionEmitter::broadcastTo(const EValue &v,
                                               ArrayRef<int64_t> shape,
                                               SMLoc l) {
  RankedTensorType t = v.tensorType();
  if (t.getShape() == shape)
    return v;
  auto type = RankedTensorType::get(shape, t.getElementType());
  return EValue::ofTensor(BroadcastToOp::create(b, loc(l), type, v.tensor));
}

static int rankOfInt(Type t) {
  if (t.isInteger(1))
    return 0;
  return t.getIntOrFloatBitWidth();
}

/// Brings two operands to one element type (weak literals adopt the
/// tensor's; ints meet floats as floats; floats never mix silently).
FailureOr<std::pair<EValue, EValue>> FunctionEmitter::unify(StringRef op,
                                                            const EValue &lhs,
                                                            const EValue &rhs,
                                                            SMLoc l) {
  auto floatOf = [](Type t) { return mlir::isa<mlir::FloatType>(t); };
  if (lhs.kind != EValue::Tensor && rhs.kind != EValue::Tensor)
    return mlir::failure();
  if (lhs.kind != EValue::Tensor || rhs.kind != EValue::Tensor) {
    const EValue &t = lhs.kind == EValue::Tensor ? lhs : rhs;
    const EValue &c = lhs.kind == EValue::Tensor ? rhs : lhs;
    if (!c.isScalarConst())
      return fail(l, "unsupported operand for '" + op + "': " + describe(c));
    Type et = t.tensorType().getElementType();
    EValue tv = t;
    if (c.kind == EValue::Float && !floatOf(et)) {
      et = b.getF32Type();
      auto cast = castTo(t, et, l);
      if (failed(cast))
        return mlir::failure();
      tv = *cast;
    } else if (c.kind == EValue::Int && et.isInteger(1)) {
      et = b.getI64Type();
      auto cast = castTo(t, et, l);
      if (failed(cast))
        return mlir::failure();
      tv = *cast;
    }
    auto cv = materialize(c, et, l);
    if (failed(cv))
      return mlir::failure();
    if (lhs.kind == EValue::Tensor)
      return std::make_pair(tv, *cv);
    return std::make_pair(*cv, tv);
  }
  Type a = lhs.tensorType().getElementType();
  Type c = rhs.tensorType().getElementType();
  if (a == c)
    return std::make_pair(lhs, rhs);
  Type target;
  if (floatOf(a) && floatOf(c)) {
    return fail(l, "operands of '" + op + "' have different floating dtypes " +
                       dtypeName(a) + " and " + dtypeName(c) +
                       "; convert one with astype, e.g. x.astype(" +
                       dtypeName(a) + ")");
  }
  if (floatOf(a))
    target = a;
  else if (floatOf(c))
    target = c;
  else
    target = rankOfInt(a) >= rankOfInt(c) ? a : c;
  auto x = castTo(lhs, target, l);
  auto y = castTo(rhs, target, l);
  if (failed(x) || failed(y))
    return mlir::failure();
  return std::make_pair(*x, *y);
}

FailureOr<EValue> FunctionEmitter::foldBinary(StringRef op, const EValue &x,
                                              const EValue &y, SMLoc l) {
  bool ints = x.kind != EValue::Float && y.kind != EValue::Float;
  if (ints) {
    int64_t a = x.kind == EValue::Int ? x.i : (int64_t)x.b;
    int64_t c = y.kind == EValue::Int ? y.i : (int64_t)y.b;
    int64_t r;
    if (op == "+" && !__builtin_add_overflow(a, c, &r))
      return EValue::ofInt(r);
    if (op == "-" && !__builtin_sub_overflow(a, c, &r))
      return EValue::ofInt(r);
    if (op == "*" && !__builtin_mul_overflow(a, c, &r))
      return EValue::ofInt(r);
    if (op == "+" || op == "-" || op == "*")
      return fail(l, "integer overflow in a compile-time '" + op + "'");
    if (op == "//" || op == "%") {
      if (c == 0)
        return fail(l, "integer division by zero");
      if (a == INT64_MIN && c == -1)
        return fail(l, "integer overflow in a compile-time '" + op + "'");
      int64_t q = a / c, rem = a % c;
      if (rem != 0 && ((rem < 0) != (c < 0))) {
        --q;
        rem += c;
      }
      return EValue::ofInt(op == "//" ? q : rem);
    }
    if (op == "**" && c >= 0) {
      int64_t acc = 1;
      for (int64_t k = 0; k < c; ++k)
        if (__builtin_mul_overflow(acc, a, &acc))
          return fail(l, "integer overflow in a compile-time '**'");
      return EValue::ofInt(acc);
    }
  }
  double a = x.asDouble(), c = y.asDouble();
  if (op == "+")
    return EValue::ofFloat(a + c);
  if (op == "-")
    return EValue::ofFloat(a - c);
  if (op == "*")
    return EValue::ofFloat(a * c);
  if (op == "/") {
    if (c == 0)
      return fail(l, "division by zero");
    return EValue::ofFloat(a / c);
  }
  if (op == "//" || op == "%") {
    if (c == 0)
      return fail(l, "division by zero");
    double q = std::floor(a / c);
    return EValue::ofFloat(op == "//" ? q : a - q * c);
  }
  if (op == "**")
    return EValue::ofFloat(std::pow(a, c));
  return fail(l, "operator '" + op + "' is not supported on numbers yet");
}

FailureOr<EValue> FunctionEmitter::binaryOp(StringRef op, const EValue &lhs,
                                            const EValue &rhs, SMLoc l) {
  if (lhs.isScalarConst() && rhs.isScalarConst())
    return foldBinary(op, lhs, rhs, l);
  if (op == "+" && lhs.kind == EValue::Tuple && rhs.kind == EValue::Tuple) {
    std::vector<EValue> elts = lhs.elts;
    elts.insert(elts.end(), rhs.elts.begin(), rhs.elts.end());
    return EValue::ofTuple(std::move(elts));
  }
  for (const EValue *v : {&lhs, &rhs})
    if (v->kind != EValue::Tensor && !v->isScalarConst())
      return fail(l, "unsupported operand for '" + op + "': " + describe(*v));
  if (op == "@") {
    auto x = toTensor(lhs, l), y = toTensor(rhs, l);
    if (failed(x) || failed(y))
      return mlir::failure();
    auto u = unify(op, *x, *y, l);
    if (failed(u))
      return mlir::failure();
    auto [p, q] = *u;
    std::string why;
    auto shape =
        matmulShape(p.tensorType().getShape(), q.tensorType().getShape(), why);
    if (failed(shape))
      return fail(l, "invalid operands for '@': " + why);
    auto type = RankedTensorType::get(*shape, p.tensorType().getElementType());
    return EValue::ofTensor(
        MatmulOp::create(b, loc(l), type, p.tensor, q.tensor));
  }
  if (op != "+" && op != "-" && op != "*" && op != "/" && op != "**" &&
      op != "maximum" && op != "minimum")
    return fail(l, "operator '" + op + "' on tensors is not supported yet");
  auto u = unify(op, lhs, rhs, l);
  if (failed(u))
    return mlir::failure();
  auto [x, y] = *u;
  Type et = x.tensorType().getElementType();
  if (et.isInteger(1))
    return fail(l, "arithmetic '" + op +
                       "' on bool tensors is not supported; convert with "
                       "astype first");
  if ((op == "/" || op == "**") && !mlir::isa<mlir::FloatType>(et)) {
    // True division and powers of integers are floating, as in Python.
    auto fx = castTo(x, b.getF32Type(), l), fy = castTo(y, b.getF32Type(), l);
    if (failed(fx) || failed(fy))
      return mlir::failure();
    x = *fx;
    y = *fy;
  }
  auto shape =
      broadcastShapes(x.tensorType().getShape(), y.tensorType().getShape());
  if (failed(shape))
    return fail(l, "operands of '" + op + "' have shapes " +
                       formatShape(x.tensorType().getShape()) + " and " +
                       formatShape(y.tensorType().getShape()) +
                       ", which do not broadcast");
  auto bx = broadcastTo(x, *shape, l), by = broadcastTo(y, *shape, l);
  if (failed(bx) || failed(by))
    return mlir::failure();
  mlir::Value p = bx->tensor, q = by->tensor;
  mlir::Location ml = loc(l);
  mlir::Value r;
  if (op == "+")
    r = AddOp::create(b, ml, p.getType(), p, q);
  else if (op == "-")
    r = SubOp::create(b, ml, p.getType(), p, q);
  else if (op == "*")
    r = MulOp::create(b, ml, p.getType(), p, q);
  else if (op == "/")
    r = DivOp::create(b, ml, p.getType(), p, q);
  else if (op == "**")
    r = PowOp::create(b, ml, p.getType(), p, q);
  else if (op == "maximum")
    r = MaximumOp::create(b, ml, p.getType(), p, q);
  else
    r = MinimumOp::create(b, ml, p.getType(), p, q);
  return EValue::ofTensor(r);
}

FailureOr<EValue> FunctionEmitter::emitExpr(const Expr &e) {
  struct Guard {
    unsigned &d;
    Guard(unsigned &d) : d(d) { ++d; }
    ~Guard() { --d; }
  } guard(depth);
  if (depth > 400)
    return fail(e.loc, "expression is nested too deeply");
  switch (e.kind) {
  case ExprKind::Name:
    return lookup(e);
  case ExprKind::Int:
    if (e.intOverflow)
      return fail(e.loc, "integer literal " + e.name +
                             " does not fit in a 64-bit integer");
    return EValue::ofInt(e.intValue);
  case ExprKind::Float:
    return EValue::ofFloat(e.floatValue);
  case ExprKind::Bool:
    return EValue::ofBool(e.boolValue);
  case ExprKind::None:
    return EValue();
  case ExprKind::String: {
    EValue v;
    v.kind = EValue::String;
    v.str = e.name;
    return v;
  }
  case ExprKind::Tuple:
  case ExprKind::List: {
    std::vector<EValue> elts;
    for (auto &elt : e.elts) {
      if (elt->kind == ExprKind::Starred)
        return fail(elt->loc, "starred expressions are not supported yet");
      auto v = emitExpr(*elt);
      if (failed(v))
        return mlir::failure();
      elts.push_back(*v);
    }
    return EValue::ofTuple(std::move(elts));
  }
  case ExprKind::Unary:
    return emitUnary(e);
  case ExprKind::Binary:
    return emitBinary(e);
  case ExprKind::Compare:
    return emitCompare(e);
  case ExprKind::BoolOp: {
    std::vector<EValue> vals;
    for (auto &elt : e.elts) {
      auto v = emitExpr(*elt);
      if (failed(v))
        return mlir::failure();
      if (!v->isScalarConst())
        return fail(elt->loc,
                    "'" + e.name + "' on run-time values is not supported yet");
      vals.push_back(*v);
    }
    // Python semantics: the first falsy (and) / truthy (or) operand.
    bool isAnd = e.name == "and";
    for (auto &v : vals)
      if ((v.asDouble() != 0) != isAnd)
        return v;
    return vals.back();
  }
  case ExprKind::IfExp: {
    auto c = emitExpr(*e.cond);
    if (failed(c))
      return mlir::failure();
    if (!c->isScalarConst())
      return fail(e.cond->loc, "a conditional expression on a run-time "
                               "condition is not supported yet");
    return emitExpr(c->asDouble() != 0 ? *e.lhs : *e.rhs);
  }
  case ExprKind::Call:
    return emitCall(e);
  case ExprKind::Attribute:
    return emitAttribute(e);
  case ExprKind::Subscript:
    return emitSubscript(e);
  case ExprKind::Lambda:
    return fail(e.loc, "lambda expressions are not supported yet");
  case ExprKind::Ellipsis:
  case ExprKind::Slice:
    return fail(e.loc, "'...' and slices are only valid inside an index "
                       "(indexing is not supported yet)");
  case ExprKind::Starred:
    return fail(e.loc, "starred expressions are not supported yet");
  }
  return fail(e.loc, "unsupported expression");
}

FailureOr<EValue> FunctionEmitter::lookup(const Expr &e) {
  auto it = scope.find(e.name);
  if (it != scope.end())
    return it->second;
  auto git = m.globals.find(e.name);
  if (git != m.globals.end())
    return git->second;
  if (auto dt = dtypeByName(&m.ctx, e.name)) {
    EValue v;
    v.kind = EValue::DType;
    v.dtype = *dt;
    return v;
  }
  if (primitives().contains(e.name))
    return EValue::named(EValue::Primitive, e.name);
  if (plannedPrimitives().contains(e.name))
    return fail(e.loc, "'" + e.name + "' is not supported yet");
  if (e.name == "int" || e.name == "float")
    return fail(e.loc, "'" + e.name +
                           "' is a compile-time type and cannot be used as a "
                           "value here");
  return fail(e.loc, "name '" + e.name + "' is not defined");
}

FailureOr<EValue> FunctionEmitter::emitUnary(const Expr &e) {
  auto v = emitExpr(*e.lhs);
  if (failed(v))
    return mlir::failure();
  if (e.name == "not") {
    if (!v->isScalarConst())
      return fail(e.loc, "'not' on a run-time value is not supported yet");
    return EValue::ofBool(v->asDouble() == 0);
  }
  if (e.name == "~")
    return fail(e.loc, "operator '~' is not supported yet");
  if (e.name == "+") {
    if (v->kind != EValue::Tensor && !v->isScalarConst())
      return fail(e.loc, "bad operand for unary '+': " + describe(*v));
    return v->kind == EValue::Bool ? EValue::ofInt(v->b) : *v;
  }
  if (v->kind == EValue::Int) {
    if (v->i == INT64_MIN)
      return fail(e.loc, "integer overflow in a compile-time '-'");
    return EValue::ofInt(-v->i);
  }
  if (v->kind == EValue::Bool)
    return EValue::ofInt(-(int64_t)v->b);
  if (v->kind == EValue::Float)
    return EValue::ofFloat(-v->f);
  if (v->kind != EValue::Tensor)
    return fail(e.loc, "bad operand for unary '-': " + describe(*v));
  if (v->tensorType().getElementType().isInteger(1))
    return fail(e.loc, "negation of a bool tensor is not supported; convert "
                       "with astype first");
  return EValue::ofTensor(NegOp::create(b, loc(e.loc), v->tensor));
}

FailureOr<EValue> FunctionEmitter::emitBinary(const Expr &e) {
  auto x = emitExpr(*e.lhs);
  if (failed(x))
    return mlir::failure();
  auto y = emitExpr(*e.rhs);
  if (failed(y))
    return mlir::failure();
  return binaryOp(e.name, *x, *y, e.loc);
}

FailureOr<EValue> FunctionEmitter::emitCompare(const Expr &e) {
  std::vector<EValue> vals;
  for (auto &elt : e.elts) {
    auto v = emitExpr(*elt);
    if (failed(v))
      return mlir::failure();
    if (!v->isScalarConst())
      return fail(elt->loc,
                  "comparisons of run-time values are not supported yet");
    vals.push_back(*v);
  }
  for (size_t i = 0; i < e.ops.size(); ++i) {
    double a = vals[i].asDouble(), c = vals[i + 1].asDouble();
    StringRef op = e.ops[i];
    bool r;
    if (op == "<")
      r = a < c;
    else if (op == ">")
      r = a > c;
    else if (op == "<=")
      r = a <= c;
    else if (op == ">=")
      r = a >= c;
    else if (op == "==")
      r = a == c;
    else if (op == "!=")
      r = a != c;
    else
      return fail(e.loc, "operator '" + op + "' is not supported yet");
    if (!r)
      return EValue::ofBool(false);
  }
  return EValue::ofBool(true);
}

FailureOr<llvm::SmallVector<int64_t>> FunctionEmitter::shapeOf(const EValue &v,
                                                               SMLoc l) {
  llvm::SmallVector<int64_t> shape;
  auto dim = [&](const EValue &d) -> mlir::LogicalResult {
    if (d.kind != EValue::Int)
      return fail(l, "a shape needs compile-time ints, got " + describe(d));
    if (d.i < -1)
      return fail(l,
                  "negative dimension " + std::to_string(d.i) + " in a shape");
    shape.push_back(d.i);
    return mlir::success();
  };
  if (v.kind == EValue::Tuple) {
    for (auto &d : v.elts)
      if (failed(dim(d)))
        return mlir::failure();
  } else if (failed(dim(v))) {
    return mlir::failure();
  }
  return shape;
}

FailureOr<llvm::SmallVector<int64_t>>
FunctionEmitter::axesOf(const EValue *axis, int64_t rank, SMLoc l) {
  llvm::SmallVector<int64_t> axes;
  if (!axis || axis->kind == EValue::None) {
    for (int64_t i = 0; i < rank; ++i)
      axes.push_back(i);
    return axes;
  }
  std::vector<EValue> items =
      axis->kind == EValue::Tuple ? axis->elts : std::vector<EValue>{*axis};
  for (auto &item : items) {
    if (item.kind != EValue::Int)
      return fail(l, "axis must be a compile-time int or tuple of ints, got " +
                         describe(item));
    int64_t a = item.i < 0 ? item.i + rank : item.i;
    if (a < 0 || a >= rank)
      return fail(l, "axis " + std::to_string(item.i) +
                         " is out of bounds for a tensor of rank " +
                         std::to_string(rank));
    if (llvm::is_contained(axes, a))
      return fail(l, "axis " + std::to_string(item.i) + " is repeated");
    axes.push_back(a);
  }
  llvm::sort(axes);
  return axes;
}

FailureOr<BoundArgs>
FunctionEmitter::bindArgs(StringRef name, ArrayRef<StringRef> params,
                          size_t required, std::vector<EValue> &args,
                          std::vector<SMLoc> &argLocs,
                          const std::vector<Keyword> &keywords,
                          std::vector<EValue> &kwValues, SMLoc l) {
  BoundArgs bound;
  bound.values.resize(params.size());
  bound.locs.assign(params.size(), l);
  if (args.size() > params.size())
    return (fail(l, "'" + name + "' takes at most " +
                        std::to_string(params.size()) + " arguments, got " +
                        std::to_string(args.size())));
  for (size_t i = 0; i < args.size(); ++i) {
    bound.values[i] = args[i];
    bound.locs[i] = argLocs[i];
  }
  for (size_t k = 0; k < keywords.size(); ++k) {
    auto it = llvm::find(params, keywords[k].name);
    if (it == params.end())
      return (fail(keywords[k].loc, "'" + name + "' has no parameter named '" +
                                        keywords[k].name + "'"));
    size_t i = it - params.begin();
    if (bound.values[i])
      return (fail(keywords[k].loc, "'" + name + "' got multiple values for '" +
                                        keywords[k].name + "'"));
    bound.values[i] = kwValues[k];
    bound.locs[i] = keywords[k].loc;
  }
  for (size_t i = 0; i < required; ++i)
    if (!bound.values[i])
      return (fail(l, "'" + name + "' is missing its argument '" +
                          params[i].str() + "'"));
  return bound;
}

FailureOr<EValue>
FunctionEmitter::callPrimitive(StringRef name, std::vector<EValue> args,
                               std::vector<SMLoc> argLocs,
                               const std::vector<Keyword> &keywords,
                               std::vector<EValue> kwValues, SMLoc l) {
  auto bind = [&](ArrayRef<StringRef> params, size_t required) {
    return bindArgs(name, params, required, args, argLocs, keywords, kwValues,
                    l);
  };
  auto tensorArg = [&](const BoundArgs &a, size_t i) -> FailureOr<EValue> {
    return toTensor(*a.get(i), a.locs[i]);
  };
  auto floatArg = [&](const BoundArgs &a, size_t i) -> FailureOr<EValue> {
    auto t = tensorArg(a, i);
    if (failed(t))
      return mlir::failure();
    if (!mlir::isa<mlir::FloatType>(t->tensorType().getElementType()))
      return castTo(*t, b.getF32Type(), a.locs[i]);
    return t;
  };
  mlir::Location ml = loc(l);

  // Unary elementwise.
  if (name == "relu" || name == "exp" || name == "log" || name == "tanh" ||
      name == "sigmoid" || name == "neg") {
    auto a = bind({"x"}, 1);
    if (failed(a))
      return mlir::failure();
    bool needsFloat = name != "relu" && name != "neg";
    auto x = needsFloat ? floatArg(*a, 0) : tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    if (x->tensorType().getElementType().isInteger(1))
      return fail(l, "'" + name +
                         "' of a bool tensor is not supported; "
                         "convert with astype first");
    mlir::Value v = x->tensor, r;
    if (name == "relu")
      r = ReluOp::create(b, ml, v);
    else if (name == "exp")
      r = ExpOp::create(b, ml, v);
    else if (name == "log")
      r = LogOp::create(b, ml, v);
    else if (name == "tanh")
      r = TanhOp::create(b, ml, v);
    else if (name == "sigmoid")
      r = SigmoidOp::create(b, ml, v);
    else
      r = NegOp::create(b, ml, v);
    return EValue::ofTensor(r);
  }
  if (name == "maximum" || name == "minimum" || name == "pow") {
    auto a = bind({"x", "y"}, 2);
    if (failed(a))
      return mlir::failure();
    return binaryOp(name == "pow" ? "**" : name, *a->get(0), *a->get(1), l);
  }
  if (name == "matmul") {
    auto a = bind({"a", "b"}, 2);
    if (failed(a))
      return mlir::failure();
    return binaryOp("@", *a->get(0), *a->get(1), l);
  }
  if (name == "sum" || name == "mean" || name == "max") {
    auto a = bind({"x", "axis", "keepdims"}, 1);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    Type et = x->tensorType().getElementType();
    if (name == "mean" && !mlir::isa<mlir::FloatType>(et))
      x = castTo(*x, b.getF32Type(), l);
    else if (et.isInteger(1))
      x = castTo(*x, name == "sum" ? b.getI64Type() : b.getIntegerType(8), l);
    if (failed(x))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    auto axes = axesOf(a->get(1), t.getRank(), a->locs[1]);
    if (failed(axes))
      return mlir::failure();
    bool keepdims = false;
    if (const EValue *k = a->get(2)) {
      if (k->kind != EValue::Bool)
        return fail(a->locs[2], "keepdims must be a compile-time bool");
      keepdims = k->b;
    }
    if (name == "max")
      for (int64_t axis : *axes)
        if (t.getDimSize(axis) == 0)
          return fail(l, "'max' over an axis of size 0 has no identity");
    auto type = RankedTensorType::get(
        reducedShape(t.getShape(), *axes, keepdims), t.getElementType());
    mlir::Value r;
    if (name == "sum")
      r = SumOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else if (name == "mean")
      r = MeanOp::create(b, ml, type, x->tensor, *axes, keepdims);
    else
      r = MaxOp::create(b, ml, type, x->tensor, *axes, keepdims);
    if (et.isInteger(1) && name == "max")
      return castTo(EValue::ofTensor(r), et, l);
    return EValue::ofTensor(r);
  }
  if (name == "reshape") {
    // reshape(x, shape) and the method form x.reshape(2, 3).
    std::vector<EValue> rest(args.begin() + std::min<size_t>(1, args.size()),
                             args.end());
    if (args.size() > 2) {
      args.resize(1);
      args.push_back(EValue::ofTuple(rest));
      argLocs.resize(2);
    }
    auto a = bind({"x", "shape"}, 2);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    auto shape = shapeOf(*a->get(1), a->locs[1]);
    if (failed(shape))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    int64_t known = 1, inferred = -1;
    for (auto [i, d] : llvm::enumerate(*shape)) {
      if (d == -1) {
        if (inferred >= 0)
          return fail(a->locs[1], "only one dimension can be -1 in reshape");
        inferred = i;
      } else {
        known *= d;
      }
    }
    if (inferred >= 0) {
      if (known == 0 || t.getNumElements() % known != 0)
        return fail(a->locs[1], "cannot reshape " + formatShape(t.getShape()) +
                                    " to " + formatShape(*shape));
      (*shape)[inferred] = t.getNumElements() / known;
      known *= (*shape)[inferred];
    }
    if (known != t.getNumElements())
      return fail(a->locs[1], "cannot reshape " + formatShape(t.getShape()) +
                                  " (" + std::to_string(t.getNumElements()) +
                                  " elements) to " + formatShape(*shape));
    auto type = RankedTensorType::get(*shape, t.getElementType());
    return EValue::ofTensor(ReshapeOp::create(b, ml, type, x->tensor));
  }
  if (name == "transpose") {
    auto a = bind({"x", "axes"}, 1);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    llvm::SmallVector<int64_t> perm;
    const EValue *axes = a->get(1);
    if (!axes || axes->kind == EValue::None) {
      for (int64_t i = t.getRank() - 1; i >= 0; --i)
        perm.push_back(i);
    } else {
      std::vector<EValue> items =
          axes->kind == EValue::Tuple ? axes->elts : std::vector<EValue>{*axes};
      if ((int64_t)items.size() != t.getRank())
        return fail(a->locs[1], "transpose axes have " +
                                    std::to_string(items.size()) +
                                    " entries but the tensor has rank " +
                                    std::to_string(t.getRank()));
      for (auto &item : items) {
        if (item.kind != EValue::Int)
          return fail(a->locs[1], "transpose axes must be compile-time ints");
        int64_t p = item.i < 0 ? item.i + t.getRank() : item.i;
        if (p < 0 || p >= t.getRank() || llvm::is_contained(perm, p))
          return fail(a->locs[1], "transpose axes are not a permutation of "
                                  "the tensor's dimensions");
        perm.push_back(p);
      }
    }
    llvm::SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(t.getDimSize(p));
    auto type = RankedTensorType::get(shape, t.getElementType());
    return EValue::ofTensor(TransposeOp::create(b, ml, type, x->tensor, perm));
  }
  if (name == "broadcast_to") {
    auto a = bind({"x", "shape"}, 2);
    if (failed(a))
      return mlir::failure();
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    auto shape = shapeOf(*a->get(1), a->locs[1]);
    if (failed(shape))
      return mlir::failure();
    auto joined = broadcastShapes(x->tensorType().getShape(), *shape);
    if (failed(joined) || *joined != *shape)
      return fail(l, "cannot broadcast " +
                         formatShape(x->tensorType().getShape()) + " to " +
                         formatShape(*shape));
    return broadcastTo(*x, *shape, l);
  }
  if (name == "softmax" || name == "log_softmax") {
    auto a = bind({"x", "axis"}, 1);
    if (failed(a))
      return mlir::failure();
    auto x = floatArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    RankedTensorType t = x->tensorType();
    if (t.getRank() == 0)
      return fail(l, "'" + name + "' needs a tensor of rank >= 1");
    EValue axisValue = EValue::ofInt(-1);
    if (a->get(1))
      axisValue = *a->get(1);
    if (axisValue.kind != EValue::Int)
      return fail(a->locs[1], "axis must be a compile-time int");
    auto axes = axesOf(&axisValue, t.getRank(), a->locs[1]);
    if (failed(axes))
      return mlir::failure();
    mlir::Value r;
    if (name == "softmax")
      r = SoftmaxOp::create(b, ml, x->tensor, (*axes)[0]);
    else
      r = LogSoftmaxOp::create(b, ml, x->tensor, (*axes)[0]);
    return EValue::ofTensor(r);
  }
  if (name == "astype") {
    auto a = bind({"x", "dtype"}, 2);
    if (failed(a))
      return mlir::failure();
    if (a->get(1)->kind != EValue::DType)
      return fail(a->locs[1], "astype needs a dtype such as f16, got " +
                                  describe(*a->get(1)));
    auto x = tensorArg(*a, 0);
    if (failed(x))
      return mlir::failure();
    return castTo(*x, a->get(1)->dtype, l);
  }
  if (name == "zeros" || name == "ones" || name == "full") {
    bool isFull = name == "full";
    auto a = isFull ? bind({"shape", "fill_value", "dtype"}, 2)
                    : bind({"shape", "dtype"}, 1);
    if (failed(a))
      return mlir::failure();
    auto shape = shapeOf(*a->get(0), a->locs[0]);
    if (failed(shape))
      return mlir::failure();
    for (int64_t d : *shape)
      if (d < 0)
        return fail(a->locs[0], "negative dimension in a shape");
    size_t dtypeIndex = isFull ? 2 : 1;
    Type et = b.getF32Type();
    double value = name == "ones" ? 1.0 : 0.0;
    if (isFull) {
      const EValue *fill = a->get(1);
      if (!fill->isScalarConst())
        return fail(a->locs[1], "fill_value must be a compile-time number");
      value = fill->asDouble();
      if (fill->kind == EValue::Int)
        et = b.getI64Type();
      else if (fill->kind == EValue::Bool)
        et = b.getI1Type();
    }
    if (const EValue *dt = a->get(dtypeIndex)) {
      if (dt->kind != EValue::DType)
        return fail(a->locs[dtypeIndex], "dtype must be a dtype such as f32");
      et = dt->dtype;
    }
    return constantTensor(RankedTensorType::get(*shape, et), value, l);
  }
  return fail(l, "'" + name + "' is not supported yet");
}

FailureOr<EValue> FunctionEmitter::emitCall(const Expr &e) {
  std::vector<EValue> args;
  std::vector<SMLoc> argLocs;
  EValue callee;
  // Method calls on tensors: x.sum(axis=1) is sum(x, axis=1).
  if (e.lhs->kind == ExprKind::Attribute) {
    auto self = emitExpr(*e.lhs->lhs);
    if (failed(self))
      return mlir::failure();
    if (self->kind == EValue::Tensor) {
      StringRef method = e.lhs->name;
      if (!primitives().contains(method) &&
          !plannedPrimitives().contains(method))
        return fail(e.lhs->loc, "tensor has no method '" + method + "'");
      callee = EValue::named(EValue::Primitive, method);
      args.push_back(*self);
      argLocs.push_back(e.lhs->lhs->loc);
    }
  }
  if (callee.kind == EValue::None) {
    auto c = emitExpr(*e.lhs);
    if (failed(c))
      return mlir::failure();
    callee = *c;
  }
  for (auto &arg : e.elts) {
    if (arg->kind == ExprKind::Starred)
      return fail(arg->loc, "argument unpacking is not supported yet");
    auto v = emitExpr(*arg);
    if (failed(v))
      return mlir::failure();
    args.push_back(*v);
    argLocs.push_back(arg->loc);
  }
  std::vector<EValue> kwValues;
  for (auto &kw : e.keywords) {
    auto v = emitExpr(*kw.value);
    if (failed(v))
      return mlir::failure();
    kwValues.push_back(*v);
  }
  if (callee.kind == EValue::Primitive) {
    if (plannedPrimitives().contains(callee.str) &&
        !primitives().contains(callee.str))
      return fail(e.lhs->loc, "'" + callee.str + "' is not supported yet");
    return callPrimitive(callee.str, std::move(args), std::move(argLocs),
                         e.keywords, std::move(kwValues), e.loc);
  }
  if (callee.kind == EValue::Function)
    return m.call(*callee.fn, std::move(args), std::move(argLocs), e.keywords,
                  std::move(kwValues), e.loc, b);
  if (callee.kind == EValue::DType) {
    if (args.size() != 1 || !e.keywords.empty())
      return fail(e.loc, "a dtype conversion takes one argument");
    return castTo(args[0], callee.dtype, e.loc);
  }
  return fail(e.lhs->loc, describe(callee) + " is not callable");
}

FailureOr<EValue> FunctionEmitter::emitAttribute(const Expr &e) {
  auto v = emitExpr(*e.lhs);
  if (failed(v))
    return mlir::failure();
  if (v->kind == EValue::Module) {
    Expr name(ExprKind::Name, e.loc);
    name.name = e.name;
    return lookup(name);
  }
  if (v->kind == EValue::Tensor) {
    RankedTensorType t = v->tensorType();
    if (e.name == "shape") {
      std::vector<EValue> dims;
      for (int64_t d : t.getShape())
        dims.push_back(EValue::ofInt(d));
      return EValue::ofTuple(std::move(dims));
    }
    if (e.name == "ndim")
      return EValue::ofInt(t.getRank());
    if (e.name == "size")
      return EValue::ofInt(t.getNumElements());
    if (e.name == "dtype") {
      EValue d;
      d.kind = EValue::DType;
      d.dtype = t.getElementType();
      return d;
    }
    if (e.name == "T")
      return callPrimitive("transpose", {*v}, {e.loc}, {}, {}, e.loc);
    return fail(e.loc, "tensor has no attribute '" + e.name + "'");
  }
  return fail(e.loc, describe(*v) + " has no attribute '" + e.name + "'");
}

FailureOr<EValue> FunctionEmitter::emitSubscript(const Expr &e) {
  auto v = emitExpr(*e.lhs);
  if (failed(v))
    return mlir::failure();
  if (v->kind == EValue::Tuple) {
    auto index = emitExpr(*e.rhs);
    if (failed(index))
      return mlir::failure();
    if (index->kind != EValue::Int)
      return fail(e.rhs->loc, "a tuple index must be a compile-time int");
    int64_t n = v->elts.size();
    int64_t i = index->i < 0 ? index->i + n : index->i;
    if (i < 0 || i >= n)
      return fail(e.rhs->loc, "tuple index " + std::to_string(index->i) +
                                  " is out of range for a tuple of " +
                                  std::to_string(n));
    return v->elts[i];
  }
  if (v->kind == EValue::Tensor)
    return fail(e.loc, "indexing and slicing tensors is not supported yet");
  return fail(e.loc, describe(*v) + " cannot be indexed");
}

mlir::LogicalResult FunctionEmitter::bind(const Expr &target,
                                          const EValue &value) {
  if (target.kind == ExprKind::Name) {
    scope[target.name] = value;
    return mlir::success();
  }
  if (target.kind == ExprKind::Tuple || target.kind == ExprKind::List) {
    if (value.kind != EValue::Tuple)
      return m.fail(target.loc, "cannot unpack " + describe(value));
    if (value.elts.size() != target.elts.size())
      return m.fail(target.loc,
                    "cannot unpack a tuple of " +
                        std::to_string(value.elts.size()) + " into " +
                        std::to_string(target.elts.size()) + " targets");
    for (size_t i = 0; i < value.elts.size(); ++i)
      if (failed(bind(*target.elts[i], value.elts[i])))
        return mlir::failure();
    return mlir::success();
  }
  if (target.kind == ExprKind::Subscript)
    return m.fail(target.loc, "indexed assignment is not supported yet");
  if (target.kind == ExprKind::Starred)
    return m.fail(target.loc, "starred assignment is not supported yet");
  return m.fail(target.loc, "assignment to an attribute is not supported yet");
}

mlir::LogicalResult FunctionEmitter::emitBody(const Body &body,
                                              std::optional<EValue> &result,
                                              SMLoc &resultLoc) {
  for (auto &s : body) {
    if (result)
      return m.fail(s->loc, "code after 'return' is unreachable");
    switch (s->kind) {
    case StmtKind::Pass:
      break;
    case StmtKind::Expr: {
      if (s->value->kind == ExprKind::String)
        break; // a docstring
      auto v = emitExpr(*s->value);
      if (failed(v))
        return mlir::failure();
      break;
    }
    case StmtKind::Assign: {
      auto v = emitExpr(*s->value);
      if (failed(v))
        return mlir::failure();
      for (auto &target : s->targets)
        if (failed(bind(*target, *v)))
          return mlir::failure();
      break;
    }
    case StmtKind::AnnAssign: {
      if (!s->value)
        return m.fail(s->loc, "an annotated name needs a value");
      auto v = emitExpr(*s->value);
      if (failed(v))
        return mlir::failure();
      auto ann = m.annotationType(*s->annotation);
      if (failed(ann))
        return mlir::failure();
      if (ann->kind == EValue::DType) {
        // A tensor annotation: convert weak literals, check tensors.
        auto type = mlir::cast<RankedTensorType>(ann->dtype);
        if (v->isScalarConst() && type.getRank() == 0) {
          v = materialize(*v, type.getElementType(), s->value->loc);
          if (failed(v))
            return mlir::failure();
        }
        if (v->kind != EValue::Tensor || v->tensor.getType() != type)
          return m.fail(s->value->loc, "value of type " +
                                           (v->kind == EValue::Tensor
                                                ? typeName(v->tensor.getType())
                                                : describe(*v)) +
                                           " does not match the annotation " +
                                           typeName(type));
      }
      if (failed(bind(*s->targets[0], *v)))
        return mlir::failure();
      break;
    }
    case StmtKind::AugAssign: {
      const Expr &target = *s->targets[0];
      if (target.kind != ExprKind::Name)
        return m.fail(target.loc,
                      "augmented assignment to this target is not supported "
                      "yet");
      auto old = emitExpr(target);
      if (failed(old))
        return mlir::failure();
      auto v = emitExpr(*s->value);
      if (failed(v))
        return mlir::failure();
      auto r = binaryOp(s->op, *old, *v, s->loc);
      if (failed(r))
        return mlir::failure();
      scope[target.name] = *r;
      break;
    }
    case StmtKind::Return: {
      if (!s->value) {
        result = EValue();
      } else {
        auto v = emitExpr(*s->value);
        if (failed(v))
          return mlir::failure();
        result = *v;
      }
      resultLoc = s->value ? s->value->loc : s->loc;
      break;
    }
    case StmtKind::Assert: {
      auto c = emitExpr(*s->value);
      if (failed(c))
        return mlir::failure();
      if (!c->isScalarConst())
        return m.fail(s->value->loc,
                      "assert on a run-time value is not supported yet");
      if (c->asDouble() == 0) {
        std::string msg = "assertion failed";
        if (s->message) {
          auto text = emitExpr(*s->message);
          if (succeeded(text) && text->kind == EValue::String)
            msg += ": " + text->str;
        }
        return m.fail(s->loc, msg);
      }
      break;
    }
    case StmtKind::If:
      return m.fail(s->loc, "'if' statements are not supported yet");
    case StmtKind::For:
      return m.fail(s->loc, "'for' loops are not supported yet");
    case StmtKind::While:
      return m.fail(s->loc, "'while' loops are not supported yet");
    case StmtKind::Break:
    case StmtKind::Continue:
      return m.fail(s->loc, "'break' and 'continue' are only valid inside a "
                            "loop");
    case StmtKind::FunctionDef:
      return m.fail(s->loc, "nested functions are not supported yet");
    case StmtKind::ClassDef:
      return m.fail(s->loc, "a class can only be defined at top level");
    case StmtKind::Import:
    case StmtKind::ImportFrom:
      return m.fail(s->loc, "imports are only allowed at top level");
    case StmtKind::Unsupported:
      return m.fail(s->loc, "'" + s->keyword + "' is not supported");
    }
  }
  return mlir::success();
}

//===----------------------------------------------------------------------===//
// ModuleEmitter
//===----------------------------------------------------------------------===//

FailureOr<EValue> ModuleEmitter::annotationType(const Expr &e) {
  // A tensor type is returned as a DType value holding the tensor type.
  auto tensorOf = [&](Type t) {
    EValue v;
    v.kind = EValue::DType;
    v.dtype = t;
    return v;
  };
  if (e.kind == ExprKind::Name) {
    if (auto dt = dtypeByName(&ctx, e.name))
      return tensorOf(RankedTensorType::get({}, *dt));
    if (e.name == "int" || e.name == "float")
      return fail(e.loc, "compile-time parameters ('" + e.name +
                             "') are not supported on this function");
    return fail(e.loc, "unknown type '" + e.name + "'");
  }
  if (e.kind == ExprKind::Subscript && e.lhs->kind == ExprKind::Name) {
    if (e.lhs->name == "tuple") {
      std::vector<EValue> elts;
      std::vector<const Expr *> items;
      if (e.rhs->kind == ExprKind::Tuple)
        for (auto &x : e.rhs->elts)
          items.push_back(x.get());
      else
        items.push_back(e.rhs.get());
      for (const Expr *x : items) {
        auto t = annotationType(*x);
        if (failed(t))
          return mlir::failure();
        elts.push_back(*t);
      }
      return EValue::ofTuple(std::move(elts));
    }
    auto dt = dtypeByName(&ctx, e.lhs->name);
    if (!dt)
      return fail(e.lhs->loc, "unknown dtype '" + e.lhs->name + "'");
    std::vector<const Expr *> dims;
    if (e.rhs->kind == ExprKind::Tuple)
      for (auto &x : e.rhs->elts)
        dims.push_back(x.get());
    else
      dims.push_back(e.rhs.get());
    llvm::SmallVector<int64_t> shape;
    for (const Expr *d : dims) {
      if (d->kind == ExprKind::Name && !globals.count(d->name))
        return fail(d->loc, "symbolic dimension '" + d->name +
                                "' is not supported yet (dimensions must be "
                                "compile-time ints)");
      auto v = evalConstant(*d);
      if (failed(v))
        return mlir::failure();
      if (v->kind != EValue::Int)
        return fail(d->loc, "a dimension must be a compile-time int, got " +
                                describe(*v));
      if (v->i < 0)
        return fail(d->loc, "a dimension cannot be negative");
      shape.push_back(v->i);
    }
    return tensorOf(RankedTensorType::get(shape, *dt));
  }
  if (e.kind == ExprKind::None)
    return EValue::ofTuple({});
  return fail(e.loc, "not a type annotation (expected e.g. f32[3, 4])");
}

FailureOr<EValue> ModuleEmitter::evalConstant(const Expr &e) {
  // Module constants evaluate with an emitter that may not create ops: a
  // compile-time expression never needs the builder.
  mlir::OpBuilder scratch(&ctx);
  FunctionEmitter fe(*this, scratch);
  auto block = std::make_unique<mlir::Block>();
  scratch.setInsertionPointToStart(block.get());
  auto v = fe.emitExpr(e);
  if (failed(v))
    return mlir::failure();
  if (!v->isCompileTime() || !block->empty()) {
    if (!block->empty())
      block->clear();
    return fail(e.loc, "a module constant must be a compile-time value (an "
                       "int, float, bool, string or a tuple of them)");
  }
  return v;
}

std::string ModuleEmitter::uniqueName(StringRef base) {
  std::string name = base.str();
  for (unsigned i = 1; reservedNames.contains(name); ++i)
    name = (base + "_" + llvm::Twine(i)).str();
  reservedNames.insert(name);
  return name;
}

std::string ModuleEmitter::key(const EValue &v) {
  switch (v.kind) {
  case EValue::Tensor:
    return typeName(v.tensor.getType());
  case EValue::Int:
    return "int:" + std::to_string(v.i);
  case EValue::Float: {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "float:" << llvm::format("%a", v.f);
    return s;
  }
  case EValue::Bool:
    return v.b ? "True" : "False";
  case EValue::None:
    return "None";
  case EValue::String:
    return "str:" + v.str;
  case EValue::Tuple: {
    std::string s = "(";
    for (auto &e : v.elts)
      s += key(e) + ",";
    return s + ")";
  }
  case EValue::Function:
    return "fn:" + v.fn->name;
  case EValue::Primitive:
    return "prim:" + v.str;
  case EValue::DType:
    return "dtype:" + typeName(v.dtype);
  case EValue::Module:
    return "module:" + v.str;
  }
  return "?";
}

void ModuleEmitter::collectLeaves(const EValue &v,
                                  std::vector<mlir::Value> &leaves) {
  if (v.kind == EValue::Tensor)
    leaves.push_back(v.tensor);
  else if (v.kind == EValue::Tuple)
    for (auto &e : v.elts)
      collectLeaves(e, leaves);
}

EValue ModuleEmitter::rebuild(const EValue &tmpl, mlir::ValueRange results,
                              size_t &next) {
  if (tmpl.kind == EValue::Tensor)
    return EValue::ofTensor(results[next++]);
  if (tmpl.kind == EValue::Tuple) {
    std::vector<EValue> elts;
    for (auto &e : tmpl.elts)
      elts.push_back(rebuild(e, results, next));
    return EValue::ofTuple(std::move(elts));
  }
  return tmpl;
}

/// Replaces the tensor leaves of `v` by block arguments added to `block`.
static EValue parameterize(const EValue &v, mlir::Block &block,
                           mlir::Location loc) {
  if (v.kind == EValue::Tensor)
    return EValue::ofTensor(block.addArgument(v.tensor.getType(), loc));
  if (v.kind == EValue::Tuple) {
    std::vector<EValue> elts;
    for (auto &e : v.elts)
      elts.push_back(parameterize(e, block, loc));
    return EValue::ofTuple(std::move(elts));
  }
  return v;
}

FailureOr<ModuleEmitter::Specialization *>
ModuleEmitter::specialize(const Stmt &fn, std::vector<EValue> args,
                          SMLoc callLoc,
                          std::optional<std::string> exportName) {
  std::string k = fn.name + "(";
  for (auto &a : args)
    k += key(a) + ";";
  k += ")";
  auto it = specializations.find(k);
  if (it != specializations.end()) {
    if (it->second.inProgress) {
      diags.error(callLoc, "recursive calls are not supported yet ('" +
                               fn.name + "' calls itself)");
      return mlir::failure();
    }
    return &it->second;
  }
  Specialization &spec = specializations[k];

  mlir::OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  std::string name = exportName ? *exportName : uniqueName(fn.name);
  mlir::Location fnLoc = loc(fn.loc);
  auto func =
      FuncOp::create(builder, fnLoc, name, builder.getFunctionType({}, {}));
  mlir::Block *entry = new mlir::Block();
  func.getBody().push_back(entry);

  mlir::OpBuilder bodyBuilder(&ctx);
  bodyBuilder.setInsertionPointToStart(entry);
  FunctionEmitter fe(*this, bodyBuilder);
  for (size_t i = 0; i < fn.params.size(); ++i)
    fe.scope[fn.params[i].name] = parameterize(args[i], *entry, fnLoc);

  std::optional<EValue> result;
  SMLoc resultLoc = fn.loc;
  if (failed(fe.emitBody(fn.body, result, resultLoc))) {
    func.erase();
    specializations.erase(k);
    return mlir::failure();
  }
  if (!result) {
    diags.error(fn.loc, "function '" + fn.name + "' must end with a 'return'");
    func.erase();
    specializations.erase(k);
    return mlir::failure();
  }

  // An annotated result converts weak literals and is checked.
  if (fn.returns) {
    auto ann = annotationType(*fn.returns);
    if (failed(ann)) {
      func.erase();
      specializations.erase(k);
      return mlir::failure();
    }
    std::function<mlir::LogicalResult(EValue &, const EValue &)> conform =
        [&](EValue &v, const EValue &t) -> mlir::LogicalResult {
      if (t.kind == EValue::Tuple) {
        if (v.kind != EValue::Tuple || v.elts.size() != t.elts.size()) {
          diags.error(resultLoc, "returns " + describe(v) +
                                     " but the annotation is a tuple of " +
                                     std::to_string(t.elts.size()));
          return mlir::failure();
        }
        for (size_t i = 0; i < t.elts.size(); ++i)
          if (failed(conform(v.elts[i], t.elts[i])))
            return mlir::failure();
        return mlir::success();
      }
      auto type = mlir::cast<RankedTensorType>(t.dtype);
      if (v.isScalarConst() && type.getRank() == 0) {
        auto m = fe.materialize(v, type.getElementType(), resultLoc);
        if (failed(m))
          return mlir::failure();
        v = *m;
      }
      if (v.kind != EValue::Tensor || v.tensor.getType() != type) {
        diags.error(resultLoc,
                    "returns " +
                        (v.kind == EValue::Tensor ? typeName(v.tensor.getType())
                                                  : describe(v)) +
                        " but the function is annotated to return " +
                        typeName(type));
        return mlir::failure();
      }
      return mlir::success();
    };
    if (failed(conform(*result, *ann))) {
      func.erase();
      specializations.erase(k);
      return mlir::failure();
    }
  }
  if (exportName) {
    // An export returns tensors only: literals become tensors of their
    // default dtype.
    std::function<mlir::LogicalResult(EValue &)> toTensors =
        [&](EValue &v) -> mlir::LogicalResult {
      if (v.kind == EValue::Tuple) {
        for (auto &e : v.elts)
          if (failed(toTensors(e)))
            return mlir::failure();
        return mlir::success();
      }
      if (v.kind == EValue::Tensor)
        return mlir::success();
      if (!v.isScalarConst()) {
        diags.error(resultLoc, "an exported function must return tensors, "
                               "scalars or tuples of them, not " +
                                   describe(v));
        return mlir::failure();
      }
      auto t = fe.toTensor(v, resultLoc);
      if (failed(t))
        return mlir::failure();
      v = *t;
      return mlir::success();
    };
    if (failed(toTensors(*result))) {
      func.erase();
      specializations.erase(k);
      return mlir::failure();
    }
  }

  std::vector<mlir::Value> leaves;
  collectLeaves(*result, leaves);
  ReturnOp::create(bodyBuilder, loc(resultLoc), leaves);
  llvm::SmallVector<Type> resultTypes;
  for (mlir::Value v : leaves)
    resultTypes.push_back(v.getType());
  func.setFunctionType(
      builder.getFunctionType(entry->getArgumentTypes(), resultTypes));
  if (!exportName)
    func.setPrivate();
  spec.func = func;
  spec.resultTemplate = *result;
  spec.inProgress = false;
  return &spec;
}

FailureOr<EValue> ModuleEmitter::call(const Stmt &fn, std::vector<EValue> args,
                                      std::vector<SMLoc> argLocs,
                                      const std::vector<Keyword> &keywords,
                                      std::vector<EValue> kwValues, SMLoc l,
                                      mlir::OpBuilder &callerBuilder) {
  size_t n = fn.params.size();
  if (args.size() > n)
    return fail(l, "'" + fn.name + "' takes " + std::to_string(n) +
                       " arguments but " + std::to_string(args.size()) +
                       " were given");
  std::vector<std::optional<EValue>> bound(n);
  std::vector<SMLoc> locs(n, l);
  for (size_t i = 0; i < args.size(); ++i) {
    bound[i] = args[i];
    locs[i] = argLocs[i];
  }
  for (size_t k = 0; k < keywords.size(); ++k) {
    auto it = llvm::find_if(
        fn.params, [&](const Param &p) { return p.name == keywords[k].name; });
    if (it == fn.params.end())
      return fail(keywords[k].loc, "'" + fn.name +
                                       "' has no parameter named '" +
                                       keywords[k].name + "'");
    size_t i = it - fn.params.begin();
    if (bound[i])
      return fail(keywords[k].loc, "'" + fn.name +
                                       "' got multiple values for '" +
                                       keywords[k].name + "'");
    bound[i] = kwValues[k];
    locs[i] = keywords[k].loc;
  }
  FunctionEmitter caller(*this, callerBuilder);
  std::vector<EValue> values;
  for (size_t i = 0; i < n; ++i) {
    const Param &p = fn.params[i];
    if (!bound[i]) {
      if (!p.defaultValue)
        return fail(l, "'" + fn.name + "' is missing its argument '" + p.name +
                           "'");
      auto d = evalConstant(*p.defaultValue);
      if (failed(d))
        return mlir::failure();
      bound[i] = *d;
    }
    EValue v = *bound[i];
    if (p.annotation) {
      auto ann = annotationType(*p.annotation);
      if (failed(ann))
        return mlir::failure();
      if (ann->kind == EValue::DType) {
        auto type = mlir::cast<RankedTensorType>(ann->dtype);
        if (v.isScalarConst() && type.getRank() == 0) {
          auto t = caller.materialize(v, type.getElementType(), locs[i]);
          if (failed(t))
            return mlir::failure();
          v = *t;
        }
        if (v.kind != EValue::Tensor || v.tensor.getType() != type)
          return fail(locs[i], "argument '" + p.name + "' of '" + fn.name +
                                   "' must be " + typeName(type) + ", got " +
                                   (v.kind == EValue::Tensor
                                        ? typeName(v.tensor.getType())
                                        : describe(v)));
      }
    }
    values.push_back(v);
  }
  auto spec = specialize(fn, values, l, std::nullopt);
  if (failed(spec))
    return mlir::failure();
  std::vector<mlir::Value> operands;
  for (auto &v : values)
    collectLeaves(v, operands);
  auto callOp = CallOp::create(callerBuilder, loc(l), (*spec)->func, operands);
  size_t next = 0;
  return rebuild((*spec)->resultTemplate, callOp.getResults(), next);
}

mlir::LogicalResult ModuleEmitter::emitExport(const Stmt &fn) {
  // Exported parameters must be annotated with tensor types (or tuples).
  std::vector<EValue> args;
  mlir::OpBuilder scratch(&ctx);
  auto block = std::make_unique<mlir::Block>();
  std::vector<std::string> argNames;
  for (const Param &p : fn.params) {
    if (!p.annotation)
      return fail(p.loc, "parameter '" + p.name + "' of exported function '" +
                             fn.name + "' needs a type annotation");
    auto ann = annotationType(*p.annotation);
    if (failed(ann))
      return mlir::failure();
    // Placeholders carrying the types; specialize() replaces them by block
    // arguments.
    std::function<EValue(const EValue &, const std::string &)> placeholder =
        [&](const EValue &t, const std::string &name) -> EValue {
      if (t.kind == EValue::Tuple) {
        std::vector<EValue> elts;
        for (size_t i = 0; i < t.elts.size(); ++i)
          elts.push_back(
              placeholder(t.elts[i], name + "_" + std::to_string(i)));
        return EValue::ofTuple(std::move(elts));
      }
      argNames.push_back(name);
      return EValue::ofTensor(block->addArgument(t.dtype, loc(p.loc)));
    };
    args.push_back(placeholder(*ann, p.name));
  }
  auto spec = specialize(fn, args, fn.loc, fn.name);
  if (failed(spec))
    return mlir::failure();
  FuncOp func = (*spec)->func;
  func->setAttr(FuncOp::getExportAttrName(), builder.getUnitAttr());
  for (size_t i = 0; i < argNames.size(); ++i)
    func.setArgAttr(i, FuncOp::getArgNameAttrName(),
                    builder.getStringAttr(argNames[i]));
  return mlir::success();
}

mlir::OwningOpRef<mlir::ModuleOp> ModuleEmitter::run(const ast::Module &ast) {
  auto &sm = diags.getSourceMgr();
  mlir::OwningOpRef<mlir::ModuleOp> owned = mlir::ModuleOp::create(loc(
      SMLoc::getFromPointer(sm.getMemoryBuffer(bufferId)->getBufferStart())));
  module = *owned;

  std::vector<const Stmt *> exports;
  bool ok = true;
  for (auto &s : ast.body) {
    switch (s->kind) {
    case StmtKind::Import:
      for (auto &name : s->names)
        if (name != "spore" && !StringRef(name).starts_with("spore.")) {
          ok &= succeeded(fail(s->loc, "only the 'spore' module can be "
                                       "imported, not '" +
                                           name + "'"));
        } else {
          globals[name] = EValue::named(EValue::Module, name);
        }
      break;
    case StmtKind::ImportFrom:
      if (s->module != "spore" && !StringRef(s->module).starts_with("spore."))
        ok &= succeeded(fail(s->loc, "only the 'spore' module can be "
                                     "imported, not '" +
                                         s->module + "'"));
      break;
    case StmtKind::FunctionDef: {
      if (globals.count(s->name)) {
        ok = false;
        diags.error(s->loc, "'" + s->name + "' is defined twice at top level");
        break;
      }
      EValue fn;
      fn.kind = EValue::Function;
      fn.fn = s.get();
      globals[s->name] = fn;
      bool isExport = false;
      for (auto &d : s->decorators) {
        bool exportName =
            (d->kind == ExprKind::Name && d->name == "export") ||
            (d->kind == ExprKind::Attribute && d->name == "export" &&
             d->lhs->kind == ExprKind::Name && d->lhs->name == "spore");
        if (exportName) {
          isExport = true;
        } else {
          ok = false;
          diags.error(d->loc,
                      "decorators other than @export are not supported yet");
        }
      }
      if (isExport)
        exports.push_back(s.get());
      break;
    }
    case StmtKind::ClassDef:
      ok = false;
      diags.error(s->loc, "classes (Cells) are not supported yet");
      break;
    case StmtKind::Assign:
    case StmtKind::AnnAssign: {
      const Expr &value = *s->value;
      if (!s->value) {
        ok = false;
        diags.error(s->loc, "a module constant needs a value");
        break;
      }
      if (value.kind == ExprKind::Call && value.lhs->kind == ExprKind::Name &&
          (value.lhs->name == "dim")) {
        ok = false;
        diags.error(value.loc,
                    "symbolic dimensions (dim) are not supported yet");
        break;
      }
      auto v = evalConstant(value);
      if (failed(v)) {
        ok = false;
        break;
      }
      for (auto &target : s->targets) {
        if (target->kind != ExprKind::Name) {
          ok = false;
          diags.error(target->loc,
                      "a module constant must be assigned to a name");
          continue;
        }
        globals[target->name] = *v;
      }
      break;
    }
    case StmtKind::Expr:
      if (s->value->kind == ExprKind::String)
        break; // module docstring
      [[fallthrough]];
    default:
      ok = false;
      diags.error(s->loc,
                  "only imports, constants, 'def' and 'class' are allowed "
                  "at top level");
      break;
    }
  }
  if (!ok)
    return nullptr;

  for (const Stmt *fn : exports)
    reservedNames.insert(fn->name);
  for (const Stmt *fn : exports)
    if (failed(emitExport(*fn)))
      ok = false;
  if (!ok)
    return nullptr;

  if (failed(mlir::verify(module)))
    return nullptr;
  return owned;
}

} // namespace

mlir::OwningOpRef<mlir::ModuleOp>
spore::frontend::emitModule(const ast::Module &module, unsigned bufferId,
                            Diagnostics &diags, mlir::MLIRContext &context) {
  context.loadDialect<SporeDialect>();
  mlir::SourceMgrDiagnosticHandler handler(diags.getSourceMgr(), &context);
  return ModuleEmitter(bufferId, diags, context).run(module);
}

mlir::OwningOpRef<mlir::ModuleOp>
spore::frontend::compileSource(StringRef source, StringRef name,
                               mlir::MLIRContext &context) {
  llvm::SourceMgr sourceMgr;
  unsigned id = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, name), llvm::SMLoc());
  Diagnostics diags(sourceMgr);
  auto ast = parseModule(id, diags);
  if (!ast)
    return nullptr;
  return emitModule(*ast, id, diags, context);
}

mlir::OwningOpRef<mlir::ModuleOp>
spore::frontend::compileFile(StringRef path, mlir::MLIRContext &context) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/true);
  if (!buffer) {
    llvm::errs() << "error: cannot read '" << path
                 << "': " << buffer.getError().message() << "\n";
    return nullptr;
  }
  return compileSource((*buffer)->getBuffer(), path, context);
}
