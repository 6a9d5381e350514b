//===- EmitModule.cpp - modules and specialisations -----------------------===//
//
// The module emitter: top-level statements, module constants, type
// annotations, the specialisation of functions per argument types and the
// exported entry points; and the frontend's public entry points (IRGen.h).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"
#include "compiler/frontend/IRGen.h"
#include "compiler/frontend/Parser.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>

using namespace spore;

namespace spore::frontend::detail {

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
      return fail(e.loc, "'" + e.name +
                             "' (a compile-time value) cannot be the type of "
                             "a parameter of an exported function or of a "
                             "result; use i64 or f32");
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

FailureOr<EValue> ModuleEmitter::evalModuleValue(const Expr &e) {
  // Like a constant, but Cells and Parameters may be created here: they
  // become the module's state.
  mlir::OpBuilder scratch(&ctx);
  FunctionEmitter fe(*this, scratch);
  fe.constructing = true;
  auto block = std::make_unique<mlir::Block>();
  scratch.setInsertionPointToStart(block.get());
  auto v = fe.emitExpr(e);
  bool ops = !block->empty();
  block->clear();
  if (failed(v))
    return mlir::failure();
  if (v->holdsState() && !v->holdsTensor())
    return v;
  if (!v->isCompileTime() || ops)
    return fail(e.loc, "a module constant must be a compile-time value (an "
                       "int, float, bool, string or a tuple of them) or a "
                       "Cell instance");
  return v;
}

FuncOp ModuleEmitter::newFunction(StringRef name, mlir::Location loc) {
  mlir::OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto func =
      FuncOp::create(builder, loc, name, builder.getFunctionType({}, {}));
  mlir::Block *entry = new mlir::Block();
  func.getBody().push_back(entry);
  for (const StateSlot &slot : stateSlots)
    entry->addArgument(slot.type, loc);
  return func;
}

void ModuleEmitter::returnFrom(FuncOp func, mlir::OpBuilder &b,
                               mlir::Location loc,
                               llvm::ArrayRef<mlir::Value> results) {
  ReturnOp::create(b, loc, results);
  func.setFunctionType(
      builder.getFunctionType(func.getBody().front().getArgumentTypes(),
                              mlir::ValueRange(results).getTypes()));
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
  case EValue::Function: {
    // The definition (nested ones may share a name) and what it captured.
    std::string s = "fn:" + v.fn->name + "@" +
                    std::to_string(reinterpret_cast<uintptr_t>(v.fn)) + "[";
    for (auto &e : v.elts)
      s += key(e) + ",";
    return s + "]";
  }
  case EValue::Primitive:
    return "prim:" + v.str;
  case EValue::DType:
    return "dtype:" + typeName(v.dtype);
  case EValue::Module:
    return "module:" + v.str;
  case EValue::Undefined:
    return "undefined";
  case EValue::Choice:
    return "choice(" + key(v.elts[0]) + "," + key(v.elts[1]) + "," +
           key(v.elts[2]) + ")";
  case EValue::Class:
    return "class:" + v.str + "@" +
           std::to_string(reinterpret_cast<uintptr_t>(v.fn));
  case EValue::Object:
    return "cell:" + std::to_string(v.i);
  case EValue::Parameter:
    return "param:" + std::to_string(v.i);
  case EValue::Transform: {
    std::string s = "transform:" + v.str + "(";
    for (auto &e : v.elts)
      s += key(e) + ",";
    return s + ")";
  }
  case EValue::Init: {
    std::string s = "init:" + v.str;
    for (auto &e : v.elts)
      s += "," + key(e);
    return s;
  }
  }
  return "?";
}

void ModuleEmitter::collectLeaves(const EValue &v,
                                  std::vector<mlir::Value> &leaves) {
  if (v.kind == EValue::Tensor)
    leaves.push_back(v.tensor);
  else if (v.carriesValues())
    for (auto &e : v.elts)
      collectLeaves(e, leaves);
}

EValue ModuleEmitter::rebuild(const EValue &tmpl, mlir::ValueRange results,
                              size_t &next) {
  if (tmpl.kind == EValue::Tensor) {
    EValue v = EValue::ofTensor(results[next++]);
    v.weak = tmpl.weak;
    return v;
  }
  if (tmpl.carriesValues()) {
    std::vector<EValue> elts;
    for (auto &e : tmpl.elts)
      elts.push_back(rebuild(e, results, next));
    return tmpl.kind == EValue::Tuple ? EValue::ofTuple(std::move(elts))
                                      : tmpl.withCaptures(std::move(elts));
  }
  return tmpl;
}

EValue parameterize(const EValue &v, mlir::Block &block, mlir::Location loc) {
  if (v.kind == EValue::Tensor)
    return EValue::ofTensor(block.addArgument(v.tensor.getType(), loc));
  if (v.carriesValues()) {
    std::vector<EValue> elts;
    for (auto &e : v.elts)
      elts.push_back(parameterize(e, block, loc));
    return v.kind == EValue::Tuple ? EValue::ofTuple(std::move(elts))
                                   : v.withCaptures(std::move(elts));
  }
  return v;
}

/// The types of a result, to outlive the body being emitted: tensors become
/// typed leaves (a null tensor, the type in `dtype`), literals the tensors
/// they would be materialised as.
EValue resultShape(const EValue &v, mlir::MLIRContext *ctx) {
  mlir::Builder b(ctx);
  if (v.kind == EValue::Tensor || v.isScalarConst()) {
    EValue t = EValue::ofTensor(nullptr);
    if (v.kind == EValue::Tensor) {
      t.dtype = v.tensor.getType();
      t.weak = v.weak;
    } else {
      Type et = v.kind == EValue::Float ? b.getF32Type()
                : v.kind == EValue::Int ? (Type)b.getI64Type()
                                        : (Type)b.getI1Type();
      t.dtype = RankedTensorType::get({}, et);
      t.weak = true;
    }
    return t;
  }
  if (v.carriesValues()) {
    std::vector<EValue> elts;
    for (auto &e : v.elts)
      elts.push_back(resultShape(e, ctx));
    return v.kind == EValue::Tuple ? EValue::ofTuple(std::move(elts))
                                   : v.withCaptures(std::move(elts));
  }
  return v;
}

void shapeTypes(const EValue &v, llvm::SmallVectorImpl<Type> &types) {
  if (v.kind == EValue::Tensor)
    types.push_back(v.dtype);
  else if (v.carriesValues())
    for (auto &e : v.elts)
      shapeTypes(e, types);
}

FailureOr<ModuleEmitter::Specialization *>
ModuleEmitter::specialize(const EValue &callee, std::vector<EValue> args,
                          SMLoc callLoc,
                          std::optional<std::string> exportName) {
  const Stmt &fn = *callee.fn;
  std::string k = key(callee) + "(";
  for (auto &a : args)
    k += key(a) + ";";
  k += ")";
  auto it = specializations.find(k);
  if (it != specializations.end()) {
    // A recursive call: the result's types come from the function's first
    // return (or its annotation), emitted before this call.
    if (it->second.inProgress && !it->second.provisional) {
      diags.error(callLoc,
                  "cannot tell the result type of the recursive call to '" +
                      fn.name +
                      "': annotate its return type, or return in a base case "
                      "before the recursive call");
      return mlir::failure();
    }
    return &it->second;
  }
  if (activeSpecializations >= 64) {
    diags.error(callLoc, "calls nest more than 64 deep at compile time (a "
                         "recursion whose compile-time arguments change at "
                         "every call?)");
    return mlir::failure();
  }
  struct Active {
    unsigned &n;
    Active(unsigned &n) : n(n) { ++n; }
    ~Active() { --n; }
  } active(activeSpecializations);
  Specialization &spec = specializations[k];

  std::string name =
      exportName ? *exportName
                 : uniqueName(!callee.str.empty()     ? StringRef(callee.str)
                              : fn.name == "<lambda>" ? StringRef("lambda")
                                                      : StringRef(fn.name));
  mlir::Location fnLoc = loc(fn.loc);
  auto func = newFunction(name, fnLoc);
  spec.func = func;
  mlir::Block *entry = &func.getBody().front();

  auto bodyBuilder = mlir::OpBuilder::atBlockBegin(entry);
  FunctionEmitter fe(*this, bodyBuilder);
  // The module's Parameters come first (spore.parameter).
  fe.stateArgs.assign(entry->args_begin(), entry->args_end());
  // Captured values first, then the function itself (for recursion), then
  // the parameters, which shadow both.
  EValue self = parameterize(callee, *entry, fnLoc);
  for (size_t i = 0; i < self.elts.size(); ++i)
    fe.scope[(*self.captureNames)[i]] = self.elts[i];
  if (fn.name != "<lambda>")
    fe.scope[fn.name] = self;
  for (size_t i = 0; i < fn.params.size(); ++i)
    fe.scope[fn.params[i].name] = parameterize(args[i], *entry, fnLoc);
  if (fn.returns) {
    // A bad annotation is reported here, once, before the body.
    auto ann = annotationType(*fn.returns);
    if (failed(ann)) {
      func.erase();
      specializations.erase(k);
      return mlir::failure();
    }
    {
      std::function<EValue(const EValue &)> shape =
          [&](const EValue &t) -> EValue {
        if (t.kind == EValue::Tuple) {
          std::vector<EValue> elts;
          for (auto &e : t.elts)
            elts.push_back(shape(e));
          return EValue::ofTuple(std::move(elts));
        }
        EValue leaf = EValue::ofTensor(nullptr);
        leaf.dtype = t.dtype;
        return leaf;
      };
      spec.provisional = shape(*ann);
    }
  }
  fe.provisionalResult = &spec.provisional;

  std::optional<EValue> result;
  fe.scope[FunctionEmitter::kReturned] = EValue::ofBool(false);
  if (failed(fe.emitBlock(fn.body))) {
    func.erase();
    specializations.erase(k);
    return mlir::failure();
  }
  const EValue &returned = fe.scope[FunctionEmitter::kReturned];
  if (returned.kind != EValue::Bool || !returned.b) {
    diags.error(fn.loc,
                returned.kind == EValue::Bool
                    ? "function '" + fn.name + "' must end with a 'return'"
                    : "function '" + fn.name +
                          "' does not return on every path; add a 'return' "
                          "at its end");
    func.erase();
    specializations.erase(k);
    return mlir::failure();
  }
  result = fe.scope[FunctionEmitter::kResult];
  SMLoc resultLoc = fe.returnLoc;
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

  // A recursive call used the result's types from the first return: the
  // final result must have them (literals take them).
  if (spec.usedProvisional) {
    std::function<mlir::LogicalResult(EValue &, const EValue &)> conform =
        [&](EValue &v, const EValue &t) -> mlir::LogicalResult {
      if (t.kind == EValue::Tuple || t.kind == EValue::Function) {
        if (v.kind != t.kind || v.elts.size() != t.elts.size())
          return fail(resultLoc, "'" + fn.name + "' returns " + describe(v) +
                                     " here but " + describe(t) +
                                     " where its recursive calls expect it");
        for (size_t i = 0; i < t.elts.size(); ++i)
          if (failed(conform(v.elts[i], t.elts[i])))
            return mlir::failure();
        return mlir::success();
      }
      if (t.kind != EValue::Tensor)
        return mlir::success();
      auto type = mlir::cast<RankedTensorType>(t.dtype);
      if (v.isScalarConst() && type.getRank() == 0) {
        auto mat = fe.materialize(v, type.getElementType(), resultLoc);
        if (failed(mat))
          return mlir::failure();
        v = *mat;
      }
      if (v.kind != EValue::Tensor || v.tensor.getType() != type)
        return fail(resultLoc,
                    "the recursive function '" + fn.name + "' returns " +
                        (v.kind == EValue::Tensor ? typeName(v.tensor.getType())
                                                  : describe(v)) +
                        " here but " + typeName(type) +
                        " where its recursive calls expect it");
      return mlir::success();
    };
    if (failed(conform(*result, *spec.provisional))) {
      func.erase();
      specializations.erase(k);
      return mlir::failure();
    }
  }

  std::vector<mlir::Value> leaves;
  collectLeaves(*result, leaves);
  returnFrom(func, bodyBuilder, loc(resultLoc), leaves);
  if (!exportName)
    func.setPrivate();
  spec.resultTemplate = *result;
  spec.inProgress = false;
  return &spec;
}

FailureOr<std::vector<EValue>>
ModuleEmitter::bindParams(const Stmt &fn, const CallSite &call,
                          mlir::OpBuilder &callerBuilder) {
  const std::vector<EValue> &args = call.args;
  SMLoc l = call.loc;
  size_t n = fn.params.size();
  if (args.size() > n)
    return fail(l, "'" + fn.name + "' takes " + std::to_string(n) +
                       " arguments but " + std::to_string(args.size()) +
                       " were given");
  std::vector<std::optional<EValue>> bound(n);
  std::vector<SMLoc> locs(n, l);
  for (size_t i = 0; i < args.size(); ++i) {
    bound[i] = args[i];
    locs[i] = call.argLocs[i];
  }
  for (size_t k = 0; k < call.keywords.size(); ++k) {
    const KeywordName &kw = call.keywords[k];
    auto it = llvm::find_if(fn.params,
                            [&](const Param &p) { return p.name == kw.name; });
    if (it == fn.params.end())
      return fail(kw.loc,
                  "'" + fn.name + "' has no parameter named '" + kw.name + "'");
    size_t i = it - fn.params.begin();
    if (bound[i])
      return fail(kw.loc, "'" + fn.name + "' got multiple values for '" +
                              kw.name + "'");
    bound[i] = call.kwValues[k];
    locs[i] = kw.loc;
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
    // `int`, `float` and `bool` annotate compile-time parameters
    // (language.md §2) of functions that are not exported.
    if (p.annotation && p.annotation->kind == ExprKind::Name &&
        (p.annotation->name == "int" || p.annotation->name == "float" ||
         p.annotation->name == "bool")) {
      StringRef want = p.annotation->name;
      if (want != "bool" && v.kind == EValue::Bool)
        v = EValue::ofInt(v.b);
      if (want == "float" && v.kind == EValue::Int)
        v = EValue::ofFloat((double)v.i);
      EValue::Kind kind = want == "int"     ? EValue::Int
                          : want == "float" ? EValue::Float
                                            : EValue::Bool;
      if (v.kind != kind)
        return fail(locs[i],
                    "argument '" + p.name + "' of '" + fn.name +
                        "' must be a compile-time " + p.annotation->name +
                        ", got " +
                        (v.kind == EValue::Tensor
                             ? "a run-time " + typeName(v.tensor.getType())
                             : describe(v)));
      values.push_back(v);
      continue;
    }
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
  return values;
}

FailureOr<EValue> ModuleEmitter::call(const EValue &callee,
                                      const CallSite &call,
                                      mlir::OpBuilder &callerBuilder,
                                      ArrayRef<mlir::Value> state) {
  const Stmt &fn = *callee.fn;
  SMLoc l = call.loc;
  auto bound = bindParams(fn, call, callerBuilder);
  if (failed(bound))
    return mlir::failure();
  std::vector<EValue> &values = *bound;
  if (customVjps.count(&fn) && !customBodies.count(&fn))
    return callCustomVjp(callee, std::move(values), l, callerBuilder, state);
  callStack.push_back(l);
  auto spec = specialize(callee, values, l, std::nullopt);
  callStack.pop_back();
  if (failed(spec))
    return mlir::failure();
  std::vector<mlir::Value> operands(state.begin(), state.end());
  collectLeaves(callee, operands);
  for (auto &v : values)
    collectLeaves(v, operands);
  size_t next = 0;
  if ((*spec)->inProgress) {
    // Recursion: the callee's signature is not final yet; its result
    // types are those of its first return.
    (*spec)->usedProvisional = true;
    llvm::SmallVector<Type> types;
    shapeTypes(*(*spec)->provisional, types);
    auto callOp = CallOp::create(
        callerBuilder, loc(l), types,
        mlir::FlatSymbolRefAttr::get((*spec)->func.getSymNameAttr()), operands,
        nullptr, nullptr);
    return rebuild(*(*spec)->provisional, callOp.getResults(), next);
  }
  auto callOp = CallOp::create(callerBuilder, loc(l), (*spec)->func, operands);
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
  auto spec = specialize(EValue::ofFunction(&fn), args, fn.loc, fn.name);
  if (failed(spec))
    return mlir::failure();
  FuncOp func = (*spec)->func;
  func->setAttr(FuncOp::getExportAttrName(), builder.getUnitAttr());
  size_t numState = stateSlots.size();
  for (size_t i = 0; i < numState; ++i)
    func.setArgAttr(i, ParameterOp::getStateAttrName(),
                    builder.getStringAttr(stateSlots[i].name));
  for (size_t i = 0; i < argNames.size(); ++i)
    func.setArgAttr(numState + i, FuncOp::getArgNameAttrName(),
                    builder.getStringAttr(argNames[i]));
  return mlir::success();
}

#include "compiler/frontend/Prelude.inc"

mlir::LogicalResult ModuleEmitter::loadPrelude() {
  auto &sm = diags.getSourceMgr();
  preludeBuffer = sm.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBuffer(kPrelude, "<spore prelude>"), SMLoc());
  prelude = parseModule(preludeBuffer, diags);
  if (!prelude)
    return mlir::failure();
  for (auto &s : prelude->body) {
    if (s->kind == StmtKind::FunctionDef)
      preludeFns[s->name] = EValue::ofFunction(s.get());
    if (s->kind == StmtKind::ClassDef) {
      EValue cls;
      cls.kind = EValue::Class;
      cls.fn = s.get();
      cls.str = s->name;
      preludeFns[s->name] = cls;
    }
  }
  return mlir::success();
}

mlir::OwningOpRef<mlir::ModuleOp> ModuleEmitter::run(const ast::Module &ast) {
  auto &sm = diags.getSourceMgr();
  if (failed(loadPrelude()))
    return nullptr;
  mlir::OwningOpRef<mlir::ModuleOp> owned = mlir::ModuleOp::create(loc(
      SMLoc::getFromPointer(sm.getMemoryBuffer(bufferId)->getBufferStart())));
  module = *owned;

  std::vector<const Stmt *> exports;
  // @f.defvjp decorators and the defs they decorate.
  std::vector<std::pair<const Expr *, const Stmt *>> rules;
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
      globals[s->name] = EValue::ofFunction(s.get());
      bool isExport = false;
      for (auto &d : s->decorators) {
        // `name` or `spore.name`.
        auto named = [&](StringRef name) {
          return (d->kind == ExprKind::Name && d->name == name) ||
                 (d->kind == ExprKind::Attribute && d->name == name &&
                  d->lhs->kind == ExprKind::Name && d->lhs->name == "spore");
        };
        if (named("export")) {
          isExport = true;
        } else if (named("custom_vjp")) {
          customVjps.try_emplace(s.get(), nullptr);
        } else if (d->kind == ExprKind::Attribute && d->name == "defvjp" &&
                   d->lhs->kind == ExprKind::Name) {
          rules.push_back({d.get(), s.get()});
        } else {
          ok = false;
          diags.error(d->loc, "decorators other than @export, @custom_vjp "
                              "and @f.defvjp are not supported");
        }
      }
      if (isExport)
        exports.push_back(s.get());
      break;
    }
    case StmtKind::ClassDef: {
      if (globals.count(s->name)) {
        ok = false;
        diags.error(s->loc, "'" + s->name + "' is defined twice at top level");
        break;
      }
      if (!s->decorators.empty()) {
        ok = false;
        diags.error(s->decorators[0]->loc, "a class cannot have decorators");
        break;
      }
      EValue cls;
      cls.kind = EValue::Class;
      cls.fn = s.get();
      cls.str = s->name;
      globals[s->name] = cls;
      if (failed(basesOf(*s)))
        ok = false;
      break;
    }
    case StmtKind::Assign:
    case StmtKind::AnnAssign: {
      if (!s->value) {
        ok = false;
        diags.error(s->loc, "a module constant needs a value");
        break;
      }
      const Expr &value = *s->value;
      if (value.kind == ExprKind::Call && value.lhs->kind == ExprKind::Name &&
          (value.lhs->name == "dim")) {
        ok = false;
        diags.error(value.loc,
                    "symbolic dimensions (dim) are not supported yet");
        break;
      }
      auto v = evalModuleValue(value);
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
        if (v->holdsState() && globals.count(target->name)) {
          ok = false;
          diags.error(target->loc,
                      "'" + target->name + "' is defined twice at top level");
          continue;
        }
        globals[target->name] = *v;
        registerState(*v, target->name, s->value->loc);
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
  // Each @f.defvjp rule belongs to a @custom_vjp function f, once.
  for (auto [decorator, rule] : rules) {
    const std::string &name = decorator->lhs->name;
    auto it = globals.find(name);
    const Stmt *fn = it != globals.end() && it->second.kind == EValue::Function
                         ? it->second.fn
                         : nullptr;
    auto entry = fn ? customVjps.find(fn) : customVjps.end();
    if (entry == customVjps.end()) {
      ok = false;
      diags.error(decorator->lhs->loc, "@" + name + ".defvjp needs '" + name +
                                           "' to be a module-level function "
                                           "decorated with @custom_vjp");
    } else if (entry->second) {
      ok = false;
      diags.error(decorator->lhs->loc, "'" + name + "' already has a rule");
      diags.note(entry->second->loc, "the first rule is here");
    } else {
      entry->second = rule;
    }
  }
  if (!ok)
    return nullptr;

  // The state: a spore.parameter per Parameter, in order.
  builder.setInsertionPointToEnd(module.getBody());
  for (const StateSlot &slot : stateSlots)
    ParameterOp::create(
        builder, loc(slot.at), slot.name, slot.type, slot.parameter.str,
        llvm::to_vector(llvm::map_range(slot.parameter.elts,
                                        [](const EValue &a) { return a.f; })));

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

} // namespace spore::frontend::detail

using namespace spore::frontend::detail;

/// The most bytes one tensor may hold: more than any machine's memory
/// today, far less than would overflow 64-bit offsets. A shape beyond it
/// is a typo, and compiling it would materialise or allocate absurd sizes.
static constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 40;

/// Reports the first tensor of `module` (a parameter or a value, in program
/// order) whose element count or size passes kMaxTensorBytes or 64 bits.
static mlir::LogicalResult checkTensorSizes(mlir::ModuleOp module) {
  auto check = [](mlir::Type type, mlir::Location loc,
                  const std::string &what) {
    auto t = mlir::dyn_cast<RankedTensorType>(type);
    if (!t || !t.hasStaticShape())
      return true;
    uint64_t count = 1, bytes = 0;
    bool overflow = false;
    for (int64_t d : t.getShape())
      overflow |= __builtin_mul_overflow(count, (uint64_t)d, &count);
    overflow |= __builtin_mul_overflow(
        count, (uint64_t)(t.getElementTypeBitWidth() + 7) / 8, &bytes);
    if (!overflow && bytes <= kMaxTensorBytes)
      return true;
    std::string size =
        overflow ? std::string("more than 2^64 elements")
                 : std::to_string(count) + " elements (" +
                       llvm::formatv("{0:F1}", bytes / 1e12).str() + " TB)";
    mlir::emitError(loc) << what << " " << typeName(t) << ", " << size
                         << ": a tensor may hold at most 2^40 bytes (1 TiB)";
    return false;
  };
  auto result =
      module.walk<mlir::WalkOrder::PreOrder>([&](mlir::Operation *op) {
        if (auto fn = mlir::dyn_cast<FuncOp>(op))
          for (auto [i, arg] : llvm::enumerate(fn.getArguments())) {
            auto name = fn.getArgAttrOfType<mlir::StringAttr>(
                i, FuncOp::getArgNameAttrName());
            if (!check(arg.getType(), arg.getLoc(),
                       name ? "parameter '" + name.str() + "' is"
                            : std::string("a parameter is")))
              return mlir::WalkResult::interrupt();
          }
        if (auto p = mlir::dyn_cast<ParameterOp>(op))
          if (!check(p.getType(), op->getLoc(),
                     "the Parameter '" + p.getName().str() + "' is"))
            return mlir::WalkResult::interrupt();
        for (mlir::Value v : op->getResults())
          if (!check(v.getType(), op->getLoc(), "this value is"))
            return mlir::WalkResult::interrupt();
        return mlir::WalkResult::advance();
      });
  return mlir::failure(result.wasInterrupted());
}

mlir::OwningOpRef<mlir::ModuleOp>
spore::frontend::emitModule(const ast::Module &module, unsigned bufferId,
                            Diagnostics &diags, mlir::MLIRContext &context) {
  context.loadDialect<SporeDialect>();
  mlir::SourceMgrDiagnosticHandler handler(diags.getSourceMgr(), &context,
                                           diags.stream());
  auto emitted = ModuleEmitter(bufferId, diags, context).run(module);
  if (emitted && failed(checkTensorSizes(*emitted)))
    return nullptr;
  return emitted;
}

mlir::OwningOpRef<mlir::ModuleOp>
spore::frontend::compileSource(StringRef source, StringRef name,
                               mlir::MLIRContext &context,
                               llvm::raw_ostream &diagnostics) {
  llvm::SourceMgr sourceMgr;
  unsigned id = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, name), llvm::SMLoc());
  Diagnostics diags(sourceMgr, diagnostics);
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
