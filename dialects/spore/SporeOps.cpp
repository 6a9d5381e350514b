//===- SporeOps.cpp - ops of the spore dialect ----------------------------===//
//
// Verifiers, folders, custom assembly and the scalar bodies of the
// elementwise primitives.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
using namespace spore;

#include "dialects/spore/SporeEnums.cpp.inc"
#include "dialects/spore/SporeInterfaces.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

std::string spore::formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

FailureOr<SmallVector<int64_t>> spore::broadcastShapes(ArrayRef<int64_t> a,
                                                       ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return failure();
    result[rank - 1 - i] = da == 1 ? db : da;
  }
  return result;
}

FailureOr<SmallVector<int64_t>>
spore::matmulShape(ArrayRef<int64_t> a, ArrayRef<int64_t> b, std::string &why) {
  if (a.empty() || b.empty()) {
    why = "matmul operands must have rank >= 1";
    return failure();
  }
  SmallVector<int64_t> lhs(a), rhs(b);
  bool lhsVector = lhs.size() == 1, rhsVector = rhs.size() == 1;
  if (lhsVector)
    lhs.insert(lhs.begin(), 1);
  if (rhsVector)
    rhs.push_back(1);
  int64_t k1 = lhs.back(), k2 = rhs[rhs.size() - 2];
  if (k1 != k2) {
    why = "contracting dimensions differ: " + formatShape(a) + " @ " +
          formatShape(b) + " (" + std::to_string(k1) + " vs " +
          std::to_string(k2) + ")";
    return failure();
  }
  auto batch =
      broadcastShapes(ArrayRef(lhs).drop_back(2), ArrayRef(rhs).drop_back(2));
  if (failed(batch)) {
    why = "batch dimensions of " + formatShape(a) + " and " + formatShape(b) +
          " do not broadcast";
    return failure();
  }
  SmallVector<int64_t> result = *batch;
  if (!lhsVector)
    result.push_back(lhs[lhs.size() - 2]);
  if (!rhsVector)
    result.push_back(rhs.back());
  return result;
}

SmallVector<int64_t> spore::reducedShape(ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> axes,
                                         bool keepdims) {
  SmallVector<int64_t> result;
  for (auto [i, size] : llvm::enumerate(shape)) {
    if (!llvm::is_contained(axes, (int64_t)i))
      result.push_back(size);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

static ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

static Type elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

std::string spore::dtypeName(Type t) {
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  if (t.isF32())
    return "f32";
  if (t.isF64())
    return "f64";
  if (t.isInteger(1))
    return "bool";
  if (t.isInteger(8))
    return "i8";
  if (t.isInteger(32))
    return "i32";
  if (t.isInteger(64))
    return "i64";
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

Value spore::buildScalarConstant(OpBuilder &b, Location loc, Type type,
                                 double value) {
  if (isa<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(type, (int64_t)value));
}

/// `: T` for binary ops whose operands and result share one type.
static ParseResult parseSameTypes(OpAsmParser &parser, Type &lhs, Type &rhs,
                                  Type &result) {
  if (parser.parseType(result))
    return failure();
  lhs = rhs = result;
  return success();
}

static void printSameTypes(OpAsmPrinter &p, Operation *, Type, Type,
                           Type result) {
  // Verified IR has one type; invalid IR is printed in the generic form.
  p << result;
}

/// `: T` for ops whose two operands share one type.
static ParseResult parseSameOperandTypes(OpAsmParser &parser, Type &lhs,
                                         Type &rhs) {
  if (parser.parseType(lhs))
    return failure();
  rhs = lhs;
  return success();
}

static void printSameOperandTypes(OpAsmPrinter &p, Operation *, Type lhs,
                                  Type) {
  p << lhs;
}

//===----------------------------------------------------------------------===//
// FuncOp, ReturnOp, CallOp
//===----------------------------------------------------------------------===//

void FuncOp::build(OpBuilder &builder, OperationState &state, StringRef name,
                   FunctionType type) {
  state.addAttribute(SymbolTable::getSymbolAttrName(),
                     builder.getStringAttr(name));
  state.addAttribute(getFunctionTypeAttrName(state.name), TypeAttr::get(type));
  state.addRegion();
}

ParseResult FuncOp::parse(OpAsmParser &parser, OperationState &result) {
  auto buildFuncType =
      [](Builder &builder, ArrayRef<Type> argTypes, ArrayRef<Type> results,
         function_interface_impl::VariadicFlag,
         std::string &) { return builder.getFunctionType(argTypes, results); };
  return function_interface_impl::parseFunctionOp(
      parser, result, /*allowVariadic=*/false,
      getFunctionTypeAttrName(result.name), buildFuncType,
      getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void FuncOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(
      p, *this, /*isVariadic=*/false, getFunctionTypeAttrName(),
      getArgAttrsAttrName(), getResAttrsAttrName());
}

LogicalResult FuncOp::verify() {
  if (isExternal())
    return success();
  if (isExported()) {
    for (Type t : getFunctionType().getInputs())
      if (!isa<RankedTensorType>(t))
        return emitOpError("exported function argument must be a tensor, got ")
               << t;
    for (Type t : getFunctionType().getResults())
      if (!isa<RankedTensorType>(t))
        return emitOpError("exported function result must be a tensor, got ")
               << t;
  }
  return success();
}

/// The spore.func that a transform op differentiates, checked to take
/// `operands` (the op's `what`: operands or primals).
static FailureOr<FuncOp> transformedCallee(Operation *op,
                                           SymbolTableCollection &symbolTable,
                                           FlatSymbolRefAttr callee,
                                           TypeRange operands, StringRef what) {
  auto fn = symbolTable.lookupNearestSymbolFrom<FuncOp>(op, callee);
  if (!fn)
    return op->emitOpError("'") << callee.getValue() << "' is not a spore.func";
  if (TypeRange(fn.getFunctionType().getInputs()) != operands)
    return op->emitOpError()
           << what << " types do not match '" << callee.getValue() << "'";
  return fn;
}

LogicalResult GradOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn = transformedCallee(*this, symbolTable, getCalleeAttr(),
                              getOperands().getTypes(), "operand");
  if (failed(fn))
    return failure();
  FunctionType type = fn->getFunctionType();
  if (type.getNumResults() == 0)
    return emitOpError("'")
           << getCallee() << "' returns nothing to differentiate";
  auto value = dyn_cast<RankedTensorType>(type.getResult(0));
  if (!value || value.getRank() != 0 || !isa<FloatType>(value.getElementType()))
    return emitOpError("'")
           << getCallee() << "' must return a 0-d float tensor first, not "
           << type.getResult(0);
  SmallVector<Type> want;
  if (getWithValue())
    llvm::append_range(want, type.getResults());
  for (int64_t i : getWrt())
    want.push_back(getOperands()[i].getType());
  if (TypeRange(want) != getResultTypes())
    return emitOpError("result types must be ")
           << (getWithValue() ? "the callee's results, then " : "")
           << "the types of the differentiated operands";
  return success();
}

/// The checks that spore.grad and spore.vjp share: `wrt` selects float
/// tensor operands, in increasing order.
static LogicalResult verifyWrt(Operation *op, ArrayRef<int64_t> wrt,
                               OperandRange operands) {
  for (size_t i = 0; i < wrt.size(); ++i) {
    if (wrt[i] < 0 || wrt[i] >= (int64_t)operands.size())
      return op->emitOpError("wrt index ") << wrt[i] << " is out of range";
    if (i > 0 && wrt[i] <= wrt[i - 1])
      return op->emitOpError("wrt indices must increase");
    auto t = dyn_cast<RankedTensorType>(operands[wrt[i]].getType());
    if (!t || !isa<FloatType>(t.getElementType()))
      return op->emitOpError("operand ")
             << wrt[i] << " is differentiated but is not a float tensor";
  }
  return success();
}

LogicalResult AssertOp::verify() {
  // A message without values is literal text (a user's assert message may
  // hold "{}").
  if (getValues().empty())
    return success();
  size_t holes = 0;
  for (size_t at = getMessage().find("{}"); at != StringRef::npos;
       at = getMessage().find("{}", at + 2))
    ++holes;
  if (holes != getValues().size())
    return emitOpError("message has ")
           << holes << " '{}' for " << getValues().size() << " values";
  return success();
}

LogicalResult GradOp::verify() {
  return verifyWrt(*this, getWrt(), getOperands());
}

LogicalResult VjpOp::verify() {
  return verifyWrt(*this, getWrt(), getPrimals());
}

LogicalResult VjpOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn = transformedCallee(*this, symbolTable, getCalleeAttr(),
                              getPrimals().getTypes(), "primal");
  if (failed(fn))
    return failure();
  FunctionType type = fn->getFunctionType();
  if (TypeRange(type.getResults()) != TypeRange(getCotangents().getTypes()))
    return emitOpError("cotangent types must be the results of '")
           << getCallee() << "'";
  SmallVector<Type> want(type.getResults());
  for (int64_t i : getWrt())
    want.push_back(getPrimals()[i].getType());
  if (TypeRange(want) != getResultTypes())
    return emitOpError("result types must be the callee's results, then the "
                       "types of the differentiated primals");
  return success();
}

LogicalResult JvpOp::verify() {
  if (failed(verifyWrt(*this, getWrt(), getPrimals())))
    return failure();
  if (getWrt().size() != getTangents().size())
    return emitOpError("takes one tangent per differentiated primal");
  for (auto [i, t] : llvm::zip(getWrt(), getTangents()))
    if (getPrimals()[i].getType() != t.getType())
      return emitOpError("tangent types must be those of the differentiated "
                         "primals");
  return success();
}

LogicalResult JvpOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn = transformedCallee(*this, symbolTable, getCalleeAttr(),
                              getPrimals().getTypes(), "primal");
  if (failed(fn))
    return failure();
  FunctionType type = fn->getFunctionType();
  SmallVector<Type> want(type.getResults());
  llvm::append_range(want, type.getResults());
  if (TypeRange(want) != getResultTypes())
    return emitOpError("result types must be the callee's results, twice "
                       "(values, then tangents)");
  return success();
}

LogicalResult JacobianOp::verify() {
  int64_t wrt = getWrt();
  if (wrt < 0 || wrt >= (int64_t)getPrimals().size())
    return emitOpError("wrt ") << wrt << " is out of range for "
                               << getPrimals().size() << " primals";
  auto x = dyn_cast<RankedTensorType>(getPrimals()[wrt].getType());
  if (!x || !isa<FloatType>(x.getElementType()))
    return emitOpError("differentiates with respect to a floating tensor, "
                       "not ")
           << getPrimals()[wrt].getType();
  if (std::optional<int64_t> width = getWidth(); width && *width < 1)
    return emitOpError("width must be at least 1, got ") << *width;
  return success();
}

LogicalResult JacobianOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn = transformedCallee(*this, symbolTable, getCalleeAttr(),
                              getPrimals().getTypes(), "primal");
  if (failed(fn))
    return failure();
  FunctionType type = fn->getFunctionType();
  auto y = type.getNumResults() == 1
               ? dyn_cast<RankedTensorType>(type.getResult(0))
               : RankedTensorType();
  if (!y || !isa<FloatType>(y.getElementType()))
    return emitOpError("'")
           << getCallee() << "' must return one floating tensor";
  auto x = cast<RankedTensorType>(getPrimals()[getWrt()].getType());
  SmallVector<int64_t> shape(y.getShape());
  llvm::append_range(shape, x.getShape());
  auto want = RankedTensorType::get(shape, x.getElementType());
  if (getType() != want)
    return emitOpError("result type must be ") << want;
  return success();
}

LogicalResult ParameterOp::verify() {
  StringRef name = getName();
  if (name.empty() ||
      llvm::any_of(name, [](char c) { return c <= ' ' || c > '~'; }))
    return emitOpError("name must be non-empty printable ASCII without "
                       "spaces, got '")
           << name << "'";
  size_t want = llvm::StringSwitch<size_t>(getInit())
                    .Case("const", 1)
                    .Case("uniform", 2)
                    .Case("normal", 1)
                    .Default(0);
  if (want == 0)
    return emitOpError("initialiser must be const, uniform or normal, got '")
           << getInit() << "'";
  if (getArgs().size() != want)
    return emitOpError("initialiser '")
           << getInit() << "' takes " << want << " arguments, got "
           << getArgs().size();
  return success();
}

LogicalResult AssignOp::verify() {
  auto module = (*this)->getParentOfType<ModuleOp>();
  if (!module)
    return success();
  for (auto p : module.getOps<ParameterOp>())
    if (p.getName() == getName()) {
      if (p.getType() != getValue().getType())
        return emitOpError("assigns ")
               << getValue().getType() << " to the Parameter '" << getName()
               << "' of type " << p.getType();
      return success();
    }
  return emitOpError("assigns to '")
         << getName() << "', which is no Parameter of the module";
}

std::optional<double> spore::evaluateUnary(StringRef name, double a) {
  using Fn = double (*)(double);
  static const llvm::StringMap<Fn> kernels = {
      {"neg", [](double v) { return -v; }},
      {"abs", [](double v) { return std::fabs(v); }},
      {"exp", [](double v) { return std::exp(v); }},
      {"expm1", [](double v) { return std::expm1(v); }},
      {"log", [](double v) { return std::log(v); }},
      {"log1p", [](double v) { return std::log1p(v); }},
      {"sqrt", [](double v) { return std::sqrt(v); }},
      {"rsqrt", [](double v) { return 1.0 / std::sqrt(v); }},
      {"sin", [](double v) { return std::sin(v); }},
      {"cos", [](double v) { return std::cos(v); }},
      {"tan", [](double v) { return std::tan(v); }},
      {"sinh", [](double v) { return std::sinh(v); }},
      {"cosh", [](double v) { return std::cosh(v); }},
      {"asin", [](double v) { return std::asin(v); }},
      {"acos", [](double v) { return std::acos(v); }},
      {"atan", [](double v) { return std::atan(v); }},
      {"erf", [](double v) { return std::erf(v); }},
      {"lgamma", [](double v) { return std::lgamma(v); }},
      {"digamma", [](double v) { return polygammaValue(0, v); }},
      {"floor", [](double v) { return std::floor(v); }},
      {"ceil", [](double v) { return std::ceil(v); }},
      // The default rounding: halves to even, as NumPy.
      {"round", [](double v) { return std::nearbyint(v); }},
      {"tanh", [](double v) { return std::tanh(v); }},
      {"sigmoid", [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
      {"relu", [](double v) { return v > 0 ? v : (v == v ? 0.0 : v); }},
  };
  auto it = kernels.find(name);
  if (it == kernels.end())
    return std::nullopt;
  return it->second(a);
}

std::string spore::sourceSite(Location loc) {
  std::string site = "a model";
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner)) {
      site = (llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
              Twine(file.getLine()) + ":" + Twine(file.getColumn()))
                 .str();
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return site;
}

std::string spore::stateDescriptor(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (auto p : module.getOps<ParameterOp>()) {
    auto type = cast<RankedTensorType>(p.getType());
    os << p.getName() << " " << dtypeName(type.getElementType()) << " [";
    llvm::interleave(type.getShape(), os, ",");
    os << "] " << p.getInit();
    for (double a : p.getArgs())
      os << " " << llvm::format("%.17g", a);
    os << "\n";
  }
  return text;
}

std::string spore::exportsDescriptor(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto typeText = [&](Type type) {
    auto t = cast<RankedTensorType>(type);
    os << dtypeName(t.getElementType()) << "[";
    llvm::interleave(t.getShape(), os, ",");
    os << "]";
  };
  for (auto fn : module.getOps<FuncOp>()) {
    if (!fn.isExported())
      continue;
    os << fn.getSymName();
    for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
      if (fn.getArgAttr(i, ParameterOp::getStateAttrName()))
        continue;
      auto name =
          fn.getArgAttrOfType<StringAttr>(i, FuncOp::getArgNameAttrName());
      os << " " << (name ? name.str() : "arg" + std::to_string(i)) << ":";
      typeText(type);
    }
    os << " ->";
    size_t writes = 0;
    if (auto attr = fn->getAttrOfType<DenseI64ArrayAttr>(kStateWritesAttr))
      writes = attr.size();
    for (Type type : fn.getResultTypes().drop_back(writes)) {
      os << " ";
      typeText(type);
    }
    os << "\n";
  }
  return text;
}

LogicalResult ReturnOp::verify() {
  auto func = (*this)->getParentOfType<FuncOp>();
  ArrayRef<Type> results = func.getFunctionType().getResults();
  if (getNumOperands() != results.size())
    return emitOpError("returns ")
           << getNumOperands() << " values but the function '"
           << func.getSymName() << "' has " << results.size() << " results";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getOperands(), results)))
    if (std::get<0>(pair).getType() != std::get<1>(pair))
      return emitOpError("return value #")
             << i << " has type " << std::get<0>(pair).getType()
             << " but the function result has type " << std::get<1>(pair);
  return success();
}

LogicalResult CallOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto fn = symbolTable.lookupNearestSymbolFrom<FuncOp>(*this, getCalleeAttr());
  if (!fn)
    return emitOpError("'")
           << getCallee() << "' does not name a spore.func in this module";
  FunctionType type = fn.getFunctionType();
  if (type.getNumInputs() != getNumOperands())
    return emitOpError("passes ")
           << getNumOperands() << " arguments but '" << getCallee()
           << "' takes " << type.getNumInputs();
  for (unsigned i = 0, e = type.getNumInputs(); i != e; ++i)
    if (getOperand(i).getType() != type.getInput(i))
      return emitOpError("argument #")
             << i << " has type " << getOperand(i).getType() << " but '"
             << getCallee() << "' expects " << type.getInput(i);
  if (type.getNumResults() != getNumResults())
    return emitOpError("has ")
           << getNumResults() << " results but '" << getCallee() << "' returns "
           << type.getNumResults();
  for (unsigned i = 0, e = type.getNumResults(); i != e; ++i)
    if (getResult(i).getType() != type.getResult(i))
      return emitOpError("result #")
             << i << " has type " << getResult(i).getType() << " but '"
             << getCallee() << "' returns " << type.getResult(i);
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp, CastOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult CastOp::verify() {
  if (shapeOf(getInput()) != shapeOf(getResult()))
    return emitOpError("result shape ") << formatShape(shapeOf(getResult()))
                                        << " differs from the input shape "
                                        << formatShape(shapeOf(getInput()));
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  return {};
}

Value CastOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  Type from = x.getType(), to = elementTypeOf(getResult());
  if (from == to)
    return x;
  if (to.isInteger(1)) {
    Value zero = buildScalarConstant(b, loc, from, 0);
    if (isa<FloatType>(from))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x, zero);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x, zero);
  }
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat) {
    if (fromFloat.getWidth() < toFloat.getWidth())
      return arith::ExtFOp::create(b, loc, to, x);
    return arith::TruncFOp::create(b, loc, to, x);
  }
  if (toFloat) {
    if (from.isInteger(1))
      return arith::UIToFPOp::create(b, loc, to, x);
    return arith::SIToFPOp::create(b, loc, to, x);
  }
  if (fromFloat)
    return arith::FPToSIOp::create(b, loc, to, x);
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return from.isInteger(1)
               ? arith::ExtUIOp::create(b, loc, to, x).getResult()
               : arith::ExtSIOp::create(b, loc, to, x).getResult();
  return arith::TruncIOp::create(b, loc, to, x);
}

//===----------------------------------------------------------------------===//
// Elementwise primitives
//===----------------------------------------------------------------------===//

Value NegOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  if (isa<FloatType>(x.getType()))
    return arith::NegFOp::create(b, loc, x);
  return arith::SubIOp::create(b, loc,
                               buildScalarConstant(b, loc, x.getType(), 0), x);
}

Value ExpOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  return math::ExpOp::create(b, loc, operands[0]);
}

Value LogOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  return math::LogOp::create(b, loc, operands[0]);
}

Value TanhOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  return math::TanhOp::create(b, loc, operands[0]);
}

Value SigmoidOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  // 1 / (1 + e^-x): e^-x overflows to inf for very negative x, giving 0.
  Value x = operands[0];
  Value one = buildScalarConstant(b, loc, x.getType(), 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}

Value AbsOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  if (isa<FloatType>(x.getType()))
    return math::AbsFOp::create(b, loc, x);
  if (x.getType().isInteger(1))
    return x;
  return math::AbsIOp::create(b, loc, x);
}

#define SPORE_MATH_UNARY(Op, MathOp)                                           \
  Value Op::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {     \
    return MathOp::create(b, loc, operands[0]);                                \
  }
SPORE_MATH_UNARY(SqrtOp, math::SqrtOp)
SPORE_MATH_UNARY(RsqrtOp, math::RsqrtOp)
SPORE_MATH_UNARY(Expm1Op, math::ExpM1Op)
SPORE_MATH_UNARY(Log1pOp, math::Log1pOp)
SPORE_MATH_UNARY(SinOp, math::SinOp)
SPORE_MATH_UNARY(CosOp, math::CosOp)
SPORE_MATH_UNARY(TanOp, math::TanOp)
SPORE_MATH_UNARY(SinhOp, math::SinhOp)
SPORE_MATH_UNARY(CoshOp, math::CoshOp)
SPORE_MATH_UNARY(AsinOp, math::AsinOp)
SPORE_MATH_UNARY(AcosOp, math::AcosOp)
SPORE_MATH_UNARY(AtanOp, math::AtanOp)
SPORE_MATH_UNARY(ErfOp, math::ErfOp)
SPORE_MATH_UNARY(FloorOp, math::FloorOp)
SPORE_MATH_UNARY(CeilOp, math::CeilOp)
SPORE_MATH_UNARY(RoundOp, math::RoundEvenOp)
#undef SPORE_MATH_UNARY

Value ReluOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0];
  Value zero = buildScalarConstant(b, loc, x.getType(), 0);
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, zero);
  return arith::MaxSIOp::create(b, loc, x, zero);
}

/// The shared type inference of the binary elementwise ops: equal operand
/// types, with a hint at the explicit broadcast the frontend should insert.
LogicalResult spore::inferBinaryType(StringRef opName,
                                     std::optional<Location> loc, Value lhs,
                                     Value rhs,
                                     SmallVectorImpl<Type> &inferred) {
  if (lhs.getType() != rhs.getType()) {
    if (elementTypeOf(lhs) != elementTypeOf(rhs))
      return emitOptionalError(loc, "'", opName,
                               "' op operand element types differ: ",
                               lhs.getType(), " vs ", rhs.getType());
    return emitOptionalError(loc, "'", opName, "' op operand shapes differ: ",
                             formatShape(shapeOf(lhs)), " vs ",
                             formatShape(shapeOf(rhs)),
                             " (broadcast explicitly with spore.broadcast_to)");
  }
  inferred.push_back(lhs.getType());
  return success();
}

#define SPORE_BINARY_OP(Op, floatBody, intBody)                                \
  Value Op::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {     \
    Value x = operands[0], y = operands[1];                                    \
    if (isa<FloatType>(x.getType()))                                           \
      return floatBody::create(b, loc, x, y);                                  \
    return intBody::create(b, loc, x, y);                                      \
  }

SPORE_BINARY_OP(AddOp, arith::AddFOp, arith::AddIOp)
SPORE_BINARY_OP(SubOp, arith::SubFOp, arith::SubIOp)
SPORE_BINARY_OP(MulOp, arith::MulFOp, arith::MulIOp)
SPORE_BINARY_OP(MaximumOp, arith::MaximumFOp, arith::MaxSIOp)
SPORE_BINARY_OP(MinimumOp, arith::MinimumFOp, arith::MinSIOp)
#undef SPORE_BINARY_OP

Value DivOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  return arith::DivFOp::create(b, loc, operands[0], operands[1]);
}

Value Atan2Op::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  return math::Atan2Op::create(b, loc, operands[0], operands[1]);
}

Value PowOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  return math::PowFOp::create(b, loc, operands[0], operands[1]);
}

/// NumPy's integer division and remainder: floor semantics, and 0 where the
/// divisor is 0 (instead of undefined behaviour).
static Value integerDivision(OpBuilder &b, Location loc, Value x, Value y,
                             bool remainder) {
  Type t = x.getType();
  Value zero = buildScalarConstant(b, loc, t, 0);
  Value one = buildScalarConstant(b, loc, t, 1);
  Value isZero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, y, zero);
  Value safe = arith::SelectOp::create(b, loc, isZero, one, y);
  Value r;
  if (!remainder) {
    r = arith::FloorDivSIOp::create(b, loc, x, safe);
  } else {
    // remsi has the dividend's sign; move it to the divisor's.
    Value rem = arith::RemSIOp::create(b, loc, x, safe);
    Value remNeg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, rem, zero);
    Value divNeg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, safe, zero);
    Value nonzero =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, zero);
    Value fix = arith::AndIOp::create(
        b, loc, nonzero, arith::XOrIOp::create(b, loc, remNeg, divNeg));
    r = arith::SelectOp::create(b, loc, fix,
                                arith::AddIOp::create(b, loc, rem, safe), rem);
  }
  return arith::SelectOp::create(b, loc, isZero, zero, r);
}

/// NumPy's floating divmod (npy_divmod): the remainder is fmod's (exact),
/// moved into the divisor's sign; the quotient is (x - remainder) / y
/// rounded to the nearest integer. floor(x / y) and x - floor(x / y) * y
/// differ from it where x / y rounds up (1 // 0.1 is 9 and 1 % 0.1 is
/// 0.1, not 10 and 0) and on infinite divisors (-1 % inf is inf, not NaN).
/// spore::floatDivMod computes the same on doubles.
static Value buildFloatDivMod(OpBuilder &b, Location loc, Value x, Value y,
                              bool remainder) {
  Type t = x.getType();
  using P = arith::CmpFPredicate;
  auto cmp = [&](P p, Value l, Value r) {
    return arith::CmpFOp::create(b, loc, p, l, r);
  };
  Value zero = buildScalarConstant(b, loc, t, 0);
  Value one = buildScalarConstant(b, loc, t, 1);
  Value mod = arith::RemFOp::create(b, loc, x, y);
  Value modNonzero = cmp(P::UNE, mod, zero);
  Value signsDiffer = arith::XOrIOp::create(b, loc, cmp(P::OLT, y, zero),
                                            cmp(P::OLT, mod, zero));
  Value move = arith::AndIOp::create(b, loc, modNonzero, signsDiffer);
  if (remainder) {
    Value moved = arith::SelectOp::create(
        b, loc, move, arith::AddFOp::create(b, loc, mod, y), mod);
    // A zero remainder takes the divisor's sign.
    return arith::SelectOp::create(b, loc, modNonzero, moved,
                                   math::CopySignOp::create(b, loc, zero, y));
  }
  Value quotient = arith::DivFOp::create(b, loc, x, y);
  Value div =
      arith::DivFOp::create(b, loc, arith::SubFOp::create(b, loc, x, mod), y);
  div = arith::SelectOp::create(b, loc, move,
                                arith::SubFOp::create(b, loc, div, one), div);
  Value floor = math::FloorOp::create(b, loc, div);
  Value half = buildScalarConstant(b, loc, t, 0.5);
  Value roundUp = cmp(P::OGT, arith::SubFOp::create(b, loc, div, floor), half);
  floor = arith::SelectOp::create(
      b, loc, roundUp, arith::AddFOp::create(b, loc, floor, one), floor);
  Value result =
      arith::SelectOp::create(b, loc, cmp(P::UNE, div, zero), floor,
                              math::CopySignOp::create(b, loc, zero, quotient));
  // A zero divisor gives x / y (+-inf or NaN).
  return arith::SelectOp::create(b, loc, cmp(P::OEQ, y, zero), quotient,
                                 result);
}

double spore::floatDivMod(double a, double b, bool remainder) {
  double mod = std::fmod(a, b);
  bool move = mod != 0 && ((b < 0) != (mod < 0));
  if (remainder)
    return mod != 0 ? (move ? mod + b : mod) : std::copysign(0.0, b);
  if (b == 0)
    return a / b;
  double div = (a - mod) / b - (move ? 1 : 0);
  if (div == 0)
    return std::copysign(0.0, a / b);
  double floor = std::floor(div);
  return div - floor > 0.5 ? floor + 1 : floor;
}

Value FloorDivOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0], y = operands[1];
  if (isa<FloatType>(x.getType()))
    return buildFloatDivMod(b, loc, x, y, /*remainder=*/false);
  return integerDivision(b, loc, x, y, /*remainder=*/false);
}

Value ModOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0], y = operands[1];
  if (isa<FloatType>(x.getType()))
    return buildFloatDivMod(b, loc, x, y, /*remainder=*/true);
  return integerDivision(b, loc, x, y, /*remainder=*/true);
}

#define SPORE_BITWISE_OP(Op, Body)                                             \
  Value Op::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {     \
    return Body::create(b, loc, operands[0], operands[1]);                     \
  }
SPORE_BITWISE_OP(AndOp, arith::AndIOp)
SPORE_BITWISE_OP(OrOp, arith::OrIOp)
SPORE_BITWISE_OP(XorOp, arith::XOrIOp)
#undef SPORE_BITWISE_OP

Value NotOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  // All ones: `true` for bool, -1 (bitwise complement) for integers.
  Value x = operands[0];
  Value ones = arith::ConstantOp::create(
      b, loc,
      b.getIntegerAttr(x.getType(), llvm::APInt::getAllOnes(
                                        x.getType().getIntOrFloatBitWidth())));
  return arith::XOrIOp::create(b, loc, x, ones);
}

//===----------------------------------------------------------------------===//
// CompareOp, SelectOp
//===----------------------------------------------------------------------===//

LogicalResult CompareOp::inferReturnTypes(MLIRContext *ctx,
                                          std::optional<Location>,
                                          ValueRange operands, DictionaryAttr,
                                          OpaqueProperties, RegionRange,
                                          SmallVectorImpl<Type> &inferred) {
  auto lhs = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!lhs)
    return failure();
  inferred.push_back(
      RankedTensorType::get(lhs.getShape(), IntegerType::get(ctx, 1)));
  return success();
}

LogicalResult CompareOp::verify() {
  if (getLhs().getType() != getRhs().getType())
    return emitOpError("operand types differ: ")
           << getLhs().getType() << " vs " << getRhs().getType()
           << " (broadcast and convert explicitly first)";
  return success();
}

Value CompareOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  Value x = operands[0], y = operands[1];
  if (isa<FloatType>(x.getType())) {
    static const arith::CmpFPredicate preds[] = {
        arith::CmpFPredicate::OEQ, arith::CmpFPredicate::UNE,
        arith::CmpFPredicate::OLT, arith::CmpFPredicate::OLE,
        arith::CmpFPredicate::OGT, arith::CmpFPredicate::OGE};
    return arith::CmpFOp::create(b, loc, preds[(int)getPredicate()], x, y);
  }
  // Bools compare as unsigned (false < true), other integers as signed.
  bool isBool = x.getType().isInteger(1);
  static const arith::CmpIPredicate signedPreds[] = {
      arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
      arith::CmpIPredicate::slt, arith::CmpIPredicate::sle,
      arith::CmpIPredicate::sgt, arith::CmpIPredicate::sge};
  static const arith::CmpIPredicate unsignedPreds[] = {
      arith::CmpIPredicate::eq,  arith::CmpIPredicate::ne,
      arith::CmpIPredicate::ult, arith::CmpIPredicate::ule,
      arith::CmpIPredicate::ugt, arith::CmpIPredicate::uge};
  return arith::CmpIOp::create(
      b, loc, (isBool ? unsignedPreds : signedPreds)[(int)getPredicate()], x,
      y);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  Type t = adaptor.getTrueValue().getType();
  if (adaptor.getFalseValue().getType() != t)
    return emitOptionalError(loc, "'spore.select' op branch types differ: ", t,
                             " vs ", adaptor.getFalseValue().getType());
  if (shapeOf(adaptor.getCond()) != shapeOf(adaptor.getTrueValue()))
    return emitOptionalError(loc, "'spore.select' op condition shape ",
                             formatShape(shapeOf(adaptor.getCond())),
                             " differs from ",
                             formatShape(shapeOf(adaptor.getTrueValue())));
  inferred.push_back(t);
  return success();
}

Value SelectOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  return arith::SelectOp::create(b, loc, operands[0], operands[1], operands[2]);
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

/// Checks that `starts[d] + i * steps[d]` stays in `[0, dims[d])` for every
/// `i < sizes[d]`.
static LogicalResult verifyStridedBlock(Operation *op, ArrayRef<int64_t> dims,
                                        ArrayRef<int64_t> sizes,
                                        ArrayRef<int64_t> starts,
                                        ArrayRef<int64_t> steps,
                                        bool positiveSteps) {
  if (starts.size() != dims.size() || steps.size() != dims.size() ||
      sizes.size() != dims.size())
    return op->emitOpError("needs one start and one step per dimension (")
           << dims.size() << "), got " << starts.size() << " and "
           << steps.size();
  for (size_t d = 0; d < dims.size(); ++d) {
    if (steps[d] == 0 || (positiveSteps && steps[d] < 0))
      return op->emitOpError("step ")
             << steps[d] << " of dimension " << d << " must be "
             << (positiveSteps ? "positive" : "non-zero");
    if (sizes[d] == 0)
      continue;
    int64_t last = starts[d] + (sizes[d] - 1) * steps[d];
    if (starts[d] < 0 || starts[d] >= dims[d] || last < 0 || last >= dims[d])
      return op->emitOpError("dimension ")
             << d << ": indices " << starts[d] << " to " << last
             << " are out of bounds for size " << dims[d];
  }
  return success();
}

LogicalResult SliceOp::verify() {
  if (elementTypeOf(getInput()) != elementTypeOf(getResult()))
    return emitOpError("result element type differs from the input's");
  return verifyStridedBlock(*this, shapeOf(getInput()), shapeOf(getResult()),
                            getStarts(), getSteps(), /*positiveSteps=*/false);
}

LogicalResult UpdateSliceOp::verify() {
  if (elementTypeOf(getInput()) != elementTypeOf(getUpdate()))
    return emitOpError("update element type differs from the input's");
  if (shapeOf(getUpdate()).size() != shapeOf(getInput()).size())
    return emitOpError("update rank differs from the input's");
  return verifyStridedBlock(*this, shapeOf(getInput()), shapeOf(getUpdate()),
                            getStarts(), getSteps(), /*positiveSteps=*/true);
}

/// Shared checks of the dynamic block ops: one start per dimension and a
/// block that fits.
static LogicalResult verifyDynamicBlock(Operation *op, Value input,
                                        ArrayRef<int64_t> block,
                                        size_t numStarts) {
  ArrayRef<int64_t> dims = shapeOf(input);
  if (numStarts != dims.size())
    return op->emitOpError("needs one start per dimension (")
           << dims.size() << "), got " << numStarts;
  if (block.size() != dims.size())
    return op->emitOpError("block rank differs from the input's");
  for (size_t d = 0; d < dims.size(); ++d)
    if (block[d] > dims[d])
      return op->emitOpError("block size ") << block[d] << " exceeds dimension "
                                            << d << " of size " << dims[d];
  return success();
}

LogicalResult DynamicSliceOp::verify() {
  if (elementTypeOf(getInput()) != elementTypeOf(getResult()))
    return emitOpError("result element type differs from the input's");
  return verifyDynamicBlock(*this, getInput(), shapeOf(getResult()),
                            getStarts().size());
}

OpFoldResult DynamicUpdateSliceOp::fold(FoldAdaptor) {
  // A block the size of the input replaces all of it (starts clamp to 0).
  if (getUpdate().getType() == getInput().getType())
    return getUpdate();
  return {};
}

LogicalResult DynamicUpdateSliceOp::verify() {
  if (elementTypeOf(getInput()) != elementTypeOf(getUpdate()))
    return emitOpError("update element type differs from the input's");
  return verifyDynamicBlock(*this, getInput(), shapeOf(getUpdate()),
                            getStarts().size());
}

/// The shape of `input` with axis `axis` replaced by the shape of
/// `indices`: gather's result and scatter_add's updates.
static FailureOr<SmallVector<int64_t>>
gatheredShape(StringRef opName, std::optional<Location> loc, Value input,
              Value indices, int64_t axis) {
  ArrayRef<int64_t> in = shapeOf(input), idx = shapeOf(indices);
  if (axis < 0 || axis >= (int64_t)in.size())
    return emitOptionalError(loc, "'", opName, "' op axis ", axis,
                             " is out of range for rank ", in.size());
  SmallVector<int64_t> shape(in.begin(), in.begin() + axis);
  shape.append(idx.begin(), idx.end());
  shape.append(in.begin() + axis + 1, in.end());
  return shape;
}

LogicalResult ScatterAddOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  auto want = gatheredShape("spore.scatter_add", loc, adaptor.getInput(),
                            adaptor.getIndices(), adaptor.getAxis());
  if (failed(want))
    return failure();
  if (ArrayRef<int64_t>(*want) != shapeOf(adaptor.getUpdates()))
    return emitOptionalError(loc, "'spore.scatter_add' op updates shape ",
                             formatShape(shapeOf(adaptor.getUpdates())),
                             " should be ", formatShape(*want));
  if (elementTypeOf(adaptor.getInput()) != elementTypeOf(adaptor.getUpdates()))
    return emitOptionalError(
        loc, "'spore.scatter_add' op updates element type differs from the "
             "input's");
  inferred.push_back(adaptor.getInput().getType());
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto shape = gatheredShape("spore.gather", loc, adaptor.getInput(),
                             adaptor.getIndices(), adaptor.getAxis());
  if (failed(shape))
    return failure();
  inferred.push_back(
      RankedTensorType::get(*shape, elementTypeOf(adaptor.getInput())));
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

int64_t spore::windowOutputSize(int64_t size, int64_t k, int64_t stride,
                                int64_t dilation, int64_t pad) {
  int64_t span = dilation * (k - 1) + 1;
  if (size + pad < span)
    return -1;
  return (size + pad - span) / stride + 1;
}

/// The result type of a 2-D window op named `opName` on NHWC `input`:
/// [N, OH, OW, channels], after checking strides, dilations and padding.
static LogicalResult inferWindow(StringRef opName, std::optional<Location> loc,
                                 Value input, ArrayRef<int64_t> window,
                                 ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> dilations,
                                 ArrayRef<int64_t> padding, int64_t channels,
                                 SmallVectorImpl<Type> &inferred) {
  ArrayRef<int64_t> in = shapeOf(input);
  auto error = [&](auto &&...parts) {
    return emitOptionalError(loc, "'", opName, "' op ", parts...);
  };
  if (in.size() != 4)
    return error("input must be NHWC (rank 4), got rank ", in.size());
  if (strides.size() != 2 || dilations.size() != 2 || padding.size() != 4)
    return error("needs 2 strides, 2 dilations and 4 paddings");
  for (int64_t v : strides)
    if (v <= 0)
      return error("strides must be positive");
  for (int64_t v : dilations)
    if (v <= 0)
      return error("dilations must be positive");
  for (int64_t v : padding)
    if (v < 0)
      return error("padding must not be negative");
  int64_t oh = windowOutputSize(in[1], window[0], strides[0], dilations[0],
                                padding[0] + padding[1]);
  int64_t ow = windowOutputSize(in[2], window[1], strides[1], dilations[1],
                                padding[2] + padding[3]);
  if (oh < 0 || ow < 0)
    return error("the window does not fit in the padded input");
  inferred.push_back(
      RankedTensorType::get({in[0], oh, ow, channels}, elementTypeOf(input)));
  return success();
}

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  Value input = adaptor.getInput(), filter = adaptor.getFilter();
  ArrayRef<int64_t> in = shapeOf(input), f = shapeOf(filter);
  if (f.size() != 4)
    return emitOptionalError(
        loc, "'spore.conv2d' op filter must be HWIO (rank 4), got rank ",
        f.size());
  if (elementTypeOf(input) != elementTypeOf(filter))
    return emitOptionalError(
        loc, "'spore.conv2d' op input and filter dtypes differ");
  int64_t groups = adaptor.getGroups();
  if (groups <= 0 || (in.size() == 4 && in[3] % groups != 0) ||
      f[3] % groups != 0)
    return emitOptionalError(loc, "'spore.conv2d' op groups (", groups,
                             ") must divide the input and output channels");
  if (in.size() == 4 && f[2] * groups != in[3])
    return emitOptionalError(loc, "'spore.conv2d' op filter has ", f[2],
                             " input channels per group, the input ", in[3],
                             " channels in ", groups, " groups");
  return inferWindow("spore.conv2d", loc, input, f.take_front(2),
                     adaptor.getStrides(), adaptor.getDilations(),
                     adaptor.getPadding(), f[3], inferred);
}

LogicalResult Pool2DOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  ArrayRef<int64_t> window = adaptor.getWindow();
  if (window.size() != 2)
    return emitOptionalError(loc, "'spore.pool2d' op window must have 2 sizes");
  for (int64_t v : window)
    if (v <= 0)
      return emitOptionalError(
          loc, "'spore.pool2d' op window sizes must be positive");
  ArrayRef<int64_t> in = shapeOf(adaptor.getInput());
  int64_t channels = in.size() == 4 ? in[3] : 0;
  return inferWindow("spore.pool2d", loc, adaptor.getInput(), window,
                     adaptor.getStrides(), ArrayRef<int64_t>{1, 1},
                     adaptor.getPadding(), channels, inferred);
}

LogicalResult ParallelOp::verify() {
  Region &body = getBody();
  if (body.empty())
    return emitOpError("has an empty body");
  Block &entry = body.front();
  auto i64 = IntegerType::get(getContext(), 64);
  if (entry.getNumArguments() != 2 || entry.getArgument(0).getType() != i64 ||
      entry.getArgument(1).getType() != i64)
    return emitOpError("body must take the range as two i64 arguments "
                       "(begin, end)");
  return success();
}

LogicalResult PrintOp::verify() {
  if (getText().size() != getValues().size() + 1)
    return emitOpError("needs one more text (")
           << getText().size() << ") than values (" << getValues().size()
           << ")";
  return success();
}

LogicalResult RandomOp::verify() {
  if (shapeOf(getKey()) != ArrayRef<int64_t>{2})
    return emitOpError("key must be i32[2], got ") << getKey().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
  if (elementTypeOf(lhs) != elementTypeOf(rhs))
    return emitOptionalError(loc,
                             "'spore.matmul' op operand element types "
                             "differ: ",
                             lhs.getType(), " vs ", rhs.getType());
  std::string why;
  auto shape = matmulShape(shapeOf(lhs), shapeOf(rhs), why);
  if (failed(shape))
    return emitOptionalError(loc, "'spore.matmul' op ", why);
  inferred.push_back(RankedTensorType::get(*shape, elementTypeOf(lhs)));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// The result type of a reduction of `input` over `axes` (checked).
static LogicalResult inferReduction(StringRef name, std::optional<Location> loc,
                                    Value input, ArrayRef<int64_t> axes,
                                    bool keepdims,
                                    SmallVectorImpl<Type> &inferred) {
  ArrayRef<int64_t> in = shapeOf(input);
  int64_t rank = in.size();
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= rank)
      return emitOptionalError(loc, "'spore.", name, "' op axis ", axis,
                               " is out of range for rank ", rank);
    if (i > 0 && axis <= axes[i - 1])
      return emitOptionalError(loc, "'spore.", name,
                               "' op axes must be strictly increasing, got ",
                               formatShape(axes));
  }
  inferred.push_back(RankedTensorType::get(reducedShape(in, axes, keepdims),
                                           elementTypeOf(input)));
  return success();
}

#define SPORE_INFER_REDUCTION(Op, name)                                        \
  LogicalResult Op::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, Adaptor adaptor,             \
      SmallVectorImpl<Type> &inferred) {                                       \
    return inferReduction(name, loc, adaptor.getInput(), adaptor.getAxes(),    \
                          adaptor.getKeepdims(), inferred);                    \
  }
SPORE_INFER_REDUCTION(SumOp, "sum")
SPORE_INFER_REDUCTION(MeanOp, "mean")
SPORE_INFER_REDUCTION(MaxOp, "max")
SPORE_INFER_REDUCTION(MinOp, "min")
SPORE_INFER_REDUCTION(ProdOp, "prod")
#undef SPORE_INFER_REDUCTION

LogicalResult MeanOp::verify() {
  if (!isa<FloatType>(elementTypeOf(getInput())))
    return emitOpError("mean needs a floating input, got ")
           << getInput().getType();
  return success();
}
LogicalResult CumsumOp::verify() {
  int64_t rank = shapeOf(getInput()).size();
  int64_t axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult ConcatenateOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &inferred) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return emitOptionalError(loc,
                             "'spore.concatenate' op needs at least one input");
  SmallVector<int64_t> out(shapeOf(inputs[0]));
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= (int64_t)out.size())
    return emitOptionalError(loc, "'spore.concatenate' op axis ", axis,
                             " is out of range for rank ", out.size());
  out[axis] = 0;
  for (auto [i, in] : llvm::enumerate(inputs)) {
    if (elementTypeOf(in) != elementTypeOf(inputs[0]))
      return emitOptionalError(loc, "'spore.concatenate' op input #", i,
                               " has another element type");
    ArrayRef<int64_t> s = shapeOf(in);
    if (s.size() != out.size())
      return emitOptionalError(loc, "'spore.concatenate' op input #", i,
                               " has rank ", s.size(), ", input #0 ",
                               out.size());
    for (size_t d = 0; d < s.size(); ++d)
      if ((int64_t)d != axis && s[d] != out[d])
        return emitOptionalError(
            loc, "'spore.concatenate' op input #", i, " has shape ",
            formatShape(s), ", which differs from input #0's off the axis");
    out[axis] += s[axis];
  }
  inferred.push_back(RankedTensorType::get(out, elementTypeOf(inputs[0])));
  return success();
}

LogicalResult MinOp::verify() {
  for (int64_t axis : getAxes())
    if (axis >= 0 && axis < (int64_t)shapeOf(getInput()).size() &&
        shapeOf(getInput())[axis] == 0)
      return emitOpError("min over axis ")
             << axis << " of size 0 has no identity";
  return success();
}

LogicalResult MaxOp::verify() {
  for (int64_t axis : getAxes())
    if (axis >= 0 && axis < (int64_t)shapeOf(getInput()).size() &&
        shapeOf(getInput())[axis] == 0)
      return emitOpError("max over axis ")
             << axis << " of size 0 has no identity";
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getResult().getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from the input's "
           << in.getElementType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << formatShape(in.getShape()) << " (" << in.getNumElements()
           << " elements) to " << formatShape(out.getShape()) << " ("
           << out.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  // A reshape of a reshape reads the first one's input.
  if (auto inner = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(inner.getInput());
    return getResult();
  }
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(getType(), splat.getSplatValue<Attribute>());
  return {};
}

//===----------------------------------------------------------------------===//
// Folds of arithmetic on float splats
//===----------------------------------------------------------------------===//

/// The value of a float splat constant, if `attr` is one.
static std::optional<APFloat> floatSplat(Attribute attr) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(attr);
  if (!splat || !isa<FloatType>(splat.getElementType()))
    return std::nullopt;
  return splat.getSplatValue<APFloat>();
}

static bool isSplatOf(Attribute attr, double value) {
  std::optional<APFloat> v = floatSplat(attr);
  return v && v->isExactlyValue(value);
}

/// `fn` of two float splats, as a splat of `type`.
static OpFoldResult foldSplats(Type type, Attribute a, Attribute b,
                               function_ref<APFloat(APFloat, APFloat)> fn) {
  std::optional<APFloat> x = floatSplat(a), y = floatSplat(b);
  if (!x || !y)
    return {};
  return SplatElementsAttr::get(cast<ShapedType>(type), fn(*x, *y));
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (std::optional<APFloat> x = floatSplat(adaptor.getInput()))
    return SplatElementsAttr::get(getType(), neg(*x));
  return {};
}

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  // x + 0 is x (but for -0 + 0, which is +0: a cotangent's sign of zero
  // does not matter).
  if (isSplatOf(adaptor.getRhs(), 0.0))
    return getLhs();
  if (isSplatOf(adaptor.getLhs(), 0.0))
    return getRhs();
  return foldSplats(getType(), adaptor.getLhs(), adaptor.getRhs(),
                    [](APFloat x, APFloat y) { return x + y; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 0.0))
    return getLhs();
  return foldSplats(getType(), adaptor.getLhs(), adaptor.getRhs(),
                    [](APFloat x, APFloat y) { return x - y; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1.0))
    return getLhs();
  if (isSplatOf(adaptor.getLhs(), 1.0))
    return getRhs();
  return foldSplats(getType(), adaptor.getLhs(), adaptor.getRhs(),
                    [](APFloat x, APFloat y) { return x * y; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (isSplatOf(adaptor.getRhs(), 1.0))
    return getLhs();
  return foldSplats(getType(), adaptor.getLhs(), adaptor.getRhs(),
                    [](APFloat x, APFloat y) { return x / y; });
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  ArrayRef<int64_t> in = shapeOf(adaptor.getInput());
  if (perm.size() != in.size())
    return emitOptionalError(loc, "'spore.transpose' op permutation ",
                             formatShape(perm), " has ", perm.size(),
                             " entries but the input has rank ", in.size());
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)in.size() || seen[p])
      return emitOptionalError(
          loc, "'spore.transpose' op permutation ", formatShape(perm),
          " is not a permutation of 0..", (int64_t)in.size() - 1);
    seen[p] = true;
    shape.push_back(in[p]);
  }
  inferred.push_back(
      RankedTensorType::get(shape, elementTypeOf(adaptor.getInput())));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  auto identity = [](ArrayRef<int64_t> p) {
    for (auto [i, d] : llvm::enumerate(p))
      if ((int64_t)i != d)
        return false;
    return true;
  };
  if (identity(perm))
    return getInput();
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(getType(), splat.getSplatValue<Attribute>());
  // A transpose of a transpose is one transpose (or none): result dim i is
  // the inner input's dim inner[perm[i]].
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner.getPermutation()[p]);
    if (identity(composed))
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

LogicalResult BroadcastToOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  if (elementTypeOf(getInput()) != elementTypeOf(getResult()))
    return emitOpError("result element type ")
           << elementTypeOf(getResult()) << " differs from the input's "
           << elementTypeOf(getInput());
  if (in.size() > out.size())
    return emitOpError("cannot broadcast ")
           << formatShape(in) << " to the lower-rank shape "
           << formatShape(out);
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t d = in[in.size() - 1 - i], r = out[out.size() - 1 - i];
    if (d != r && d != 1)
      return emitOpError("cannot broadcast ")
             << formatShape(in) << " to " << formatShape(out);
  }
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(getType(), splat.getSplatValue<Attribute>());
  return {};
}

//===----------------------------------------------------------------------===//
// Softmax-like
//===----------------------------------------------------------------------===//

static LogicalResult verifySoftmaxLike(Operation *op, int64_t axis) {
  int64_t rank = shapeOf(op->getOperand(0)).size();
  if (axis < 0 || axis >= rank)
    return op->emitOpError("axis ")
           << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifySoftmaxLike(*this, getAxis());
}
LogicalResult LogSoftmaxOp::verify() {
  return verifySoftmaxLike(*this, getAxis());
}

#define GET_OP_CLASSES
#include "dialects/spore/SporeOps.cpp.inc"
