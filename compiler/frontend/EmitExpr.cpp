//===- EmitExpr.cpp - expressions -----------------------------------------===//
//
// Emission of expressions: names, operators, comparisons, calls (binding
// arguments to parameters), attributes and subscripts.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>

using namespace spore;

namespace spore::frontend::detail {

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
  case ExprKind::BoolOp:
    return emitBoolOp(e);
  case ExprKind::IfExp:
    return emitIfExp(e);
  case ExprKind::Call:
    return emitCall(e);
  case ExprKind::Attribute:
    return emitAttribute(e);
  case ExprKind::Subscript:
    return emitSubscript(e);
  case ExprKind::Lambda:
    return closure(*e.def);
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
  if (it != scope.end()) {
    if (it->second.kind == EValue::Undefined)
      return fail(e.loc,
                  "'" + e.name + "' may be undefined here: " + it->second.str);
    return it->second;
  }
  auto git = m.globals.find(e.name);
  if (git != m.globals.end())
    return stateValue(git->second, e.loc);
  if (auto dt = dtypeByName(&m.ctx, e.name)) {
    EValue v;
    v.kind = EValue::DType;
    v.dtype = *dt;
    return v;
  }
  if (isPrimitive(e.name))
    return EValue::named(EValue::Primitive, e.name);
  auto pit = m.preludeFns.find(e.name);
  if (pit != m.preludeFns.end())
    return pit->second;
  if (e.name == "Parameter" || e.name == "Sequential" || e.name == "Cell") {
    EValue cls = EValue::named(EValue::Class, e.name);
    return cls;
  }
  if (e.name == "xavier_uniform" || e.name == "kaiming_normal")
    return EValue::named(EValue::Init, e.name);
  if (plannedPrimitives().contains(e.name))
    return fail(e.loc, "'" + e.name + "' is not supported yet");
  if (e.name == "custom_vjp")
    return fail(e.loc, "custom_vjp is a decorator: write @custom_vjp above a "
                       "module-level def, and its rule under @f.defvjp");
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
    auto t = truth(*v, e.lhs->loc, "the operand of 'not'");
    if (failed(t))
      return mlir::failure();
    if (t->kind == EValue::Bool)
      return EValue::ofBool(!t->b);
    return EValue::ofTensor(notTensor(t->tensor, e.loc));
  }
  if (e.name == "~") {
    if (v->kind == EValue::Bool)
      return EValue::ofBool(!v->b);
    if (v->kind == EValue::Int)
      return EValue::ofInt(~v->i);
    if (v->kind != EValue::Tensor ||
        !mlir::isa<mlir::IntegerType>(v->tensorType().getElementType()))
      return fail(e.loc,
                  "'~' needs a bool or integer operand, got " +
                      (v->kind == EValue::Tensor ? typeName(v->tensor.getType())
                                                 : describe(*v)));
    return EValue::ofTensor(NotOp::create(b, loc(e.loc), v->tensor));
  }
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
    vals.push_back(*v);
  }
  // a < b < c is (a < b) and (b < c); compile-time links fold.
  mlir::Value acc;
  for (size_t i = 0; i < e.ops.size(); ++i) {
    const EValue &x = vals[i], &y = vals[i + 1];
    StringRef op = e.ops[i];
    // Comparisons with None (also `is None`) are decided at compile time.
    if (x.kind == EValue::None || y.kind == EValue::None) {
      if (op != "==" && op != "!=" && op != "is" && op != "is not")
        return fail(e.loc, "None cannot be compared with '" + op + "'");
      bool eq = x.kind == y.kind;
      if (eq != (op == "==" || op == "is"))
        return EValue::ofBool(false);
      continue;
    }
    if (op == "is" || op == "is not" || op == "in" || op == "not in")
      return fail(e.loc, "operator '" + op + "' is not supported");
    if (x.isScalarConst() && y.isScalarConst()) {
      double a = x.asDouble(), c = y.asDouble();
      bool r = op == "<"    ? a < c
               : op == ">"  ? a > c
               : op == "<=" ? a <= c
               : op == ">=" ? a >= c
               : op == "==" ? a == c
                            : a != c;
      if (!r)
        return EValue::ofBool(false);
      continue;
    }
    if ((x.kind == EValue::String || y.kind == EValue::String) &&
        (op == "==" || op == "!=")) {
      bool eq = x.kind == y.kind && x.str == y.str;
      if (eq != (op == "=="))
        return EValue::ofBool(false);
      continue;
    }
    auto r = binaryOp(op, x, y, e.loc);
    if (failed(r))
      return mlir::failure();
    if (acc) {
      auto both = binaryOp("&", EValue::ofTensor(acc), *r, e.loc);
      if (failed(both))
        return mlir::failure();
      acc = both->tensor;
    } else {
      acc = r->tensor;
    }
  }
  if (acc)
    return EValue::ofTensor(acc);
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

FailureOr<BoundArgs> FunctionEmitter::bindArgs(StringRef name,
                                               ArrayRef<StringRef> params,
                                               size_t required,
                                               const CallSite &call) {
  BoundArgs bound;
  bound.values.resize(params.size());
  bound.locs.assign(params.size(), call.loc);
  if (call.args.size() > params.size())
    return (fail(call.loc, "'" + name + "' takes at most " +
                               std::to_string(params.size()) +
                               " arguments, got " +
                               std::to_string(call.args.size())));
  for (size_t i = 0; i < call.args.size(); ++i) {
    bound.values[i] = call.args[i];
    bound.locs[i] = call.argLocs[i];
  }
  for (size_t k = 0; k < call.keywords.size(); ++k) {
    const KeywordName &kw = call.keywords[k];
    auto it = llvm::find(params, kw.name);
    if (it == params.end())
      return (fail(kw.loc,
                   "'" + name + "' has no parameter named '" + kw.name + "'"));
    size_t i = it - params.begin();
    if (bound.values[i])
      return (fail(kw.loc,
                   "'" + name + "' got multiple values for '" + kw.name + "'"));
    bound.values[i] = call.kwValues[k];
    bound.locs[i] = kw.loc;
  }
  for (size_t i = 0; i < required; ++i)
    if (!bound.values[i])
      return (fail(call.loc, "'" + name + "' is missing its argument '" +
                                 params[i].str() + "'"));
  return bound;
}

/// Python's str() of a compile-time value, for print and str().
std::string pythonStr(const EValue &v) {
  switch (v.kind) {
  case EValue::Int:
    return std::to_string(v.i);
  case EValue::Bool:
    return v.b ? "True" : "False";
  case EValue::None:
    return "None";
  case EValue::String:
    return v.str;
  case EValue::Float: {
    // Python's repr: the shortest form that reads back exactly.
    char buf[40];
    for (int precision = 1; precision <= 17; ++precision) {
      std::snprintf(buf, sizeof buf, "%.*g", precision, v.f);
      if (std::strtod(buf, nullptr) == v.f)
        break;
    }
    std::string s = buf;
    if (s.find_first_of(".eEn") == std::string::npos)
      s += ".0";
    return s;
  }
  case EValue::Tuple: {
    if (!v.isCompileTime())
      return describe(v);
    std::string s = "(";
    for (size_t i = 0; i < v.elts.size(); ++i)
      s += (i ? ", " : "") + (v.elts[i].kind == EValue::String
                                  ? "'" + v.elts[i].str + "'"
                                  : pythonStr(v.elts[i]));
    return s + (v.elts.size() == 1 ? ",)" : ")");
  }
  default:
    return describe(v);
  }
}

FailureOr<EValue> FunctionEmitter::emitPrint(const Expr &e) {
  // print(a, b, sep=" ", end="") as one spore.print: compile-time values
  // become text, tensors are printed at run time.
  std::string sep = " ", end = "\n";
  for (auto &kw : e.keywords) {
    auto v = emitExpr(*kw.value);
    if (failed(v))
      return mlir::failure();
    if ((kw.name != "sep" && kw.name != "end") || v->kind != EValue::String)
      return fail(kw.loc, "print takes only sep= and end= with string values");
    (kw.name == "sep" ? sep : end) = v->str;
  }
  llvm::SmallVector<std::string> text{""};
  llvm::SmallVector<mlir::Value> values;
  std::function<void(const EValue &)> add = [&](const EValue &v) {
    if (v.kind == EValue::Tensor) {
      values.push_back(v.tensor);
      text.push_back("");
    } else if (v.kind == EValue::Tuple) {
      text.back() += "(";
      for (size_t i = 0; i < v.elts.size(); ++i) {
        if (i)
          text.back() += ", ";
        if (v.elts[i].kind == EValue::String) // repr inside a tuple
          text.back() += "'" + v.elts[i].str + "'";
        else
          add(v.elts[i]);
      }
      text.back() += v.elts.size() == 1 ? ",)" : ")";
    } else {
      text.back() += pythonStr(v);
    }
  };
  for (size_t i = 0; i < e.elts.size(); ++i) {
    if (e.elts[i]->kind == ExprKind::Starred)
      return fail(e.elts[i]->loc, "print(*args) is not supported");
    auto v = emitExpr(*e.elts[i]);
    if (failed(v))
      return mlir::failure();
    if (i)
      text.back() += sep;
    add(*v);
  }
  text.back() += end;
  llvm::SmallVector<llvm::StringRef> refs(text.begin(), text.end());
  PrintOp::create(b, loc(e.loc), b.getStrArrayAttr(refs), values);
  return EValue();
}

FailureOr<EValue> FunctionEmitter::emitCall(const Expr &e) {
  if (e.lhs->kind == ExprKind::Name && e.lhs->name == "print" &&
      !scope.count("print") && !m.globals.count("print"))
    return emitPrint(e);
  CallSite call;
  call.loc = e.loc;
  EValue callee;
  std::optional<EValue> cellSelf; // a method call on a Cell
  // Method calls on tensors: x.sum(axis=1) is sum(x, axis=1).
  if (e.lhs->kind == ExprKind::Attribute) {
    auto self = emitExpr(*e.lhs->lhs);
    if (failed(self))
      return mlir::failure();
    if (self->kind == EValue::Object &&
        !llvm::is_contained(*self->captureNames, e.lhs->name) &&
        e.lhs->name != "parameters") {
      cellSelf = *self;
      callee = EValue::named(EValue::String, e.lhs->name);
    } else if (self->kind == EValue::Tensor) {
      StringRef method = e.lhs->name;
      auto pit = m.preludeFns.find(method);
      if (pit != m.preludeFns.end())
        callee = pit->second;
      else if (!isPrimitive(method) && !plannedPrimitives().contains(method))
        return fail(e.lhs->loc, "tensor has no method '" + method + "'");
      else
        callee = EValue::named(EValue::Primitive, method);
      call.args.push_back(*self);
      call.argLocs.push_back(e.lhs->lhs->loc);
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
    call.args.push_back(*v);
    call.argLocs.push_back(arg->loc);
  }
  for (auto &kw : e.keywords) {
    auto v = emitExpr(*kw.value);
    if (failed(v))
      return mlir::failure();
    call.keywords.push_back({kw.name, kw.loc});
    call.kwValues.push_back(*v);
  }
  if (cellSelf)
    return callCell(*cellSelf, callee.str, call);
  if (callee.kind == EValue::Object)
    return callCell(callee, "__call__", call);
  if (callee.kind == EValue::Class) {
    if (!callee.fn && callee.str == "Parameter")
      return makeParameter(call);
    if (!constructing)
      return fail(e.lhs->loc, "Cells can be created only at module level or "
                              "in another Cell's __init__ (their Parameters "
                              "are the module's state)");
    return m.construct(callee, call);
  }
  // normal(std) and uniform(a, b) with numbers only are initialisers of
  // Parameters; with a key and a shape, they draw random numbers.
  if (callee.kind == EValue::Function && call.keywords.empty() &&
      llvm::all_of(call.args,
                   [](const EValue &a) { return a.isScalarConst(); })) {
    auto isPrelude = [&](StringRef name) {
      auto it = m.preludeFns.find(name);
      return it != m.preludeFns.end() && it->second.fn == callee.fn;
    };
    const std::vector<EValue> &args = call.args;
    if (isPrelude("normal") && args.size() <= 1) {
      EValue init = EValue::named(EValue::Init, "normal");
      init.elts.push_back(
          EValue::ofFloat(args.empty() ? 1.0 : args[0].asDouble()));
      return init;
    }
    if (isPrelude("uniform") && (args.empty() || args.size() == 2)) {
      EValue init = EValue::named(EValue::Init, "uniform");
      init.elts.push_back(
          EValue::ofFloat(args.empty() ? 0 : args[0].asDouble()));
      init.elts.push_back(
          EValue::ofFloat(args.empty() ? 1 : args[1].asDouble()));
      return init;
    }
  }
  if (callee.kind == EValue::Primitive &&
      plannedPrimitives().contains(callee.str) && !isPrimitive(callee.str))
    return fail(e.lhs->loc, "'" + callee.str + "' is not supported yet");
  if (callee.kind == EValue::Primitive || callee.kind == EValue::Function ||
      callee.kind == EValue::Choice || callee.kind == EValue::Transform)
    return callValue(callee, call);
  if (callee.kind == EValue::DType) {
    if (call.args.size() != 1 || !call.keywords.empty())
      return fail(e.loc, "a dtype conversion takes one argument");
    return castTo(call.args[0], callee.dtype, e.loc);
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
  if (v->kind == EValue::Object)
    return cellAttribute(*v, e);
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
      return callPrimitive("transpose",
                           CallSite::positional({*v}, {e.loc}, e.loc));
    return fail(e.loc, "tensor has no attribute '" + e.name + "'");
  }
  return fail(e.loc, describe(*v) + " has no attribute '" + e.name + "'");
}

FailureOr<EValue> FunctionEmitter::callValue(const EValue &callee,
                                             CallSite &call) {
  if (callee.kind == EValue::Function)
    return m.call(callee, call, b, stateArgs);
  if (callee.kind == EValue::Object)
    return callCell(callee, "__call__", call);
  if (callee.kind == EValue::Primitive)
    return callPrimitive(callee.str, call);
  if (callee.kind == EValue::Transform)
    return callTransform(callee, call);
  // A function chosen at run time: call each alternative under a run-time
  // if on the choice's condition; the results merge as an if's do.
  static constexpr const char *kValue = "%call";
  auto branch = [&](const EValue &fn) {
    return [&, fn]() -> mlir::LogicalResult {
      auto r = callValue(fn, call);
      if (failed(r))
        return mlir::failure();
      scope[kValue] = *r;
      return mlir::success();
    };
  };
  if (failed(emitBranches(callee.elts[0].tensor, branch(callee.elts[1]),
                          branch(callee.elts[2]), call.loc)))
    return mlir::failure();
  EValue v = scope[kValue];
  scope.erase(kValue);
  return v;
}

} // namespace spore::frontend::detail
