//===- EmitCell.cpp - Cells, Parameters and the module's state ------------===//
//
// Cells (language.md §6) are compile-time values. A `class` deriving from
// Cell is an EValue::Class; creating one (only at module level or inside
// another Cell's __init__) runs its __init__ at compile time and yields an
// EValue::Object whose attributes are Parameters, Cells, functions and
// compile-time values. Module-level instances are the state: each
// Parameter they reach gets a slot (ModuleEmitter::registerState), a
// spore.parameter op, and a leading argument in every function. Reading a
// Parameter inside a function yields that argument; calling a Cell calls
// its `__call__` method with the instance as `self`, specialised per
// instance like any generic function.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include <cmath>

namespace spore::frontend::detail {

namespace {

EValue initValue(StringRef kind, std::vector<double> args) {
  EValue v;
  v.kind = EValue::Init;
  v.str = kind.str();
  for (double a : args)
    v.elts.push_back(EValue::ofFloat(a));
  return v;
}

/// Whether the Parameter `p` was created with trainable=False (a buffer,
/// such as a running statistic: state, but not in `.parameters`).
bool isBuffer(const EValue &p) { return p.b; }

/// The trainable Parameters reachable from `v`, first occurrence first:
/// what `.parameters` lists.
void collectParameters(const EValue &v, std::vector<EValue> &out,
                       llvm::DenseSet<int64_t> &seen) {
  if (v.kind == EValue::Parameter) {
    if (!isBuffer(v) && seen.insert(v.i).second)
      out.push_back(v);
    return;
  }
  if (v.kind == EValue::Object || v.kind == EValue::Tuple)
    for (const EValue &e : v.elts)
      collectParameters(e, out, seen);
}

} // namespace

//===----------------------------------------------------------------------===//
// ModuleEmitter
//===----------------------------------------------------------------------===//

FailureOr<std::vector<const Stmt *>> ModuleEmitter::basesOf(const Stmt &cls) {
  std::vector<const Stmt *> bases;
  if (cls.bases.size() != 1)
    return fail(cls.loc, "class '" + cls.name +
                             "' must derive from exactly one class: Cell or "
                             "another Cell class");
  const Expr &base = *cls.bases[0];
  bool isCell = (base.kind == ExprKind::Name && base.name == "Cell") ||
                (base.kind == ExprKind::Attribute && base.name == "Cell" &&
                 base.lhs->kind == ExprKind::Name && base.lhs->name == "spore");
  if (!isCell) {
    const EValue *found = nullptr;
    if (base.kind == ExprKind::Name) {
      auto it = globals.find(base.name);
      if (it != globals.end())
        found = &it->second;
      else if (auto pit = preludeFns.find(base.name); pit != preludeFns.end())
        found = &pit->second;
    }
    if (!found || found->kind != EValue::Class || !found->fn)
      return fail(base.loc, "class '" + cls.name +
                                "' must derive from Cell or from a Cell class "
                                "defined before it");
    bases.push_back(found->fn);
  }
  for (auto &s : cls.body) {
    bool docstring =
        s->kind == StmtKind::Expr && s->value->kind == ExprKind::String;
    if (docstring || s->kind == StmtKind::Pass)
      continue;
    if (s->kind != StmtKind::FunctionDef)
      return fail(s->loc, "a Cell class may only define methods (its "
                          "attributes are set in __init__)");
    if (!s->decorators.empty())
      return fail(s->decorators[0]->loc,
                  "decorators on methods are not supported");
    if (s->params.empty())
      return fail(s->loc, "method '" + s->name +
                              "' must take the instance ('self') first");
  }
  return bases;
}

const Stmt *ModuleEmitter::findMethod(const Stmt *cls, StringRef name) {
  for (unsigned depth = 0; cls && depth < 64; ++depth) {
    for (auto &s : cls->body)
      if (s->kind == StmtKind::FunctionDef && s->name == name)
        return s.get();
    auto bases = basesOf(*cls);
    if (failed(bases) || bases->empty())
      return nullptr;
    cls = bases->front();
  }
  return nullptr;
}

FailureOr<EValue> ModuleEmitter::construct(const EValue &cls, CallSite call) {
  std::vector<EValue> &args = call.args;
  SMLoc l = call.loc;
  EValue obj;
  obj.kind = EValue::Object;
  obj.fn = cls.fn;
  obj.str = cls.str;
  obj.i = nextIdentity++;
  obj.captureNames = std::make_shared<const std::vector<std::string>>();

  if (!cls.fn) {
    if (cls.str != "Sequential")
      return fail(l, "Cell is the base of Cell classes; define a class that "
                     "derives from it and create that");
    if (!call.keywords.empty())
      return fail(call.keywords[0].loc,
                  "Sequential takes no keyword arguments");
    std::vector<std::string> names;
    for (size_t i = 0; i < args.size(); ++i) {
      const EValue &c = args[i];
      if (c.kind != EValue::Object && c.kind != EValue::Function &&
          c.kind != EValue::Primitive)
        return fail(call.argLocs[i],
                    "Sequential takes Cells or functions, got " + describe(c));
      names.push_back(std::to_string(i));
    }
    obj.captureNames =
        std::make_shared<const std::vector<std::string>>(std::move(names));
    obj.elts = std::move(args);
    return obj;
  }

  if (activeConstructions >= 64)
    return fail(l, "Cells nest more than 64 deep (does a Cell create "
                   "itself?)");
  struct Active {
    unsigned &n;
    Active(unsigned &n) : n(n) { ++n; }
    ~Active() { --n; }
  } active(activeConstructions);

  const Stmt *init = findMethod(cls.fn, "__init__");
  if (!init) {
    if (!args.empty() || !call.keywords.empty())
      return fail(l, "'" + cls.str +
                         "' takes no arguments (it has no "
                         "__init__)");
    return obj;
  }
  args.insert(args.begin(), obj);
  call.argLocs.insert(call.argLocs.begin(), l);
  mlir::OpBuilder scratch(&ctx);
  auto block = std::make_unique<mlir::Block>();
  scratch.setInsertionPointToStart(block.get());
  FunctionEmitter fe(*this, scratch);
  fe.constructing = true;
  auto bound = bindParams(*init, std::move(call), scratch);
  if (failed(bound)) {
    block->clear();
    return mlir::failure();
  }
  for (size_t i = 0; i < init->params.size(); ++i)
    fe.scope[init->params[i].name] = (*bound)[i];
  fe.scope[FunctionEmitter::kReturned] = EValue::ofBool(false);
  callStack.push_back(l);
  auto ok = fe.emitBlock(init->body);
  callStack.pop_back();
  block->clear();
  if (failed(ok))
    return mlir::failure();
  const EValue &returned = fe.scope[FunctionEmitter::kReturned];
  if (returned.kind != EValue::Bool ||
      (returned.b && fe.scope[FunctionEmitter::kResult].kind != EValue::None))
    return fail(fe.returnLoc.isValid() ? fe.returnLoc : init->loc,
                "__init__ must not return a value");
  const EValue &self = fe.scope[init->params[0].name];
  if (self.kind != EValue::Object || self.i != obj.i)
    return fail(init->loc,
                "__init__ must not rebind '" + init->params[0].name + "'");
  return self;
}

void ModuleEmitter::registerState(const EValue &v, const std::string &path,
                                  SMLoc at) {
  if (v.kind == EValue::Parameter) {
    if (slotOfParameter.count(v.i))
      return;
    slotOfParameter[v.i] = stateSlots.size();
    stateSlots.push_back({path, mlir::cast<RankedTensorType>(v.dtype), v, at});
    return;
  }
  if (v.kind == EValue::Object)
    for (size_t i = 0; i < v.elts.size(); ++i)
      registerState(v.elts[i], path + "." + (*v.captureNames)[i], at);
  if (v.kind == EValue::Tuple)
    for (size_t i = 0; i < v.elts.size(); ++i)
      registerState(v.elts[i], path + "." + std::to_string(i), at);
}

//===----------------------------------------------------------------------===//
// FunctionEmitter
//===----------------------------------------------------------------------===//

FailureOr<EValue> FunctionEmitter::stateValue(const EValue &v, SMLoc l) {
  if (constructing)
    return v;
  if (v.kind == EValue::Parameter) {
    auto it = m.slotOfParameter.find(v.i);
    if (it == m.slotOfParameter.end() || it->second >= stateArgs.size())
      return fail(l, "this Parameter is not part of the module's state (it "
                     "belongs to no module-level Cell instance)");
    return EValue::ofTensor(stateArgs[it->second]);
  }
  if (v.kind == EValue::Tuple) {
    std::vector<EValue> elts;
    for (const EValue &e : v.elts) {
      auto s = stateValue(e, l);
      if (failed(s))
        return mlir::failure();
      elts.push_back(*s);
    }
    return EValue::ofTuple(std::move(elts));
  }
  return v;
}

FailureOr<EValue> FunctionEmitter::cellAttribute(const EValue &obj,
                                                 const Expr &e) {
  const auto &names = *obj.captureNames;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == e.name)
      return stateValue(obj.elts[i], e.loc);
  if (e.name == "parameters") {
    std::vector<EValue> params;
    llvm::DenseSet<int64_t> seen;
    collectParameters(obj, params, seen);
    return stateValue(EValue::ofTuple(std::move(params)), e.loc);
  }
  if (obj.fn && m.findMethod(obj.fn, e.name))
    return fail(e.loc, "method '" + e.name +
                           "' can only be called here; wrap it in a lambda "
                           "to pass it as a value");
  return fail(e.loc,
              "'" + obj.str + "' object has no attribute '" + e.name + "'");
}

mlir::LogicalResult FunctionEmitter::assignAttribute(const Expr &target,
                                                     const EValue &value) {
  auto base = emitExpr(*target.lhs);
  if (failed(base))
    return mlir::failure();
  if (base->kind != EValue::Object)
    return fail(target.loc, "cannot set an attribute of " + describe(*base) +
                                "; only Cells have attributes to set");
  if (!constructing)
    return fail(target.loc, "attributes of a Cell can only be set in its "
                            "__init__ (to change a Parameter, use "
                            "assign(net.w, value))");
  auto it = target.lhs->kind == ExprKind::Name ? scope.find(target.lhs->name)
                                               : scope.end();
  if (it == scope.end() || it->second.kind != EValue::Object)
    return fail(target.loc, "only attributes of the Cell being built "
                            "('self.name = ...') can be set");
  if (value.holdsTensor())
    return fail(target.loc,
                "a Cell attribute must be a Parameter, a Cell, a function or "
                "a compile-time value; wrap a tensor in Parameter(...)");
  EValue &obj = it->second;
  if (target.name == "parameters")
    return fail(target.loc, "'parameters' is reserved: it lists the Cell's "
                            "Parameters");
  auto names = *obj.captureNames;
  auto pos = llvm::find(names, target.name);
  if (pos != names.end()) {
    obj.elts[pos - names.begin()] = value;
    return mlir::success();
  }
  names.push_back(target.name);
  obj.elts.push_back(value);
  obj.captureNames =
      std::make_shared<const std::vector<std::string>>(std::move(names));
  return mlir::success();
}

FailureOr<EValue> FunctionEmitter::makeParameter(CallSite &call) {
  SMLoc l = call.loc;
  if (!constructing)
    return fail(l, "Parameters can be created only in a Cell's __init__ or "
                   "at module level");
  auto bound = bindArgs("Parameter", {"value", "init", "trainable"}, 1, call);
  if (failed(bound))
    return mlir::failure();
  bool trainable = true;
  if (const EValue *t = bound->get(2)) {
    if (t->kind != EValue::Bool)
      return fail(bound->locs[2],
                  "trainable must be True or False, got " + describe(*t));
    trainable = t->b;
  }
  EValue value = *bound->get(0);
  if (value.isScalarConst()) {
    auto t = toTensor(value, bound->locs[0]);
    if (failed(t))
      return mlir::failure();
    value = *t;
  }
  if (value.kind != EValue::Tensor)
    return fail(bound->locs[0], "Parameter(value, init=...) takes a tensor "
                                "whose shape and dtype it has, got " +
                                    describe(value));
  RankedTensorType type = value.tensorType();
  EValue init;
  if (const EValue *given = bound->get(1)) {
    SMLoc initLoc = bound->locs[1];
    init = *given;
    if (init.kind == EValue::Primitive &&
        (init.str == "zeros" || init.str == "ones"))
      init = initValue("const", {init.str == "ones" ? 1.0 : 0.0});
    if (init.kind != EValue::Init)
      return fail(initLoc, "init must be an initialiser (zeros, ones, "
                           "normal(std), uniform(a, b), xavier_uniform or "
                           "kaiming_normal), got " +
                               describe(init));
    // Fans as PyTorch counts them: dense [in, out]; convolution HWIO,
    // whose receptive field multiplies both.
    ArrayRef<int64_t> shape = type.getShape();
    double fanIn = 1, fanOut = 1;
    if (shape.size() == 1) {
      fanIn = fanOut = shape[0];
    } else if (shape.size() >= 2) {
      double receptive = 1;
      for (int64_t d : shape.drop_back(2))
        receptive *= d;
      fanIn = shape[shape.size() - 2] * receptive;
      fanOut = shape.back() * receptive;
    }
    if (init.str == "xavier_uniform") {
      double bound = fanIn + fanOut > 0 ? std::sqrt(6.0 / (fanIn + fanOut)) : 0;
      init = initValue("uniform", {-bound, bound});
    } else if (init.str == "kaiming_normal") {
      init = initValue("normal", {fanIn > 0 ? std::sqrt(2.0 / fanIn) : 0});
    }
    if (init.str != "const" &&
        !mlir::isa<mlir::FloatType>(type.getElementType()))
      return fail(initLoc, "a Parameter of dtype " +
                               dtypeName(type.getElementType()) +
                               " can only have a constant initialiser");
  } else {
    auto constant = value.tensor.getDefiningOp<ConstantOp>();
    auto splat =
        constant ? mlir::dyn_cast<mlir::SplatElementsAttr>(constant.getValue())
                 : nullptr;
    if (!splat)
      return fail(l, "Parameter(value) without init= needs a value filled "
                     "with one constant, such as zeros(...) or ones(...)");
    Type et = type.getElementType();
    double c = mlir::isa<mlir::FloatType>(et)
                   ? splat.getSplatValue<llvm::APFloat>().convertToDouble()
                   : (double)splat.getSplatValue<llvm::APInt>().getSExtValue();
    init = initValue("const", {c});
  }
  EValue p;
  p.kind = EValue::Parameter;
  p.i = m.nextIdentity++;
  p.dtype = type;
  p.str = init.str;
  p.elts = init.elts;
  p.b = !trainable;
  return p;
}

FailureOr<EValue> FunctionEmitter::primAssign(const PrimitiveCall &p) {
  SMLoc l = p.call.loc;
  if (constructing)
    return fail(l, "assign sets the state when an export runs; in __init__ "
                   "give the Parameter its value instead");
  SMLoc targetLoc = p.a.locs[0], valueLoc = p.a.locs[1];
  // Pairs each Parameter of the target with its new value.
  std::function<mlir::LogicalResult(const EValue &, const EValue &)> assign =
      [&](const EValue &target, const EValue &value) -> mlir::LogicalResult {
    if (target.kind == EValue::Object) {
      std::vector<EValue> params;
      llvm::DenseSet<int64_t> seen;
      collectParameters(target, params, seen);
      auto tensors = stateValue(EValue::ofTuple(std::move(params)), targetLoc);
      if (failed(tensors))
        return mlir::failure();
      return assign(*tensors, value);
    }
    if (target.kind == EValue::Tuple) {
      if (value.kind != EValue::Tuple ||
          value.elts.size() != target.elts.size())
        return fail(valueLoc,
                    "assign to " + std::to_string(target.elts.size()) +
                        " Parameters needs a tuple of as many values, got " +
                        describe(value));
      for (size_t i = 0; i < target.elts.size(); ++i)
        if (failed(assign(target.elts[i], value.elts[i])))
          return mlir::failure();
      return mlir::success();
    }
    auto pos = target.kind == EValue::Tensor
                   ? llvm::find(stateArgs, target.tensor)
                   : stateArgs.end();
    if (pos == stateArgs.end())
      return fail(targetLoc, "assign sets Parameters of the state (such as "
                             "self.weight or net.parameters), not " +
                                 describe(target));
    const ModuleEmitter::StateSlot &slot =
        m.stateSlots[pos - stateArgs.begin()];
    RankedTensorType type = slot.type;
    EValue v = value;
    // A literal (or a weak tensor made of literals) takes the dtype.
    if (v.isScalarConst() || (v.kind == EValue::Tensor && v.weak)) {
      auto cast = castTo(v, type.getElementType(), valueLoc);
      if (failed(cast))
        return mlir::failure();
      v = *cast;
    }
    if (v.kind != EValue::Tensor)
      return fail(valueLoc, "the new value of '" + slot.name +
                                "' must be a tensor, got " + describe(v));
    RankedTensorType vt = v.tensorType();
    if (vt.getElementType() != type.getElementType())
      return fail(valueLoc, "the new value of '" + slot.name + "' is " +
                                typeName(vt) + " but the Parameter is " +
                                typeName(type) + " (convert it with astype)");
    if (vt.getShape() != type.getShape()) {
      auto shape = broadcastShapes(vt.getShape(), type.getShape());
      if (failed(shape) || ArrayRef<int64_t>(*shape) != type.getShape())
        return fail(valueLoc, "the new value of '" + slot.name + "' is " +
                                  typeName(vt) + " but the Parameter is " +
                                  typeName(type));
      auto b2 = broadcastTo(v, type.getShape(), valueLoc);
      if (failed(b2))
        return mlir::failure();
      v = *b2;
    }
    AssignOp::create(b, loc(l), slot.name, v.tensor);
    return mlir::success();
  };
  if (failed(assign(*p.a.get(0), *p.a.get(1))))
    return mlir::failure();
  return EValue();
}

FailureOr<EValue> FunctionEmitter::primStateLike(const PrimitiveCall &p) {
  SMLoc l = p.call.loc;
  const EValue &cell = *p.a.get(0);
  const EValue &fill = *p.a.get(1);
  if (!constructing)
    return fail(l, "_state_like creates Parameters: call it in __init__");
  if (!fill.isScalarConst())
    return fail(p.a.locs[1], "the fill value must be a number known at "
                             "compile time, got " +
                                 describe(fill));
  std::vector<EValue> params;
  llvm::DenseSet<int64_t> seen;
  collectParameters(cell, params, seen);
  // Each new Parameter is named after the one it shadows: its saved name
  // when that is already state (`opt.m.net.fc1.weight`), else its index.
  std::vector<std::string> names;
  EValue obj;
  obj.kind = EValue::Object;
  obj.str = "state";
  obj.i = m.nextIdentity++;
  for (size_t k = 0; k < params.size(); ++k) {
    auto slot = m.slotOfParameter.find(params[k].i);
    names.push_back(slot != m.slotOfParameter.end()
                        ? m.stateSlots[slot->second].name
                        : std::to_string(k));
    EValue q;
    q.kind = EValue::Parameter;
    q.i = m.nextIdentity++;
    q.dtype = params[k].dtype;
    q.str = "const";
    q.elts = {EValue::ofFloat(fill.asDouble())};
    obj.elts.push_back(q);
  }
  obj.captureNames =
      std::make_shared<const std::vector<std::string>>(std::move(names));
  return obj;
}

FailureOr<EValue> FunctionEmitter::callCell(const EValue &obj, StringRef method,
                                            const CallSite &call) {
  SMLoc l = call.loc;
  if (!obj.fn) { // Sequential: each child applied to the previous result
    if (method != "__call__")
      return fail(l, "Sequential has no method '" + method.str() + "'");
    if (call.args.size() != 1 || !call.keywords.empty())
      return fail(l, "a Sequential takes one argument");
    EValue x = call.args[0];
    for (const EValue &child : obj.elts) {
      CallSite step = CallSite::positional({x}, {call.argLocs[0]}, l);
      FailureOr<EValue> r = callValue(child, step);
      if (failed(r))
        return mlir::failure();
      x = *r;
    }
    return x;
  }
  const Stmt *fn = m.findMethod(obj.fn, method);
  if (!fn)
    return fail(l,
                method == "__call__"
                    ? "'" + obj.str +
                          "' is not callable: it defines no "
                          "__call__"
                    : "'" + obj.str + "' has no method '" + method.str() + "'");
  CallSite withSelf = call;
  withSelf.args.insert(withSelf.args.begin(), obj);
  withSelf.argLocs.insert(withSelf.argLocs.begin(), l);
  // The specialisation is named after the class: `MLP.__call__`.
  EValue callee = EValue::ofFunction(fn);
  callee.str = obj.str + "." + method.str();
  return m.call(callee, std::move(withSelf), b, stateArgs);
}

} // namespace spore::frontend::detail
