//===- EmitTransform.cpp - grad and value_and_grad ------------------------===//
//
// `grad(f, argnums=0, has_aux=False, wrt=None)` and `value_and_grad(...)`
// (language.md §7) are compile-time function values (EValue::Transform).
// Calling one wraps `f`, whatever callable it is, in a spore.func of the
// run-time leaves of the call (the state, f's captures, the arguments)
// and emits a spore.grad on that wrapper, which spore-differentiate
// expands. A transform of a transform wraps a function that contains a
// spore.grad, so transforms nest.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include <numeric>

namespace spore::frontend::detail {

namespace {

bool isCallable(const EValue &v) {
  return v.kind == EValue::Function || v.kind == EValue::Choice ||
         v.kind == EValue::Object || v.kind == EValue::Primitive ||
         v.kind == EValue::Transform;
}

/// The number of run-time leaves of `v`.
size_t countLeaves(const EValue &v) {
  if (v.kind == EValue::Tensor)
    return 1;
  size_t n = 0;
  if (v.carriesValues())
    for (const EValue &e : v.elts)
      n += countLeaves(e);
  return n;
}

/// Rebuilds the structure of the Parameters given to wrt=, whose leaves
/// are their state slots (Ints), from consecutive gradients.
EValue rebuildSlots(const EValue &tmpl, mlir::ValueRange grads, size_t &next) {
  if (tmpl.kind == EValue::Int)
    return EValue::ofTensor(grads[next++]);
  std::vector<EValue> elts;
  for (const EValue &e : tmpl.elts)
    elts.push_back(rebuildSlots(e, grads, next));
  return EValue::ofTuple(std::move(elts));
}

void collectSlots(const EValue &tmpl, llvm::SmallVectorImpl<int64_t> &out) {
  if (tmpl.kind == EValue::Int)
    out.push_back(tmpl.i);
  for (const EValue &e : tmpl.elts)
    collectSlots(e, out);
}

} // namespace

FailureOr<ModuleEmitter::Wrapper>
ModuleEmitter::wrap(const EValue &callee, CallSite call, WrapKind kind) {
  SMLoc l = call.loc;
  bool checkpointed = kind == WrapKind::Checkpointed;
  const char *kindKey = checkpointed                  ? "checkpoint:"
                        : kind == WrapKind::CustomVjp ? "custom:"
                                                      : "wrap:";
  std::string k = kindKey + key(callee) + "(";
  for (const EValue &a : call.args)
    k += key(a) + ";";
  for (size_t i = 0; i < call.keywords.size(); ++i)
    k += call.keywords[i].name + "=" + key(call.kwValues[i]) + ";";
  k += ")";
  auto it = wrappers.find(k);
  if (it != wrappers.end())
    return it->second;

  std::string base =
      callee.kind == EValue::Function && callee.fn
          ? (callee.str.empty() ? callee.fn->name : callee.str)
      : callee.kind == EValue::Object || callee.kind == EValue::Primitive
          ? callee.str
          : "differentiated";
  if (base == "<lambda>")
    base = "lambda";
  mlir::Location fnLoc = loc(l);
  auto func = newFunction(
      uniqueName(base + (checkpointed                  ? ".checkpointed"
                         : kind == WrapKind::CustomVjp ? ".custom_vjp"
                                                       : ".wrapped")),
      fnLoc);
  func.setPrivate();
  if (checkpointed)
    func->setAttr("spore.checkpoint", builder.getUnitAttr());
  mlir::Block *entry = &func.getBody().front();
  auto bodyBuilder = mlir::OpBuilder::atBlockBegin(entry);
  FunctionEmitter fe(*this, bodyBuilder);
  fe.stateArgs.assign(entry->args_begin(), entry->args_end());
  EValue self = parameterize(callee, *entry, fnLoc);
  for (EValue &a : call.args)
    a = parameterize(a, *entry, fnLoc);
  for (EValue &v : call.kwValues)
    v = parameterize(v, *entry, fnLoc);
  // The wrapper of a @custom_vjp function calls it directly.
  if (kind == WrapKind::CustomVjp)
    customBodies.insert(callee.fn);
  auto result = fe.callValue(self, call);
  if (kind == WrapKind::CustomVjp)
    customBodies.erase(callee.fn);
  if (failed(result)) {
    func.erase();
    return mlir::failure();
  }
  // The value to differentiate is a tensor even when it is a literal.
  EValue r = *result;
  EValue *value = r.kind == EValue::Tuple && !r.elts.empty() ? &r.elts[0] : &r;
  if (value->isScalarConst()) {
    auto t = fe.toTensor(*value, l);
    if (failed(t)) {
      func.erase();
      return mlir::failure();
    }
    *value = *t;
  }
  std::vector<mlir::Value> leaves;
  collectLeaves(r, leaves);
  returnFrom(func, bodyBuilder, fnLoc, leaves);
  Wrapper w{func, resultShape(r, &ctx)};
  wrappers[k] = w;
  return w;
}

FailureOr<EValue> ModuleEmitter::callCustomVjp(const EValue &callee,
                                               std::vector<EValue> values,
                                               SMLoc l,
                                               mlir::OpBuilder &callerBuilder,
                                               ArrayRef<mlir::Value> state) {
  const Stmt &fn = *callee.fn;
  const Stmt *rule = customVjps.lookup(&fn);
  if (!rule)
    return fail(l, "'" + fn.name +
                       "' is a @custom_vjp function without a "
                       "rule: define one with @" +
                       fn.name + ".defvjp");
  std::vector<SMLoc> locs(values.size(), l);
  auto wrapper =
      wrap(callee, CallSite::positional(values, locs, l), WrapKind::CustomVjp);
  if (failed(wrapper))
    return mlir::failure();
  if (!wrapper->func->hasAttr("spore.custom_vjp")) {
    auto ruleFn = customRule(callee, *rule, values, wrapper->resultTemplate, l);
    if (failed(ruleFn))
      return mlir::failure();
    wrapper->func->setAttr("spore.custom_vjp",
                           mlir::FlatSymbolRefAttr::get(*ruleFn));
  }
  std::vector<mlir::Value> operands(state.begin(), state.end());
  collectLeaves(callee, operands);
  for (const EValue &v : values)
    collectLeaves(v, operands);
  auto call = CallOp::create(callerBuilder, loc(l), wrapper->func, operands);
  size_t next = 0;
  return rebuild(wrapper->resultTemplate, call.getResults(), next);
}

FailureOr<FuncOp> ModuleEmitter::customRule(const EValue &callee,
                                            const Stmt &rule,
                                            const std::vector<EValue> &values,
                                            const EValue &resultTemplate,
                                            SMLoc l) {
  mlir::Location fnLoc = loc(rule.loc);
  auto func = newFunction(uniqueName(callee.fn->name + ".vjp_rule"), fnLoc);
  func.setPrivate();
  mlir::Block *entry = &func.getBody().front();
  auto bodyBuilder = mlir::OpBuilder::atBlockBegin(entry);
  FunctionEmitter fe(*this, bodyBuilder);
  fe.stateArgs.assign(entry->args_begin(), entry->args_end());
  // The callee's leaves (none: a module-level def captures nothing) keep
  // the layout of the call's operands, which the backward pass passes on.
  parameterize(callee, *entry, fnLoc);
  std::vector<EValue> args;
  for (const EValue &v : values)
    args.push_back(parameterize(v, *entry, fnLoc));
  std::vector<EValue> primals = args;
  for (int k = 0; k < 2; ++k) { // the result, then its cotangent
    llvm::SmallVector<Type> types;
    shapeTypes(resultTemplate, types);
    llvm::SmallVector<mlir::Value> leaves;
    for (Type t : types)
      leaves.push_back(entry->addArgument(t, fnLoc));
    size_t next = 0;
    args.push_back(rebuild(resultTemplate, leaves, next));
  }
  std::vector<SMLoc> locs(args.size(), l);
  CallSite ruleCall = CallSite::positional(args, locs, l);
  auto result = fe.callValue(EValue::ofFunction(&rule), ruleCall);
  if (failed(result)) {
    func.erase();
    return mlir::failure();
  }
  // One cotangent per argument (a tuple, or the value itself for a
  // function of one argument), each like its argument; None is zero.
  std::vector<EValue> cots;
  if (result->kind == EValue::Tuple)
    cots = result->elts;
  else if (primals.size() == 1)
    cots = {*result};
  if (cots.size() != primals.size()) {
    std::string message =
        "the rule of '" + callee.fn->name + "' must return a tuple of " +
        std::to_string(primals.size()) + " cotangents, one per argument, not " +
        describe(*result);
    func.erase();
    return fail(rule.loc, message);
  }
  std::vector<mlir::Value> leaves;
  std::function<mlir::LogicalResult(const EValue &, const EValue &, size_t)>
      add = [&](const EValue &primal, const EValue &cot,
                size_t i) -> mlir::LogicalResult {
    if (primal.kind == EValue::Tensor) {
      auto type = mlir::cast<RankedTensorType>(primal.tensor.getType());
      if (cot.kind == EValue::None) {
        leaves.push_back(ConstantOp::create(
            bodyBuilder, fnLoc,
            mlir::DenseElementsAttr::get(
                type, bodyBuilder.getZeroAttr(type.getElementType()))));
        return mlir::success();
      }
      auto t = cot.isScalarConst() || cot.kind == EValue::Tensor
                   ? fe.toTensor(cot, rule.loc)
                   : FailureOr<EValue>(mlir::failure());
      if (succeeded(t) && t->tensorType() != type && t->weak &&
          t->tensorType().getRank() == 0) {
        // A literal: the argument's dtype and shape.
        auto cast = fe.castTo(*t, type.getElementType(), rule.loc);
        if (succeeded(cast))
          t = EValue::ofTensor(
              BroadcastToOp::create(bodyBuilder, fnLoc, type, cast->tensor));
      }
      if (failed(t) || t->tensorType() != type)
        return fail(rule.loc, "the rule of '" + callee.fn->name + "' returns " +
                                  describe(cot) +
                                  " as the cotangent of argument " +
                                  std::to_string(i) + ", which needs " +
                                  typeName(type) + " (or None)");
      leaves.push_back(t->tensor);
      return mlir::success();
    }
    if (!primal.carriesValues())
      return mlir::success(); // a compile-time argument: no cotangent
    if (cot.kind == EValue::None) {
      for (const EValue &e : primal.elts)
        if (failed(add(e, cot, i)))
          return mlir::failure();
      return mlir::success();
    }
    if (cot.kind != EValue::Tuple || cot.elts.size() != primal.elts.size())
      return fail(rule.loc,
                  "the rule of '" + callee.fn->name + "' returns " +
                      describe(cot) + " as the cotangent of argument " +
                      std::to_string(i) + ", which is " + describe(primal));
    for (auto [e, c] : llvm::zip(primal.elts, cot.elts))
      if (failed(add(e, c, i)))
        return mlir::failure();
    return mlir::success();
  };
  for (size_t i = 0; i < primals.size(); ++i)
    if (failed(add(primals[i], cots[i], i))) {
      func.erase();
      return mlir::failure();
    }
  returnFrom(func, bodyBuilder, fnLoc, leaves);
  return func;
}

FailureOr<EValue> FunctionEmitter::primTransform(const PrimitiveCall &p) {
  return makeTransform(p.name, p.call);
}

FailureOr<EValue> FunctionEmitter::primVjp(const PrimitiveCall &p) {
  return emitVjp(p.call);
}

FailureOr<EValue> FunctionEmitter::primJvp(const PrimitiveCall &p) {
  return emitJvp(p.call);
}

FailureOr<EValue> FunctionEmitter::makeTransform(StringRef name,
                                                 CallSite &call) {
  SMLoc l = call.loc;
  if (name == "checkpoint") {
    auto a = bindArgs(name, {"fun"}, 1, call);
    if (failed(a))
      return mlir::failure();
    if (!isCallable(*a->get(0)))
      return fail(a->locs[0],
                  "checkpoint takes a function, not " + describe(*a->get(0)));
    EValue t = EValue::named(EValue::Transform, name);
    t.elts = {*a->get(0)};
    return t;
  }
  auto a = bindArgs(name, {"fun", "argnums", "has_aux", "wrt"}, 1, call);
  if (failed(a))
    return mlir::failure();
  const EValue &fun = *a->get(0);
  if (!isCallable(fun))
    return fail(a->locs[0], name.str() +
                                " takes a function to differentiate, "
                                "not " +
                                describe(fun));
  EValue argnums = EValue::ofInt(0);
  if (const EValue *n = a->get(1)) {
    auto valid = [](const EValue &v) {
      return v.kind == EValue::Int && v.i >= 0;
    };
    bool ok = valid(*n) || (n->kind == EValue::Tuple && !n->elts.empty() &&
                            llvm::all_of(n->elts, valid));
    if (!ok)
      return fail(a->locs[1], "argnums must be a non-negative compile-time "
                              "int or a non-empty tuple of them, got " +
                                  describe(*n));
    argnums = *n;
  }
  bool hasAux = false;
  if (const EValue *h = a->get(2)) {
    if (h->kind != EValue::Bool)
      return fail(a->locs[2],
                  "has_aux must be True or False, got " + describe(*h));
    hasAux = h->b;
  }
  EValue wrt;
  if (const EValue *w = a->get(3)) {
    if (a->get(1))
      return fail(a->locs[3], "give argnums or wrt, not both");
    // The Parameters are this function's state arguments: keep their
    // slots, in the structure given.
    std::function<FailureOr<EValue>(const EValue &)> slots =
        [&](const EValue &v) -> FailureOr<EValue> {
      if (v.kind == EValue::Tuple) {
        std::vector<EValue> elts;
        for (const EValue &e : v.elts) {
          auto s = slots(e);
          if (failed(s))
            return mlir::failure();
          elts.push_back(*s);
        }
        return EValue::ofTuple(std::move(elts));
      }
      auto pos = v.kind == EValue::Tensor ? llvm::find(stateArgs, v.tensor)
                                          : stateArgs.end();
      if (pos == stateArgs.end())
        return fail(a->locs[3], "wrt= takes Parameters (such as "
                                "net.parameters), not " +
                                    describe(v));
      return EValue::ofInt(pos - stateArgs.begin());
    };
    auto s = slots(*w);
    if (failed(s))
      return mlir::failure();
    wrt = *s;
    argnums = EValue();
  }
  bool jacobian = name == "jacrev" || name == "jacfwd" || name == "hessian";
  if (jacobian &&
      (argnums.kind != EValue::Int || hasAux || wrt.kind != EValue::None))
    return fail(l, name.str() + " takes one argument index (argnums=int); "
                                "tuples of them, has_aux and wrt are not "
                                "supported yet");
  EValue t = EValue::named(EValue::Transform, name);
  t.elts = {fun, argnums, EValue::ofBool(hasAux), wrt};
  return t;
}

FailureOr<EValue> FunctionEmitter::floatValue(const EValue &v, SMLoc l,
                                              const llvm::Twine &what) {
  if (v.kind == EValue::Float) {
    auto t = toTensor(v, l);
    if (failed(t))
      return mlir::failure();
    return *t;
  }
  if (v.kind == EValue::Tuple) {
    std::vector<EValue> elts;
    for (const EValue &e : v.elts) {
      auto f = floatValue(e, l, what);
      if (failed(f))
        return mlir::failure();
      elts.push_back(*f);
    }
    return EValue::ofTuple(std::move(elts));
  }
  if (v.kind == EValue::Tensor &&
      mlir::isa<mlir::FloatType>(v.tensorType().getElementType()))
    return v;
  return fail(l, what +
                     " must be floating tensors (or tuples of them), "
                     "not " +
                     describe(v));
}

/// The operand positions from the first argument's on (`argStart`, as
/// wrapperOperands gives it) to `end`.
static llvm::SmallVector<int64_t> leavesFrom(ArrayRef<size_t> argStart,
                                             size_t end) {
  llvm::SmallVector<int64_t> positions;
  for (size_t k = argStart.empty() ? end : argStart.front(); k < end; ++k)
    positions.push_back(k);
  return positions;
}

FailureOr<EValue> FunctionEmitter::emitVjp(CallSite &call) {
  const std::vector<EValue> &args = call.args;
  const std::vector<SMLoc> &argLocs = call.argLocs;
  SMLoc l = call.loc;
  if (!call.keywords.empty())
    return fail(call.keywords[0].loc, "vjp takes no keyword arguments "
                                      "(has_aux is not supported yet)");
  if (args.empty() || !isCallable(args[0]))
    return fail(l, "vjp takes a function and its primal arguments");
  std::vector<EValue> primals;
  std::vector<SMLoc> locs;
  for (size_t i = 1; i < args.size(); ++i) {
    auto p = floatValue(args[i], argLocs[i], "the primals of vjp");
    if (failed(p))
      return mlir::failure();
    primals.push_back(*p);
    locs.push_back(argLocs[i]);
  }
  CallSite primalCall = CallSite::positional(primals, locs, l);
  auto y = callValue(args[0], primalCall);
  if (failed(y))
    return mlir::failure();
  EValue pullback = EValue::named(EValue::Transform, "pullback");
  pullback.elts = {args[0], EValue::ofTuple(primals)};
  return EValue::ofTuple({*y, pullback});
}

FailureOr<EValue> FunctionEmitter::callPullback(const EValue &pullback,
                                                std::vector<EValue> &args,
                                                std::vector<SMLoc> &argLocs,
                                                SMLoc l) {
  const EValue &fun = pullback.elts[0];
  std::vector<EValue> primals = pullback.elts[1].elts;
  std::vector<SMLoc> locs(primals.size(), l);
  auto wrapper = m.wrap(fun, CallSite::positional(primals, locs, l));
  if (failed(wrapper))
    return mlir::failure();
  if (args.size() != 1)
    return fail(l, "a pullback takes one cotangent (a tuple for a function "
                   "with several results), got " +
                       std::to_string(args.size()) + " arguments");
  // The cotangent has the result's structure and types; a literal takes
  // the type of the scalar result it stands for.
  std::vector<mlir::Value> resultLeaves;
  llvm::SmallVector<Type> resultTypes(
      wrapper->func.getFunctionType().getResults());
  std::vector<mlir::Value> cotangents;
  std::function<mlir::LogicalResult(const EValue &, const EValue &)> match =
      [&](const EValue &c, const EValue &r) -> mlir::LogicalResult {
    if (r.kind == EValue::Tuple) {
      if (c.kind != EValue::Tuple || c.elts.size() != r.elts.size())
        return fail(argLocs[0], "the cotangent must have the structure of "
                                "the function's result, " +
                                    describe(r) + ", not " + describe(c));
      for (size_t i = 0; i < r.elts.size(); ++i)
        if (failed(match(c.elts[i], r.elts[i])))
          return mlir::failure();
      return mlir::success();
    }
    if (r.kind != EValue::Tensor)
      return mlir::success(); // a compile-time part of the result
    auto type = mlir::cast<RankedTensorType>(r.dtype);
    EValue v = c;
    if (v.isScalarConst() && type.getRank() == 0) {
      auto t = materialize(v, type.getElementType(), argLocs[0]);
      if (failed(t))
        return mlir::failure();
      v = *t;
    }
    if (v.kind != EValue::Tensor || v.tensor.getType() != type)
      return fail(argLocs[0], "the cotangent must be " + typeName(type) +
                                  " like the function's result, not " +
                                  describe(v));
    cotangents.push_back(v.tensor);
    return mlir::success();
  };
  if (failed(match(args[0], wrapper->resultTemplate)))
    return mlir::failure();
  for (Type t : resultTypes)
    if (!mlir::isa<mlir::FloatType>(
            mlir::cast<RankedTensorType>(t).getElementType()))
      return fail(l, "vjp of a function with a non-floating result (" +
                         typeName(t) + ") is not supported yet");

  std::vector<size_t> primalStart;
  std::vector<mlir::Value> operands =
      wrapperOperands(fun, primals, {}, &primalStart);
  llvm::SmallVector<int64_t> wrt = leavesFrom(primalStart, operands.size());
  llvm::SmallVector<Type> types(resultTypes);
  for (int64_t i : wrt)
    types.push_back(operands[i].getType());
  auto op = VjpOp::create(
      b, loc(l), types,
      mlir::FlatSymbolRefAttr::get(wrapper->func.getSymNameAttr()), operands,
      cotangents, b.getDenseI64ArrayAttr(wrt));
  mlir::ValueRange grads = op.getResults().drop_front(resultTypes.size());
  size_t next = 0;
  std::vector<EValue> perPrimal;
  for (const EValue &p : primals)
    perPrimal.push_back(m.rebuild(p, grads, next));
  return EValue::ofTuple(std::move(perPrimal));
}

std::vector<mlir::Value>
FunctionEmitter::wrapperOperands(const EValue &fun, ArrayRef<EValue> args,
                                 ArrayRef<EValue> kwValues,
                                 std::vector<size_t> *argStart) {
  std::vector<mlir::Value> operands(stateArgs.begin(), stateArgs.end());
  m.collectLeaves(fun, operands);
  for (const EValue &a : args) {
    if (argStart)
      argStart->push_back(operands.size());
    m.collectLeaves(a, operands);
  }
  for (const EValue &v : kwValues)
    m.collectLeaves(v, operands);
  return operands;
}

FailureOr<EValue> FunctionEmitter::callJacobian(const EValue &transform,
                                                CallSite &call) {
  std::vector<EValue> &args = call.args;
  const std::vector<SMLoc> &argLocs = call.argLocs;
  SMLoc l = call.loc;
  const EValue &fun = transform.elts[0];
  int64_t n = transform.elts[1].i;
  if (n >= (int64_t)args.size())
    return fail(l, "argnums " + std::to_string(n) +
                       " is out of range: the function is called with " +
                       std::to_string(args.size()) + " positional arguments");
  auto x = floatValue(args[n], argLocs[n], "the argument of " + transform.str);
  if (failed(x))
    return mlir::failure();
  if (x->kind != EValue::Tensor)
    return fail(argLocs[n], transform.str +
                                " differentiates with respect to "
                                "one tensor, not " +
                                describe(*x));
  args[n] = *x;
  auto wrapper = m.wrap(fun, call);
  if (failed(wrapper))
    return mlir::failure();
  const EValue &y = wrapper->resultTemplate;
  auto yType = y.kind == EValue::Tensor
                   ? mlir::dyn_cast<RankedTensorType>(y.dtype)
                   : nullptr;
  if (!yType || !mlir::isa<mlir::FloatType>(yType.getElementType()))
    return fail(l, transform.str +
                       " needs a function that returns one "
                       "floating tensor, not " +
                       describe(y));
  // One spore.jacobian, which spore-differentiate expands into a loop of
  // forward passes (jacfwd: one per input element, each a column) or
  // reverse passes (jacrev: one per output element, each a row).
  std::vector<size_t> argStart;
  std::vector<mlir::Value> operands =
      wrapperOperands(fun, args, call.kwValues, &argStart);
  RankedTensorType xType = x->tensorType();
  llvm::SmallVector<int64_t> jShape(yType.getShape());
  llvm::append_range(jShape, xType.getShape());
  auto jType = RankedTensorType::get(jShape, xType.getElementType());
  return EValue::ofTensor(JacobianOp::create(
      b, loc(l), jType,
      mlir::FlatSymbolRefAttr::get(wrapper->func.getSymNameAttr()), operands,
      b.getI64IntegerAttr(argStart[n]),
      transform.str == "jacfwd" ? b.getUnitAttr() : mlir::UnitAttr(),
      /*width=*/mlir::IntegerAttr()));
}

FailureOr<EValue> FunctionEmitter::emitJvp(CallSite &call) {
  const std::vector<EValue> &args = call.args;
  const std::vector<SMLoc> &argLocs = call.argLocs;
  SMLoc l = call.loc;
  if (!call.keywords.empty() || args.size() != 3 || !isCallable(args[0]))
    return fail(l, "jvp takes a function, a tuple of primals and a tuple of "
                   "tangents: jvp(f, (x,), (t,))");
  auto primals = floatValue(args[1], argLocs[1], "the primals of jvp");
  auto tangents = floatValue(args[2], argLocs[2], "the tangents of jvp");
  if (failed(primals) || failed(tangents))
    return mlir::failure();
  if (primals->kind != EValue::Tuple || tangents->kind != EValue::Tuple)
    return fail(l, "jvp takes the primals and the tangents as tuples: "
                   "jvp(f, (x,), (t,))");
  std::function<bool(const EValue &, const EValue &)> sameTypes =
      [&](const EValue &p, const EValue &t) {
        if (p.kind != t.kind)
          return false;
        if (p.kind == EValue::Tensor)
          return p.tensor.getType() == t.tensor.getType();
        if (p.elts.size() != t.elts.size())
          return false;
        for (size_t i = 0; i < p.elts.size(); ++i)
          if (!sameTypes(p.elts[i], t.elts[i]))
            return false;
        return true;
      };
  if (!sameTypes(*primals, *tangents))
    return fail(argLocs[2], "the tangents must have the primals' structure "
                            "and types");
  // Forward mode: a spore.jvp of a wrapper of the function with the
  // primals, differentiated with respect to the primals' leaves.
  std::vector<SMLoc> locs(primals->elts.size(), l);
  auto wrapper = m.wrap(args[0], CallSite::positional(primals->elts, locs, l));
  if (failed(wrapper))
    return mlir::failure();
  for (Type t : wrapper->func.getFunctionType().getResults())
    if (!mlir::isa<mlir::FloatType>(
            mlir::cast<RankedTensorType>(t).getElementType()))
      return fail(l, "jvp needs a function whose results are floating "
                     "tensors, not " +
                         describe(wrapper->resultTemplate));
  std::vector<size_t> primalStart;
  std::vector<mlir::Value> operands =
      wrapperOperands(args[0], primals->elts, {}, &primalStart);
  llvm::SmallVector<int64_t> wrt = leavesFrom(primalStart, operands.size());
  std::vector<mlir::Value> tangentLeaves;
  m.collectLeaves(*tangents, tangentLeaves);
  llvm::SmallVector<Type> types(wrapper->func.getFunctionType().getResults());
  size_t numResults = types.size();
  types.append(types.begin(), types.end());
  auto op = JvpOp::create(
      b, loc(l), types,
      mlir::FlatSymbolRefAttr::get(wrapper->func.getSymNameAttr()), operands,
      tangentLeaves, b.getDenseI64ArrayAttr(wrt));
  size_t next = 0;
  EValue y = m.rebuild(wrapper->resultTemplate,
                       op.getResults().take_front(numResults), next);
  next = 0;
  EValue t = m.rebuild(wrapper->resultTemplate,
                       op.getResults().drop_front(numResults), next);
  return EValue::ofTuple({y, t});
}

FailureOr<EValue> FunctionEmitter::callTransform(const EValue &transform,
                                                 CallSite &call) {
  std::vector<EValue> &args = call.args;
  const std::vector<SMLoc> &argLocs = call.argLocs;
  SMLoc l = call.loc;
  if (transform.str == "checkpoint") {
    // A call of a wrapper that differentiation recomputes in the backward
    // pass instead of keeping its intermediate values.
    auto wrapper =
        m.wrap(transform.elts[0], call, ModuleEmitter::WrapKind::Checkpointed);
    if (failed(wrapper))
      return mlir::failure();
    auto op =
        CallOp::create(b, loc(l), wrapper->func,
                       wrapperOperands(transform.elts[0], args, call.kwValues));
    size_t next = 0;
    return m.rebuild(wrapper->resultTemplate, op.getResults(), next);
  }
  if (transform.str == "pullback")
    return callPullback(transform, args, call.argLocs, l);
  if (transform.str == "jacrev" || transform.str == "jacfwd")
    return callJacobian(transform, call);
  if (transform.str == "hessian") {
    // The Jacobian of the gradient: forward over reverse, as in JAX.
    EValue inner = transform;
    inner.str = "jacrev";
    EValue outer = transform;
    outer.str = "jacfwd";
    outer.elts[0] = inner;
    return callJacobian(outer, call);
  }
  const EValue &fun = transform.elts[0], &argnums = transform.elts[1],
               &wrt = transform.elts[3];
  bool hasAux = transform.elts[2].b;
  bool withValue = transform.str == "value_and_grad" || hasAux;

  // The differentiated arguments: floating tensors (a literal becomes
  // one, of its default dtype).
  std::vector<int64_t> nums;
  if (argnums.kind == EValue::Int)
    nums.push_back(argnums.i);
  for (const EValue &n : argnums.elts)
    nums.push_back(n.i);
  for (int64_t n : nums) {
    if (n >= (int64_t)args.size())
      return fail(l, "argnums " + std::to_string(n) +
                         " is out of range: the function is called with " +
                         std::to_string(args.size()) + " positional arguments");
    EValue &arg = args[n];
    if (arg.kind == EValue::Float) {
      auto t = toTensor(arg, argLocs[n]);
      if (failed(t))
        return mlir::failure();
      arg = *t;
    }
    std::vector<mlir::Value> leaves;
    m.collectLeaves(arg, leaves);
    bool floats = !leaves.empty() && llvm::all_of(leaves, [](mlir::Value v) {
      return mlir::isa<mlir::FloatType>(
          mlir::cast<RankedTensorType>(v.getType()).getElementType());
    });
    if (!floats || arg.kind == EValue::Function || arg.kind == EValue::Object)
      return fail(argLocs[n], "cannot differentiate with respect to argument " +
                                  std::to_string(n) + ", " +
                                  (arg.kind == EValue::Tensor
                                       ? "a " + typeName(arg.tensor.getType())
                                       : describe(arg)) +
                                  ": only floating values have derivatives" +
                                  (arg.kind == EValue::Object
                                       ? " (for a Cell's Parameters, use wrt=" +
                                             std::string("net.parameters)")
                                       : ""));
  }

  auto wrapper = m.wrap(fun, call);
  if (failed(wrapper))
    return mlir::failure();
  const EValue &result = wrapper->resultTemplate;
  const EValue *value = &result;
  if (hasAux) {
    if (result.kind != EValue::Tuple || result.elts.size() != 2)
      return fail(l, "with has_aux=True the function must return a pair "
                     "(value, aux), not " +
                         describe(result));
    value = &result.elts[0];
  }
  auto valueType = value->kind == EValue::Tensor
                       ? mlir::dyn_cast<RankedTensorType>(value->dtype)
                       : nullptr;
  if (!valueType || valueType.getRank() != 0 ||
      !mlir::isa<mlir::FloatType>(valueType.getElementType()))
    return fail(l, transform.str +
                       " needs a function that returns a float "
                       "scalar" +
                       (hasAux ? "" : " (has_aux=True returns more)") +
                       ", not " +
                       (valueType ? typeName(valueType) : describe(*value)));

  // Operands in the wrapper's order; the differentiated ones by index.
  std::vector<size_t> argStart;
  std::vector<mlir::Value> operands =
      wrapperOperands(fun, args, call.kwValues, &argStart);
  llvm::SmallVector<int64_t> wrtIndices;
  if (wrt.kind == EValue::None) {
    for (int64_t n : nums)
      for (size_t k = 0; k < countLeaves(args[n]); ++k)
        wrtIndices.push_back(argStart[n] + k);
  } else {
    collectSlots(wrt, wrtIndices);
  }
  // spore.grad wants increasing indices; the gradients come back in that
  // order and are put back in the requested one.
  llvm::SmallVector<int64_t> sorted(wrtIndices);
  llvm::sort(sorted);
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  llvm::SmallVector<Type> types;
  if (withValue)
    llvm::append_range(types, wrapper->func.getFunctionType().getResults());
  for (int64_t i : sorted)
    types.push_back(operands[i].getType());
  auto op = GradOp::create(
      b, loc(l), types,
      mlir::FlatSymbolRefAttr::get(wrapper->func.getSymNameAttr()), operands,
      b.getDenseI64ArrayAttr(sorted), withValue ? b.getUnitAttr() : nullptr);
  mlir::ValueRange results = op.getResults();
  size_t next = 0;
  EValue valueAndAux;
  if (withValue)
    valueAndAux = m.rebuild(result, results, next);
  llvm::SmallVector<mlir::Value> grads;
  for (int64_t i : wrtIndices)
    grads.push_back(results[next + (llvm::find(sorted, i) - sorted.begin())]);

  size_t g = 0;
  EValue gradient;
  if (wrt.kind != EValue::None) {
    gradient = rebuildSlots(wrt, grads, g);
  } else {
    std::vector<EValue> perArg;
    for (int64_t n : nums)
      perArg.push_back(m.rebuild(args[n], grads, g));
    gradient = argnums.kind == EValue::Int ? perArg[0]
                                           : EValue::ofTuple(std::move(perArg));
  }
  if (transform.str == "grad")
    return hasAux ? EValue::ofTuple({gradient, valueAndAux.elts[1]}) : gradient;
  return EValue::ofTuple({valueAndAux, gradient});
}

} // namespace spore::frontend::detail
