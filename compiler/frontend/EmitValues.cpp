//===- EmitValues.cpp - values, literals and arithmetic -------------------===//
//
// Helpers over EValue and the value-level operations of FunctionEmitter:
// materialising weakly typed literals, casts, broadcasting, promotion, and
// binary arithmetic with folding of compile-time operands.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>

using namespace spore;

namespace spore::frontend::detail {

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
  case EValue::Tensor: // a result's template holds its type in `dtype`
    return "a tensor " + typeName(v.tensor ? v.tensor.getType() : v.dtype);
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
    return v.fn->name == "<lambda>" ? std::string("a lambda")
                                    : "the function '" + v.fn->name + "'";
  case EValue::Primitive:
    return "the primitive '" + v.str + "'";
  case EValue::DType:
    return "the dtype " + dtypeName(v.dtype);
  case EValue::Module:
    return "the module '" + v.str + "'";
  case EValue::Undefined:
    return "an undefined value";
  case EValue::Choice:
    return "a function chosen at run time";
  case EValue::Class:
    return "the Cell class '" + v.str + "'";
  case EValue::Object:
    return "a '" + v.str + "' Cell";
  case EValue::Parameter:
    return "a Parameter " + typeName(v.dtype);
  case EValue::Init:
    return "the initialiser '" + v.str + "'";
  case EValue::Transform:
    return "the function " + v.str + "(...)";
  }
  return "a value";
}

/// Primitives of language.md §5 that parse and resolve but are not
/// implemented yet: calling one is a located "not supported yet" error.
const llvm::StringSet<> &plannedPrimitives() {
  static const llvm::StringSet<> names = {"dim"};
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
  return EValue::ofTensor(CastOp::create(b, loc(l), type, v.tensor))
      .withWeak(v.weak);
}

FailureOr<EValue> FunctionEmitter::broadcastTo(const EValue &v,
                                               ArrayRef<int64_t> shape,
                                               SMLoc l) {
  RankedTensorType t = v.tensorType();
  if (t.getShape() == shape)
    return v;
  auto type = RankedTensorType::get(shape, t.getElementType());
  return EValue::ofTensor(BroadcastToOp::create(b, loc(l), type, v.tensor))
      .withWeak(v.weak);
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
  // A weak operand takes the other's dtype, unless it is of a higher kind
  // (bool < integer < float): a weak float meeting an integer keeps its
  // floating dtype (JAX's lattice).
  auto kindOf = [&](Type t) { return floatOf(t) ? 2 : t.isInteger(1) ? 0 : 1; };
  if (lhs.weak != rhs.weak) {
    const EValue &w = lhs.weak ? lhs : rhs;
    const EValue &strong = lhs.weak ? rhs : lhs;
    Type ws = w.tensorType().getElementType();
    Type ss = strong.tensorType().getElementType();
    target = kindOf(ws) > kindOf(ss) ? ws : ss;
  } else if (lhs.weak && floatOf(a) && floatOf(c)) {
    target = a.getIntOrFloatBitWidth() >= c.getIntOrFloatBitWidth() ? a : c;
  }
  if (target) {
    auto x = castTo(lhs, target, l);
    auto y = castTo(rhs, target, l);
    if (failed(x) || failed(y))
      return mlir::failure();
    return std::make_pair(*x, *y);
  }
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
    return EValue::ofFloat(spore::floatDivMod(a, c, op == "%"));
  }
  if (op == "**")
    return EValue::ofFloat(std::pow(a, c));
  return fail(l, "operator '" + op + "' is not supported on numbers yet");
}

/// An elementwise binary op whose result has its operands' type.
template <typename Op>
static mlir::Value buildBinary(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value p, mlir::Value q) {
  return Op::create(b, loc, p.getType(), p, q);
}

/// Whether the result of a binary op on `lhs` and `rhs` is weak: both are,
/// or a weak float meets a typed integer or bool (the result has the weak
/// float's dtype).
static bool weakResult(const EValue &lhs, const EValue &rhs) {
  auto typedInteger = [](const EValue &v) {
    return v.kind == EValue::Tensor && !v.weak &&
           !mlir::isa<mlir::FloatType>(v.tensorType().getElementType());
  };
  return (lhs.isWeak() && rhs.isWeak()) ||
         (lhs.isWeakFloat() && typedInteger(rhs)) ||
         (rhs.isWeakFloat() && typedInteger(lhs));
}

FailureOr<EValue> FunctionEmitter::binaryOp(StringRef op, const EValue &lhs,
                                            const EValue &rhs, SMLoc l) {
  if (lhs.isScalarConst() && rhs.isScalarConst())
    return foldBinary(op, lhs, rhs, l);
  if (op == "+" && lhs.kind == EValue::String && rhs.kind == EValue::String) {
    EValue joined = lhs;
    joined.str += rhs.str;
    return joined;
  }
  auto r = strongBinaryOp(op, lhs, rhs, l);
  if (failed(r) || r->kind != EValue::Tensor)
    return r;
  return r->withWeak(weakResult(lhs, rhs));
}

FailureOr<EValue> FunctionEmitter::strongBinaryOp(StringRef op,
                                                  const EValue &lhs,
                                                  const EValue &rhs, SMLoc l) {
  if (op == "+" && lhs.kind == EValue::Tuple && rhs.kind == EValue::Tuple) {
    std::vector<EValue> elts = lhs.elts;
    elts.insert(elts.end(), rhs.elts.begin(), rhs.elts.end());
    return EValue::ofTuple(std::move(elts));
  }
  // (1,) * n repeats a tuple, as in Python.
  if (op == "*" && (lhs.kind == EValue::Tuple || rhs.kind == EValue::Tuple)) {
    const EValue &t = lhs.kind == EValue::Tuple ? lhs : rhs;
    const EValue &n = lhs.kind == EValue::Tuple ? rhs : lhs;
    if (n.kind != EValue::Int)
      return fail(l, "a tuple can only be repeated by a compile-time int, "
                     "not " +
                         describe(n));
    if (n.i > 4096)
      return fail(l, "repeating a tuple " + std::to_string(n.i) +
                         " times is too many");
    std::vector<EValue> elts;
    for (int64_t i = 0; i < n.i; ++i)
      elts.insert(elts.end(), t.elts.begin(), t.elts.end());
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
  static const llvm::StringMap<ComparePredicate> comparisons = {
      {"==", ComparePredicate::eq}, {"!=", ComparePredicate::ne},
      {"<", ComparePredicate::lt},  {"<=", ComparePredicate::le},
      {">", ComparePredicate::gt},  {">=", ComparePredicate::ge}};
  bool isCompare = comparisons.count(op);
  bool isBitwise = op == "&" || op == "|" || op == "^";
  if (op != "+" && op != "-" && op != "*" && op != "/" && op != "**" &&
      op != "//" && op != "%" && op != "maximum" && op != "minimum" &&
      op != "atan2" && !isCompare && !isBitwise)
    return fail(l, "operator '" + op + "' on tensors is not supported yet");
  auto u = unify(op, lhs, rhs, l);
  if (failed(u))
    return mlir::failure();
  auto [x, y] = *u;
  Type et = x.tensorType().getElementType();
  if (isBitwise && !mlir::isa<mlir::IntegerType>(et))
    return fail(l, "'" + op + "' needs bool or integer operands, got " +
                       dtypeName(et));
  if (et.isInteger(1) && !isCompare && !isBitwise)
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
  using Builder = mlir::Value (*)(mlir::OpBuilder &, mlir::Location,
                                  mlir::Value, mlir::Value);
  static const llvm::StringMap<Builder> builders = {
      {"&", buildBinary<AndOp>},           {"|", buildBinary<OrOp>},
      {"^", buildBinary<XorOp>},           {"//", buildBinary<FloorDivOp>},
      {"%", buildBinary<ModOp>},           {"+", buildBinary<AddOp>},
      {"-", buildBinary<SubOp>},           {"*", buildBinary<MulOp>},
      {"/", buildBinary<DivOp>},           {"**", buildBinary<PowOp>},
      {"maximum", buildBinary<MaximumOp>}, {"minimum", buildBinary<MinimumOp>},
      {"atan2", buildBinary<Atan2Op>}};
  if (isCompare)
    r = CompareOp::create(b, ml, comparisons.lookup(op), p, q);
  else
    r = builders.lookup(op)(b, ml, p, q);
  return EValue::ofTensor(r);
}

} // namespace spore::frontend::detail
