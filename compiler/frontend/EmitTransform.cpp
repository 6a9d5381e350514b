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
ModuleEmitter::wrap(const EValue &callee, std::vector<EValue> args,
                    std::vector<SMLoc> argLocs,
                    const std::vector<Keyword> &keywords,
                    std::vector<EValue> kwValues, SMLoc l) {
  std::string k = "wrap:" + key(callee) + "(";
  for (const EValue &a : args)
    k += key(a) + ";";
  for (size_t i = 0; i < keywords.size(); ++i)
    k += keywords[i].name + "=" + key(kwValues[i]) + ";";
  k += ")";
  auto it = wrappers.find(k);
  if (it != wrappers.end())
    return it->second;

  mlir::OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  std::string base = callee.kind == EValue::Function && callee.fn
                         ? (callee.str.empty() ? callee.fn->name : callee.str)
                     : callee.kind == EValue::Object ||
                               callee.kind == EValue::Primitive
                         ? callee.str
                         : "differentiated";
  if (base == "<lambda>")
    base = "lambda";
  mlir::Location fnLoc = loc(l);
  auto func = FuncOp::create(builder, fnLoc, uniqueName(base + ".wrapped"),
                             builder.getFunctionType({}, {}));
  func.setPrivate();
  mlir::Block *entry = new mlir::Block();
  func.getBody().push_back(entry);
  mlir::OpBuilder bodyBuilder(&ctx);
  bodyBuilder.setInsertionPointToStart(entry);
  FunctionEmitter fe(*this, bodyBuilder);
  for (const StateSlot &slot : stateSlots)
    fe.stateArgs.push_back(entry->addArgument(slot.type, fnLoc));
  EValue self = parameterize(callee, *entry, fnLoc);
  for (EValue &a : args)
    a = parameterize(a, *entry, fnLoc);
  for (EValue &v : kwValues)
    v = parameterize(v, *entry, fnLoc);
  auto result = fe.callValue(self, args, argLocs, keywords, kwValues, l);
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
  ReturnOp::create(bodyBuilder, fnLoc, leaves);
  llvm::SmallVector<Type> types;
  for (mlir::Value v : leaves)
    types.push_back(v.getType());
  func.setFunctionType(
      builder.getFunctionType(entry->getArgumentTypes(), types));
  Wrapper w{func, resultShape(r, &ctx)};
  wrappers[k] = w;
  return w;
}

FailureOr<EValue> FunctionEmitter::makeTransform(
    StringRef name, std::vector<EValue> &args, std::vector<SMLoc> &argLocs,
    const std::vector<Keyword> &keywords, std::vector<EValue> &kwValues,
    SMLoc l) {
  auto a = bindArgs(name, {"fun", "argnums", "has_aux", "wrt"}, 1, args,
                    argLocs, keywords, kwValues, l);
  if (failed(a))
    return mlir::failure();
  const EValue &fun = *a->get(0);
  if (!isCallable(fun))
    return fail(a->locs[0], name.str() + " takes a function to differentiate, "
                                         "not " +
                                describe(fun));
  EValue argnums = EValue::ofInt(0);
  if (const EValue *n = a->get(1)) {
    auto valid = [](const EValue &v) { return v.kind == EValue::Int && v.i >= 0; };
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
      return fail(a->locs[2], "has_aux must be True or False, got " +
                                  describe(*h));
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
  EValue t = EValue::named(EValue::Transform, name);
  t.elts = {fun, argnums, EValue::ofBool(hasAux), wrt};
  return t;
}

FailureOr<EValue> FunctionEmitter::callTransform(
    const EValue &transform, std::vector<EValue> &args,
    std::vector<SMLoc> &argLocs, const std::vector<Keyword> &keywords,
    std::vector<EValue> &kwValues, SMLoc l) {
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
                         std::to_string(args.size()) +
                         " positional arguments");
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
      return fail(argLocs[n],
                  "cannot differentiate with respect to argument " +
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

  auto wrapper = m.wrap(fun, args, argLocs, keywords, kwValues, l);
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
    return fail(l, transform.str + " needs a function that returns a float "
                                   "scalar" +
                       (hasAux ? "" : " (has_aux=True returns more)") +
                       ", not " +
                       (valueType ? typeName(valueType) : describe(*value)));

  // Operands in the wrapper's order; the differentiated ones by index.
  std::vector<mlir::Value> operands(stateArgs.begin(), stateArgs.end());
  m.collectLeaves(fun, operands);
  size_t argsStart = operands.size();
  std::vector<size_t> argStart;
  for (const EValue &a : args) {
    argStart.push_back(operands.size());
    m.collectLeaves(a, operands);
  }
  for (const EValue &v : kwValues)
    m.collectLeaves(v, operands);
  (void)argsStart;
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
    return hasAux ? EValue::ofTuple({gradient, valueAndAux.elts[1]})
                  : gradient;
  return EValue::ofTuple({valueAndAux, gradient});
}

} // namespace spore::frontend::detail
