//===- EmitStmt.cpp - statements ------------------------------------------===//
//
// Emission of statements: assignments and unpacking, returns, asserts, and
// the errors for statements outside a function body's reach.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include "llvm/Support/Path.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <functional>

using namespace spore;

namespace spore::frontend::detail {

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
    return assignIndexed(target, value);
  if (target.kind == ExprKind::Starred)
    return m.fail(target.loc, "starred assignment is not supported yet");
  if (target.kind == ExprKind::Attribute)
    return assignAttribute(target, value);
  return m.fail(target.loc, "cannot assign to this expression");
}

mlir::LogicalResult FunctionEmitter::emitStmt(const Stmt &stmt) {
  const Stmt *s = &stmt;
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
    if (target.kind != ExprKind::Name && target.kind != ExprKind::Subscript)
      return m.fail(target.loc,
                    "augmented assignment needs a variable or an indexed "
                    "variable as its target");
    auto old = emitExpr(target);
    if (failed(old))
      return mlir::failure();
    auto v = emitExpr(*s->value);
    if (failed(v))
      return mlir::failure();
    auto r = binaryOp(s->op, *old, *v, s->loc);
    if (failed(r))
      return mlir::failure();
    if (failed(bind(target, *r)))
      return mlir::failure();
    break;
  }
  case StmtKind::Return: {
    EValue v;
    if (s->value) {
      auto r = emitExpr(*s->value);
      if (failed(r))
        return mlir::failure();
      v = *r;
    }
    scope[kResult] = v;
    scope[kReturned] = EValue::ofBool(true);
    if (provisionalResult && !*provisionalResult)
      *provisionalResult = resultShape(v, &m.ctx);
    returnLoc = s->value ? s->value->loc : s->loc;
    break;
  }
  case StmtKind::Assert: {
    auto c = emitExpr(*s->value);
    if (failed(c))
      return mlir::failure();
    std::string msg = "assertion failed";
    if (s->message) {
      auto text = emitExpr(*s->message);
      if (failed(text))
        return mlir::failure();
      if (text->kind != EValue::String)
        return m.fail(s->message->loc, "an assert's message must be a string");
      // The prelude's checks speak for themselves at the model's line.
      msg = m.inPrelude(s->loc) ? text->str : msg + ": " + text->str;
    }
    auto holds = truth(*c, s->value->loc, "an assert's condition");
    if (failed(holds))
      return mlir::failure();
    if (holds->kind == EValue::Bool) { // checked now
      if (!holds->b)
        return m.fail(s->loc, msg);
      break;
    }
    // Checked at run time: the entry point fails with the message, which
    // names the assert's line.
    auto [file, line] = std::pair{
        m.diags.getSourceMgr()
            .getMemoryBuffer(
                m.diags.getSourceMgr().FindBufferContainingLoc(s->loc))
            ->getBufferIdentifier(),
        m.lineOf(s->loc)};
    AssertOp::create(b, loc(s->loc), holds->tensor,
                     b.getStringAttr(llvm::sys::path::filename(file) + ":" +
                                     std::to_string(line) + ": " + msg),
                     mlir::ValueRange{}, /*precondition=*/false);
    break;
  }
  case StmtKind::If:
    return emitIf(*s);
  case StmtKind::For:
    return emitFor(*s);
  case StmtKind::While:
    return emitWhile(*s);
  case StmtKind::Break:
  case StmtKind::Continue:
    if (loopDepth == 0)
      return m.fail(s->loc,
                    std::string("'") +
                        (s->kind == StmtKind::Break ? "break" : "continue") +
                        "' is only valid inside a loop");
    scope[s->kind == StmtKind::Break ? kBroken : kContinued] =
        EValue::ofBool(true);
    break;
  case StmtKind::FunctionDef:
    if (!s->decorators.empty())
      return m.fail(s->decorators[0]->loc,
                    "decorators on nested functions are not supported");
    scope[s->name] = closure(*s);
    break;
  case StmtKind::ClassDef:
    return m.fail(s->loc, "a class can only be defined at top level");
  case StmtKind::Import:
  case StmtKind::ImportFrom:
    return m.fail(s->loc, "imports are only allowed at top level");
  case StmtKind::Unsupported:
    return m.fail(s->loc, "'" + s->keyword + "' is not supported");
  }
  return mlir::success();
}

/// Adds the names that `e` reads to `used`; a lambda reads its free names.
static void collectUsed(ModuleEmitter &m, const Expr &e,
                        std::vector<std::string> &used) {
  if (e.kind == ExprKind::Name)
    used.push_back(e.name);
  if (e.kind == ExprKind::Lambda && e.def) {
    const auto &inner = m.freeNames(*e.def);
    used.insert(used.end(), inner.begin(), inner.end());
  }
  for (const Expr *c : {e.lhs.get(), e.rhs.get(), e.cond.get()})
    if (c)
      collectUsed(m, *c, used);
  for (auto &c : e.elts)
    collectUsed(m, *c, used);
  for (auto &kw : e.keywords)
    collectUsed(m, *kw.value, used);
}

static void collectUsed(ModuleEmitter &m, const Body &body,
                        std::vector<std::string> &used) {
  for (auto &s : body) {
    if (s->kind == StmtKind::FunctionDef) {
      const auto &inner = m.freeNames(*s);
      used.insert(used.end(), inner.begin(), inner.end());
      continue;
    }
    for (auto &t : s->targets)
      collectUsed(m, *t, used);
    for (const Expr *e : {s->value.get(), s->message.get()})
      if (e)
        collectUsed(m, *e, used);
    collectUsed(m, s->body, used);
    collectUsed(m, s->orelse, used);
  }
}

const std::vector<std::string> &ModuleEmitter::freeNames(const Stmt &fn) {
  auto it = freeNameCache.find(&fn);
  if (it != freeNameCache.end())
    return it->second;
  // Python's rule: a name assigned anywhere in the body is local.
  llvm::StringSet<> locals;
  collectAssigned(fn.body, locals);
  for (const Param &p : fn.params)
    locals.insert(p.name);
  std::vector<std::string> used, free;
  collectUsed(*this, fn.body, used);
  llvm::StringSet<> seen;
  for (const std::string &name : used)
    if (!locals.contains(name) && name != fn.name && seen.insert(name).second)
      free.push_back(name);
  return freeNameCache[&fn] = std::move(free);
}

EValue FunctionEmitter::closure(const Stmt &fn) {
  // Free names defined in this function are captured by value now; the
  // others resolve to module globals when the function is called.
  std::vector<std::string> names;
  std::vector<EValue> values;
  for (const std::string &name : m.freeNames(fn)) {
    auto it = scope.find(name);
    if (it == scope.end() || StringRef(name).starts_with("%"))
      continue;
    names.push_back(name);
    values.push_back(it->second);
  }
  return EValue::ofFunction(&fn, std::move(names), std::move(values));
}

} // namespace spore::frontend::detail
