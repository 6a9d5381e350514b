//===- EmitControl.cpp - structured control flow --------------------------===//
//
// if/elif/else, conditional expressions, `and`/`or`, for loops over ranges
// and tuples, while loops, and break, continue and return anywhere, emitted
// as scf.if, scf.for and scf.while on tensor values.
//
// A run-time transfer of control is a flag in the scope (kReturned, kBroken,
// kContinued): the statements it skips are emitted under a run-time `if` on
// the flag, and loops that can exit early carry their flags into an
// scf.while condition. No CFG is ever built, so the IR stays structured for
// differentiation. Names that the branches of an `if` (or an iteration of a
// loop) leave with different values become the op's results; a literal
// takes the dtype that the other branch or a later iteration gives it.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringSet.h"

#include <algorithm>

using namespace spore;

namespace spore::frontend::detail {

/// Adds the names bound by the assignment target `t`. An indexed update
/// `x[i] = v` rebinds `x`.
void collectTargetNames(const Expr &t, llvm::StringSet<> &names) {
  switch (t.kind) {
  case ExprKind::Name:
    names.insert(t.name);
    break;
  case ExprKind::Tuple:
  case ExprKind::List:
    for (auto &e : t.elts)
      collectTargetNames(*e, names);
    break;
  case ExprKind::Subscript:
  case ExprKind::Starred:
    if (t.lhs)
      collectTargetNames(*t.lhs, names);
    break;
  default:
    break;
  }
}

void collectAssigned(const Body &body, llvm::StringSet<> &names) {
  for (auto &s : body) {
    switch (s->kind) {
    case StmtKind::Assign:
    case StmtKind::AugAssign:
    case StmtKind::AnnAssign:
    case StmtKind::For:
      for (auto &t : s->targets)
        collectTargetNames(*t, names);
      break;
    case StmtKind::FunctionDef:
    case StmtKind::ClassDef:
      names.insert(s->name);
      break;
    default:
      break;
    }
    collectAssigned(s->body, names);
    collectAssigned(s->orelse, names);
  }
}

namespace {

/// Whether `body` contains `kind`; `nested` also looks into inner loops
/// (a `return` leaves them all, a `break` only its own loop).
bool contains(const Body &body, StmtKind kind, bool nested) {
  for (auto &s : body) {
    if (s->kind == kind)
      return true;
    if (s->kind == StmtKind::FunctionDef || s->kind == StmtKind::ClassDef)
      continue;
    bool loop = s->kind == StmtKind::For || s->kind == StmtKind::While;
    if (loop && !nested)
      continue;
    if (contains(s->body, kind, nested) || contains(s->orelse, kind, nested))
      return true;
  }
  return false;
}

/// Whether two values are the same value: the same SSA tensor, equal
/// compile-time constants, the same function, tuples of such.
bool sameValue(const EValue &a, const EValue &b) {
  if (a.kind != b.kind)
    return false;
  switch (a.kind) {
  case EValue::Tensor:
    return a.tensor == b.tensor;
  case EValue::Int:
    return a.i == b.i;
  case EValue::Float:
    return a.f == b.f || (std::isnan(a.f) && std::isnan(b.f));
  case EValue::Bool:
    return a.b == b.b;
  case EValue::None:
  case EValue::Undefined:
    return true;
  case EValue::String:
  case EValue::Primitive:
  case EValue::Module:
    return a.str == b.str;
  case EValue::DType:
    return a.dtype == b.dtype;
  case EValue::Object:
  case EValue::Parameter:
    return a.i == b.i;
  case EValue::Class:
    return a.fn == b.fn && a.str == b.str;
  case EValue::Init:
  case EValue::Transform:
  case EValue::Function:
  case EValue::Choice:
  case EValue::Tuple:
    if ((a.kind == EValue::Init || a.kind == EValue::Transform) &&
        a.str != b.str)
      return false;
    if (a.kind == EValue::Function && a.fn != b.fn)
      return false;
    if (a.elts.size() != b.elts.size())
      return false;
    for (size_t i = 0; i < a.elts.size(); ++i)
      if (!sameValue(a.elts[i], b.elts[i]))
        return false;
    return true;
  }
  return false;
}

EValue undefined(std::string why) {
  EValue v;
  v.kind = EValue::Undefined;
  v.str = std::move(why);
  return v;
}

/// A leaf of a merged or loop-carried value: the position of its tensor in
/// the op's results (a null tensor with the index in `i`).
EValue leaf(size_t index, bool weak) {
  EValue v = EValue::ofTensor(nullptr);
  v.i = (int64_t)index;
  v.weak = weak;
  return v;
}

/// Replaces the leaves of `tmpl` by `values`.
EValue fillLeaves(const EValue &tmpl, mlir::ValueRange values) {
  if (tmpl.kind == EValue::Tensor && !tmpl.tensor) {
    EValue v = EValue::ofTensor(values[tmpl.i]);
    v.weak = tmpl.weak;
    return v;
  }
  if (tmpl.kind == EValue::Tuple) {
    std::vector<EValue> elts;
    for (auto &e : tmpl.elts)
      elts.push_back(fillLeaves(e, values));
    return EValue::ofTuple(std::move(elts));
  }
  return tmpl;
}

/// `v` with each tensor replaced by its type (in `dtype`), to outlive the
/// ops of an abandoned attempt.
EValue skeleton(const EValue &v) {
  if (v.kind == EValue::Tuple) {
    std::vector<EValue> elts;
    for (auto &e : v.elts)
      elts.push_back(skeleton(e));
    return EValue::ofTuple(std::move(elts));
  }
  if (v.kind != EValue::Tensor)
    return v;
  EValue t = EValue::ofTensor(nullptr);
  t.dtype = v.tensor.getType();
  t.weak = v.weak;
  return t;
}

/// The types of the tensors in `v` (and whether they are weak), for the
/// key of what a loop learnt: values that are not tensors stay what they
/// are in a loop, so their kind is enough.
void typeSignature(const EValue &v, std::string &out) {
  if (v.kind == EValue::Tuple) {
    out += '(';
    for (auto &e : v.elts) {
      typeSignature(e, out);
      out += ',';
    }
    out += ')';
    return;
  }
  if (v.kind == EValue::Tensor) {
    out += typeName(v.tensor ? v.tensor.getType() : v.dtype);
    out += v.weak ? "~" : "";
    return;
  }
  out += '#' + std::to_string((int)v.kind);
}

/// The element type a weak literal takes by default.
Type defaultDtype(mlir::MLIRContext *ctx, const EValue &v) {
  mlir::Builder b(ctx);
  if (v.kind == EValue::Float)
    return b.getF32Type();
  if (v.kind == EValue::Int)
    return b.getI64Type();
  return b.getI1Type();
}

/// The statement's names in a stable order (the order of op results).
std::vector<std::string> sortedKeys(const llvm::StringMap<EValue> &a,
                                    const llvm::StringMap<EValue> &b) {
  std::vector<std::string> names;
  for (auto &e : a)
    names.push_back(e.getKey().str());
  for (auto &e : b)
    if (!a.count(e.getKey()))
      names.push_back(e.getKey().str());
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

//===----------------------------------------------------------------------===//
// Conditions
//===----------------------------------------------------------------------===//

FailureOr<EValue> FunctionEmitter::truth(const EValue &v, SMLoc l,
                                         StringRef what) {
  switch (v.kind) {
  case EValue::Bool:
  case EValue::Int:
  case EValue::Float:
    return EValue::ofBool(v.asDouble() != 0);
  case EValue::None:
    return EValue::ofBool(false);
  case EValue::Tuple:
    return EValue::ofBool(!v.elts.empty());
  case EValue::Tensor: {
    RankedTensorType type = v.tensorType();
    if (type.getRank() != 0)
      return fail(l, what + " must be a scalar, got " + typeName(type) +
                         " (reduce it with any() or all(), or compare "
                         "elements one by one)");
    if (type.getElementType().isInteger(1))
      return v;
    auto boolType = RankedTensorType::get({}, b.getI1Type());
    return EValue::ofTensor(CastOp::create(b, loc(l), boolType, v.tensor));
  }
  default:
    return fail(l, what + " cannot be " + describe(v));
  }
}

mlir::Value FunctionEmitter::notTensor(mlir::Value t, SMLoc l) {
  return NotOp::create(b, loc(l), t);
}

//===----------------------------------------------------------------------===//
// Blocks and branches
//===----------------------------------------------------------------------===//

FailureOr<bool> FunctionEmitter::guard(ArrayRef<const char *> flags, SMLoc l,
                                       EmitFn rest) {
  for (const char *flag : flags) {
    auto it = scope.find(flag);
    if (it == scope.end() || it->second.kind != EValue::Tensor)
      continue;
    // In each branch the flag is then known, so that merges stay precise.
    if (failed(emitBranches(
            notTensor(it->second.tensor, l),
            [&] {
              scope[flag] = EValue::ofBool(false);
              return rest();
            },
            [&] {
              scope[flag] = EValue::ofBool(true);
              return mlir::success();
            },
            l)))
      return mlir::failure();
    return true;
  }
  return false;
}

mlir::LogicalResult FunctionEmitter::emitBlock(ArrayRef<StmtPtr> body) {
  for (size_t i = 0; i < body.size(); ++i) {
    const Stmt &s = *body[i];
    // A flag set on some run-time paths: the rest runs where it is clear.
    ArrayRef<StmtPtr> rest = body.drop_front(i);
    auto g = guard({kReturned, kBroken, kContinued}, s.loc,
                   [&] { return emitBlock(rest); });
    if (failed(g))
      return mlir::failure();
    if (*g)
      return mlir::success();
    // Code right after a return, break or continue is a mistake; code that
    // a compile-time condition skips (a base case of a compile-time
    // recursion, say) is simply not emitted.
    if (i > 0) {
      StmtKind prev = body[i - 1]->kind;
      if (prev == StmtKind::Return || prev == StmtKind::Break ||
          prev == StmtKind::Continue)
        return m.fail(s.loc, std::string("code after '") +
                                 (prev == StmtKind::Return  ? "return"
                                  : prev == StmtKind::Break ? "break"
                                                            : "continue") +
                                 "' is unreachable");
    }
    for (const char *flag : {kReturned, kBroken, kContinued}) {
      auto it = scope.find(flag);
      if (it != scope.end() && it->second.kind == EValue::Bool && it->second.b)
        return mlir::success();
    }
    if (failed(emitStmt(s)))
      return mlir::failure();
  }
  return mlir::success();
}

/// The yields of the two branches of an scf.if under construction.
struct MergeState {
  mlir::Value cond; // the if's condition (0-d bool), defined before it
  mlir::Block *thenBlock, *elseBlock;
  llvm::SmallVector<mlir::Value> thenYields, elseYields;
  std::string onlyOneBranch; // why a name set on one branch is undefined
};

mlir::LogicalResult FunctionEmitter::emitBranches(mlir::Value cond,
                                                  EmitFn emitThen,
                                                  EmitFn emitElse, SMLoc l) {
  // Every run-time if, and every statement after a run-time return, break
  // or continue, nests one level: bound it rather than the stack.
  if (m.branchNesting >= kMaxBranchDepth)
    return m.fail(l, "control flow nests more than " +
                         std::to_string(kMaxBranchDepth) +
                         " levels deep (counting the statements that follow "
                         "a conditional return, break or continue); split "
                         "this function");
  struct Nest {
    unsigned &d;
    Nest(unsigned &d) : d(d) { ++d; }
    ~Nest() { --d; }
  } nest(m.branchNesting);
  mlir::Location location = loc(l);
  mlir::Value c =
      mlir::tensor::ExtractOp::create(b, location, cond, mlir::ValueRange{});
  // The branches are emitted into a result-less if; the final one, with
  // the merged results, takes over its blocks.
  auto draft = mlir::scf::IfOp::create(b, location, mlir::TypeRange{}, c,
                                       /*addThenBlock=*/true,
                                       /*addElseBlock=*/true);
  for (mlir::Region *r : {&draft.getThenRegion(), &draft.getElseRegion()})
    if (!r->front().empty())
      r->front().back().erase();
  mlir::OpBuilder::InsertPoint after = b.saveInsertionPoint();

  llvm::StringMap<EValue> before = scope;
  b.setInsertionPointToEnd(&draft.getThenRegion().front());
  if (failed(emitThen()))
    return mlir::failure();
  llvm::StringMap<EValue> thenScope = std::move(scope);
  scope = before;
  b.setInsertionPointToEnd(&draft.getElseRegion().front());
  if (failed(emitElse()))
    return mlir::failure();
  llvm::StringMap<EValue> elseScope = std::move(scope);

  MergeState st{cond,
                &draft.getThenRegion().front(),
                &draft.getElseRegion().front(),
                {},
                {},
                "it is only assigned on some paths through the 'if' at line " +
                    std::to_string(m.lineOf(l))};
  llvm::StringMap<EValue> merged;
  for (const std::string &name : sortedKeys(thenScope, elseScope)) {
    auto ti = thenScope.find(name), ei = elseScope.find(name);
    EValue t = ti != thenScope.end() ? ti->second : undefined(st.onlyOneBranch);
    EValue e = ei != elseScope.end() ? ei->second : undefined(st.onlyOneBranch);
    auto v = mergeValues(name, t, e, st, l);
    if (failed(v))
      return mlir::failure();
    merged[name] = *v;
  }
  b.setInsertionPointToEnd(st.thenBlock);
  mlir::scf::YieldOp::create(b, location, st.thenYields);
  b.setInsertionPointToEnd(st.elseBlock);
  mlir::scf::YieldOp::create(b, location, st.elseYields);

  b.setInsertionPoint(draft);
  llvm::SmallVector<Type> types;
  for (mlir::Value v : st.thenYields)
    types.push_back(v.getType());
  auto op = mlir::scf::IfOp::create(b, location, types, c,
                                    /*addThenBlock=*/false,
                                    /*addElseBlock=*/false);
  op.getThenRegion().takeBody(draft.getThenRegion());
  op.getElseRegion().takeBody(draft.getElseRegion());
  draft.erase();
  b.restoreInsertionPoint(after);
  scope.clear();
  for (auto &entry : merged)
    scope[entry.getKey()] = fillLeaves(entry.getValue(), op.getResults());
  return mlir::success();
}

/// Describes a name in merge errors.
static std::string subject(StringRef name) {
  if (name == FunctionEmitter::kResult)
    return "the returned value";
  if (name.starts_with("%"))
    return "the value of this expression";
  return "variable '" + name.str() + "'";
}

mlir::Value FunctionEmitter::zerosOf(RankedTensorType type, SMLoc l) {
  return constantTensor(type, 0, l).tensor;
}

FailureOr<EValue> FunctionEmitter::mergeValues(StringRef name, const EValue &t,
                                               const EValue &e, MergeState &st,
                                               SMLoc l) {
  FunctionEmitter &fe = *this;
  if (sameValue(t, e))
    return t;
  auto inBlock = [&](mlir::Block *block, auto fn) {
    mlir::OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(block);
    return fn();
  };
  auto addLeaf = [&](mlir::Value tv, mlir::Value ev, bool weak) {
    st.thenYields.push_back(tv);
    st.elseYields.push_back(ev);
    return leaf(st.thenYields.size() - 1, weak);
  };

  // A value returned on one path only: the other path yields zeros, which
  // are never read (its kReturned flag is false).
  bool tUndef = t.kind == EValue::Undefined,
       eUndef = e.kind == EValue::Undefined;
  if (tUndef || eUndef) {
    if (name != FunctionEmitter::kResult)
      return tUndef ? t : e;
    const EValue &def = tUndef ? e : t;
    mlir::Block *defBlock = tUndef ? st.elseBlock : st.thenBlock;
    mlir::Block *zeroBlock = tUndef ? st.thenBlock : st.elseBlock;
    std::function<FailureOr<EValue>(const EValue &)> withZeros =
        [&](const EValue &v) -> FailureOr<EValue> {
      if (v.kind == EValue::Tuple) {
        std::vector<EValue> elts;
        for (auto &x : v.elts) {
          auto r = withZeros(x);
          if (failed(r))
            return mlir::failure();
          elts.push_back(*r);
        }
        return EValue::ofTuple(std::move(elts));
      }
      if (v.kind == EValue::None || v.kind == EValue::String)
        return v;
      mlir::Value tensor;
      bool weak = v.isScalarConst();
      if (v.kind == EValue::Tensor) {
        tensor = v.tensor;
        weak = v.weak;
      } else if (weak) {
        auto mat = inBlock(defBlock, [&] {
          return fe.materialize(v, defaultDtype(&m.ctx, v), l);
        });
        if (failed(mat))
          return mlir::failure();
        tensor = mat->tensor;
      } else {
        return m.fail(l, "returning " + describe(v) +
                             " on only some paths is not supported yet");
      }
      auto type = mlir::cast<RankedTensorType>(tensor.getType());
      mlir::Value zeros =
          inBlock(zeroBlock, [&] { return fe.zerosOf(type, l); });
      return tUndef ? addLeaf(zeros, tensor, weak)
                    : addLeaf(tensor, zeros, weak);
    };
    return withZeros(def);
  }

  if (t.kind == EValue::Tuple && e.kind == EValue::Tuple &&
      t.elts.size() == e.elts.size()) {
    std::vector<EValue> elts;
    for (size_t i = 0; i < t.elts.size(); ++i) {
      auto r = mergeValues(name, t.elts[i], e.elts[i], st, l);
      if (failed(r))
        return mlir::failure();
      elts.push_back(*r);
    }
    return EValue::ofTuple(std::move(elts));
  }

  // Two functions (or Cells or primitives, called like functions): a choice
  // made at run time, resolved at each call by a run-time if over the
  // alternatives (defunctionalisation). Values they captured must exist
  // before the if.
  auto isFn = [](const EValue &v) {
    return v.kind == EValue::Function || v.kind == EValue::Choice ||
           v.kind == EValue::Object || v.kind == EValue::Primitive ||
           v.kind == EValue::Transform;
  };
  if (isFn(t) && isFn(e)) {
    std::function<bool(const EValue &)> outside = [&](const EValue &v) -> bool {
      if (v.kind == EValue::Tensor) {
        mlir::Region *r = mlir::Value(v.tensor).getParentRegion();
        return !st.thenBlock->getParent()->isAncestor(r) &&
               !st.elseBlock->getParent()->isAncestor(r);
      }
      return llvm::all_of(v.elts, outside);
    };
    if (!outside(t) || !outside(e))
      return m.fail(l, subject(name) +
                           " is a closure over values computed inside a "
                           "branch of this 'if'; choosing such a closure at "
                           "run time is not supported yet");
    EValue choice;
    choice.kind = EValue::Choice;
    choice.elts = {EValue::ofTensor(st.cond), t, e};
    return choice;
  }
  auto mismatch = [&]() -> mlir::LogicalResult {
    auto text = [](const EValue &v) {
      return v.kind == EValue::Tensor ? typeName(v.tensor.getType())
                                      : describe(v);
    };
    return m.fail(l, subject(name) + " is " + text(t) + " on one branch and " +
                         text(e) +
                         " on the other; both branches must leave it with "
                         "the same type");
  };

  // Literals take the other side's dtype (a 0-d tensor), or their own
  // promoted dtype when both are literals.
  if (t.isScalarConst() && e.isScalarConst()) {
    Type dtype = b.getI1Type();
    if (t.kind == EValue::Float || e.kind == EValue::Float)
      dtype = b.getF32Type();
    else if (t.kind == EValue::Int || e.kind == EValue::Int)
      dtype = b.getI64Type();
    auto tv =
        inBlock(st.thenBlock, [&] { return fe.materialize(t, dtype, l); });
    auto ev =
        inBlock(st.elseBlock, [&] { return fe.materialize(e, dtype, l); });
    if (failed(tv) || failed(ev))
      return mlir::failure();
    return addLeaf(tv->tensor, ev->tensor, /*weak=*/true);
  }
  if (t.kind == EValue::Tensor && e.kind == EValue::Tensor) {
    mlir::Value tv = t.tensor, ev = e.tensor;
    if (tv.getType() != ev.getType()) {
      // A weak tensor (from a literal) converts to the other's dtype.
      auto tt = t.tensorType(), et = e.tensorType();
      if (tt.getShape() != et.getShape() || (!t.weak && !e.weak) ||
          (t.weak && e.weak))
        return mismatch();
      if (t.weak)
        tv = inBlock(st.thenBlock, [&] {
          return (mlir::Value)CastOp::create(b, fe.loc(l), et, tv);
        });
      else
        ev = inBlock(st.elseBlock, [&] {
          return (mlir::Value)CastOp::create(b, fe.loc(l), tt, ev);
        });
    }
    return addLeaf(tv, ev, t.weak && e.weak);
  }
  if ((t.isScalarConst() && e.kind == EValue::Tensor) ||
      (e.isScalarConst() && t.kind == EValue::Tensor)) {
    const EValue &c = t.isScalarConst() ? t : e;
    const EValue &x = t.isScalarConst() ? e : t;
    if (x.tensorType().getRank() != 0)
      return mismatch();
    auto mat = inBlock(t.isScalarConst() ? st.thenBlock : st.elseBlock, [&] {
      return fe.materialize(c, x.tensorType().getElementType(), l);
    });
    if (failed(mat))
      return mlir::failure();
    return t.isScalarConst() ? addLeaf(mat->tensor, x.tensor, x.weak)
                             : addLeaf(x.tensor, mat->tensor, x.weak);
  }
  return mismatch();
}

//===----------------------------------------------------------------------===//
// if, conditional expressions, and/or
//===----------------------------------------------------------------------===//

mlir::LogicalResult FunctionEmitter::emitIf(const Stmt &s) {
  auto c = emitExpr(*s.value);
  if (failed(c))
    return mlir::failure();
  auto cond = truth(*c, s.value->loc, "the condition of 'if'");
  if (failed(cond))
    return mlir::failure();
  if (cond->kind == EValue::Bool) // known at compile time: folds away
    return emitBlock(cond->b ? s.body : s.orelse);
  return emitBranches(
      cond->tensor, [&] { return emitBlock(s.body); },
      [&] { return emitBlock(s.orelse); }, s.loc);
}

FailureOr<EValue> FunctionEmitter::emitIfExp(const Expr &e) {
  auto c = emitExpr(*e.cond);
  if (failed(c))
    return mlir::failure();
  auto cond = truth(*c, e.cond->loc,
                    "the condition of a conditional "
                    "expression");
  if (failed(cond))
    return mlir::failure();
  if (cond->kind == EValue::Bool)
    return emitExpr(cond->b ? *e.lhs : *e.rhs);
  static constexpr const char *kValue = "%value";
  auto branch = [&](const Expr &x) {
    return [&]() -> mlir::LogicalResult {
      auto v = emitExpr(x);
      if (failed(v))
        return mlir::failure();
      scope[kValue] = *v;
      return mlir::success();
    };
  };
  if (failed(emitBranches(cond->tensor, branch(*e.lhs), branch(*e.rhs), e.loc)))
    return mlir::failure();
  EValue v = scope[kValue];
  scope.erase(kValue);
  return v;
}

FailureOr<EValue> FunctionEmitter::emitBoolOp(const Expr &e) {
  // Python's `and`/`or` on compile-time values give the deciding operand;
  // with a run-time operand the result is a bool, computed without short
  // circuit (operands have no side effects).
  bool isAnd = e.name == "and";
  mlir::Value acc;
  std::optional<EValue> last;
  for (auto &elt : e.elts) {
    auto v = emitExpr(*elt);
    if (failed(v))
      return mlir::failure();
    if (v->kind != EValue::Tensor) {
      auto t = truth(*v, elt->loc, "an operand of '" + e.name + "'");
      if (failed(t))
        return mlir::failure();
      if (t->b != isAnd) // decides the result
        return acc ? EValue::ofBool(!isAnd) : *v;
      last = *v;
      continue;
    }
    auto t = truth(*v, elt->loc, "an operand of '" + e.name + "'");
    if (failed(t))
      return mlir::failure();
    acc = !acc ? t->tensor
               : (isAnd ? (mlir::Value)AndOp::create(
                              b, loc(e.loc), acc.getType(), acc, t->tensor)
                        : (mlir::Value)OrOp::create(
                              b, loc(e.loc), acc.getType(), acc, t->tensor));
  }
  if (acc)
    return EValue::ofTensor(acc);
  return *last;
}

//===----------------------------------------------------------------------===//
// Loops
//===----------------------------------------------------------------------===//

namespace {

/// What a loop carries from one iteration to the next: the names assigned
/// in its body that exist before it, its control flags, and for loops that
/// may return, the returned value.
struct LoopPlan {
  std::vector<std::string> names;
  /// Element types for literals, learnt from an earlier attempt.
  llvm::StringMap<Type> dtypes;
  /// The shape of the returned value (its tensor leaves), once known.
  std::optional<EValue> result;
  bool flags = false;   // an scf.while (it may exit early)
  bool breaks = false;  // carries kBroken
  bool returns = false; // carries kReturned and kResult
};

/// The carried values of one attempt: leaves and how names rebuild.
struct Carried {
  llvm::SmallVector<mlir::Value> inits;
  llvm::StringMap<EValue> templates; // name -> template with leaf indices
};

} // namespace

/// Emits the loop described by `s` (a `for` over a range or a `while`).
/// Attempts are repeated when a literal must take a later dtype or a
/// return inside the loop reveals the returned value's type.
mlir::LogicalResult FunctionEmitter::emitRangeLoop(const Stmt &s,
                                                   const EValue &start,
                                                   const EValue &stop,
                                                   const EValue &step) {
  return emitLoop(&s, &start, &stop, &step);
}

mlir::LogicalResult FunctionEmitter::emitWhile(const Stmt &s) {
  if (!s.orelse.empty())
    return m.fail(s.loc, "'else' on a loop is not supported");
  return emitLoop(&s, nullptr, nullptr, nullptr);
}

mlir::LogicalResult FunctionEmitter::emitLoop(const Stmt *s,
                                              const EValue *start,
                                              const EValue *stop,
                                              const EValue *step) {
  bool isWhile = s->kind == StmtKind::While;
  SMLoc l = s->loc;
  mlir::Location location = loc(l);
  auto i64 = RankedTensorType::get({}, b.getI64Type());
  auto i1 = RankedTensorType::get({}, b.getI1Type());

  LoopPlan plan;
  plan.breaks = contains(s->body, StmtKind::Break, false);
  plan.returns = contains(s->body, StmtKind::Return, true);
  plan.flags = isWhile || plan.breaks || plan.returns;
  llvm::StringSet<> assigned;
  collectAssigned(s->body, assigned);
  if (!isWhile)
    for (auto &t : s->targets)
      collectTargetNames(*t, assigned);
  for (auto &entry : assigned) {
    auto it = scope.find(entry.getKey());
    if (it != scope.end() && it->second.kind != EValue::Undefined)
      plan.names.push_back(entry.getKey().str());
  }
  std::sort(plan.names.begin(), plan.names.end());
  std::string loopWord = isWhile ? "'while'" : "'for'";
  std::string onlyInside = "it is only assigned inside the " + loopWord +
                           " loop at line " + std::to_string(m.lineOf(l)) +
                           ", which may run zero times";

  // Values of the enclosing scope that the loop leaves alone.
  llvm::StringMap<EValue> outer = scope;

  // Start from what an earlier emission of this loop, with the same types
  // entering it, learnt (an enclosing loop's earlier attempt). Attempts
  // still check what they assume, so a hint can only save work.
  std::string signature;
  for (const std::string &name : plan.names) {
    signature += name + ':';
    typeSignature(outer.lookup(name), signature);
    signature += ';';
  }
  for (const char *flag : {kReturned, kResult})
    typeSignature(outer.lookup(flag), signature);
  auto learntKey = std::make_pair(s, signature);
  if (auto it = loopLearnt.find(learntKey); it != loopLearnt.end()) {
    for (auto &entry : it->second.dtypes)
      plan.dtypes[entry.getKey()] = entry.getValue();
    plan.result = it->second.result;
  }

  for (int attempt = 0; attempt < 8; ++attempt) {
    mlir::OpBuilder::InsertPoint ip = b.saveInsertionPoint();
    Carried c;
    // Leaves of a value entering the loop; literals become tensors of their
    // learnt (or default) dtype and are weak.
    std::function<FailureOr<EValue>(const EValue &, const std::string &)>
        carry =
            [&](const EValue &v, const std::string &path) -> FailureOr<EValue> {
      if (v.kind == EValue::Tuple) {
        std::vector<EValue> elts;
        for (size_t i = 0; i < v.elts.size(); ++i) {
          auto r = carry(v.elts[i], path + "." + std::to_string(i));
          if (failed(r))
            return mlir::failure();
          elts.push_back(*r);
        }
        return EValue::ofTuple(std::move(elts));
      }
      mlir::Value t;
      bool weak = false;
      if (v.kind == EValue::Tensor) {
        t = v.tensor;
        weak = v.weak;
        auto d = plan.dtypes.find(path);
        if (d != plan.dtypes.end() && weak &&
            v.tensorType().getElementType() != d->second)
          t = CastOp::create(
              b, location,
              RankedTensorType::get(v.tensorType().getShape(), d->second), t);
      } else if (v.isScalarConst()) {
        auto d = plan.dtypes.find(path);
        auto mat = materialize(
            v, d != plan.dtypes.end() ? d->second : defaultDtype(&m.ctx, v), l);
        if (failed(mat))
          return mlir::failure();
        t = mat->tensor;
        weak = true;
      } else {
        return v; // invariant: functions, dtypes, strings, None
      }
      c.inits.push_back(t);
      return leaf(c.inits.size() - 1, weak);
    };
    for (const std::string &name : plan.names) {
      auto r = carry(outer.lookup(name), name);
      if (failed(r))
        return mlir::failure();
      c.templates[name] = *r;
    }
    if (plan.breaks)
      c.templates[kBroken] = carry(EValue::ofBool(false), kBroken).value();
    if (plan.returns) {
      EValue returned = outer.lookup(kReturned);
      c.templates[kReturned] = carry(returned, kReturned).value();
      if (plan.result) {
        std::function<EValue(const EValue &)> zerosLike =
            [&](const EValue &v) -> EValue {
          if (v.kind == EValue::Tuple) {
            std::vector<EValue> elts;
            for (auto &x : v.elts)
              elts.push_back(zerosLike(x));
            return EValue::ofTuple(std::move(elts));
          }
          if (v.kind != EValue::Tensor)
            return v;
          EValue z = EValue::ofTensor(
              zerosOf(mlir::cast<RankedTensorType>(v.dtype), l));
          z.weak = v.weak;
          return z;
        };
        EValue prior = outer.lookup(kResult);
        EValue init =
            prior.kind == EValue::Undefined || prior.kind == EValue::None
                ? zerosLike(*plan.result)
                : prior;
        auto r = carry(init, kResult);
        if (failed(r))
          return mlir::failure();
        c.templates[kResult] = *r;
      }
    }
    // A range loop that can exit early carries its index.
    if (!isWhile && plan.flags) {
      auto first = toTensor(*start, l);
      if (failed(first))
        return mlir::failure();
      c.templates["%index"] = leaf(c.inits.size(), false);
      c.inits.push_back(first->tensor);
    }

    llvm::SmallVector<Type> types;
    for (mlir::Value v : c.inits)
      types.push_back(v.getType());
    auto rebind = [&](mlir::ValueRange args) {
      scope = outer;
      for (auto &entry : c.templates)
        scope[entry.getKey()] = fillLeaves(entry.getValue(), args);
    };

    mlir::Operation *loopOp = nullptr;
    mlir::Block *body = nullptr;
    mlir::Value index; // the loop variable's value in the body
    if (plan.flags) {
      auto whileOp = mlir::scf::WhileOp::create(b, location, types, c.inits,
                                                nullptr, nullptr);
      loopOp = whileOp;
      llvm::SmallVector<mlir::Location> locs(types.size(), location);
      // The builder may or may not have created the blocks.
      auto blockOf = [&](mlir::Region &r) {
        if (r.empty())
          return b.createBlock(&r, {}, types, locs);
        b.setInsertionPointToEnd(&r.front());
        return &r.front();
      };
      mlir::Block *before = blockOf(whileOp.getBefore());
      rebind(before->getArguments());
      // Continue while the user's condition (or the index's bound) holds,
      // nothing broke and nothing returned.
      mlir::Value go;
      if (isWhile) {
        auto cv = emitExpr(*s->value);
        if (failed(cv))
          return mlir::failure();
        auto ct = truth(*cv, s->value->loc, "the condition of 'while'");
        if (failed(ct))
          return mlir::failure();
        if (ct->kind == EValue::Bool)
          go = constantTensor(i1, ct->b, l).tensor;
        else
          go = ct->tensor;
      } else {
        mlir::Value i = scope["%index"].tensor;
        auto lim = toTensor(*stop, l);
        auto st = toTensor(*step, l);
        if (failed(lim) || failed(st))
          return mlir::failure();
        mlir::Value up = CompareOp::create(b, location, ComparePredicate::lt, i,
                                           lim->tensor);
        mlir::Value down = CompareOp::create(b, location, ComparePredicate::gt,
                                             i, lim->tensor);
        if (step->kind == EValue::Int) {
          go = step->i > 0 ? up : down;
        } else {
          mlir::Value zero = constantTensor(i64, 0, l).tensor;
          mlir::Value positive = CompareOp::create(
              b, location, ComparePredicate::gt, st->tensor, zero);
          go = SelectOp::create(b, location, positive, up, down);
        }
      }
      for (const char *flag : {kBroken, kReturned}) {
        if (!c.templates.count(flag))
          continue;
        const EValue &f = scope[flag];
        if (f.kind == EValue::Tensor)
          go = AndOp::create(b, location, go.getType(), go,
                             notTensor(f.tensor, l));
        else if (f.b)
          go = constantTensor(i1, 0, l).tensor;
      }
      mlir::Value goScalar =
          mlir::tensor::ExtractOp::create(b, location, go, mlir::ValueRange{});
      mlir::scf::ConditionOp::create(b, location, goScalar,
                                     before->getArguments());
      body = blockOf(whileOp.getAfter());
      rebind(body->getArguments());
      if (!isWhile)
        index = scope["%index"].tensor;
      // The condition held: in the body no flag is set yet.
      if (plan.breaks)
        scope[kBroken] = EValue::ofBool(false);
      if (plan.returns)
        scope[kReturned] = EValue::ofBool(false);
    } else {
      // for i in range(start, stop, step) as scf.for over the trip count.
      mlir::Type idx = b.getIndexType();
      auto scalar = [&](const EValue &v) -> mlir::Value {
        if (v.kind == EValue::Int)
          return mlir::arith::ConstantOp::create(b, location,
                                                 b.getI64IntegerAttr(v.i));
        return mlir::tensor::ExtractOp::create(b, location, v.tensor,
                                               mlir::ValueRange{});
      };
      mlir::Value first = scalar(*start), last = scalar(*stop),
                  stride = scalar(*step);
      mlir::Value trips;
      if (start->kind == EValue::Int && stop->kind == EValue::Int &&
          step->kind == EValue::Int) {
        int64_t d = stop->i - start->i, st = step->i;
        int64_t n = st > 0 ? (d + st - 1) / st : (d + st + 1) / st;
        if (d == 0 || (d > 0) != (st > 0))
          n = 0;
        trips = mlir::arith::ConstantOp::create(b, location,
                                                b.getI64IntegerAttr(n));
      } else {
        // max(ceil((stop - start) / step), 0); a zero step runs no
        // iterations (run-time checks that fail the call come later).
        mlir::Value zero = mlir::arith::ConstantOp::create(
            b, location, b.getI64IntegerAttr(0));
        mlir::Value one = mlir::arith::ConstantOp::create(
            b, location, b.getI64IntegerAttr(1));
        mlir::Value isZero = mlir::arith::CmpIOp::create(
            b, location, mlir::arith::CmpIPredicate::eq, stride, zero);
        mlir::Value divisor =
            mlir::arith::SelectOp::create(b, location, isZero, one, stride);
        mlir::Value d = mlir::arith::SubIOp::create(b, location, last, first);
        mlir::Value n =
            mlir::arith::CeilDivSIOp::create(b, location, d, divisor);
        n = mlir::arith::MaxSIOp::create(b, location, n, zero);
        trips = mlir::arith::SelectOp::create(b, location, isZero, zero, n);
      }
      mlir::Value ub =
          mlir::arith::IndexCastOp::create(b, location, idx, trips);
      mlir::Value lb = mlir::arith::ConstantIndexOp::create(b, location, 0);
      mlir::Value one = mlir::arith::ConstantIndexOp::create(b, location, 1);
      auto forOp = mlir::scf::ForOp::create(b, location, lb, ub, one, c.inits);
      loopOp = forOp;
      body = forOp.getBody();
      if (!body->empty())
        body->back().erase();
      b.setInsertionPointToEnd(body);
      rebind(forOp.getRegionIterArgs());
      mlir::Value j = mlir::arith::IndexCastOp::create(
          b, location, b.getI64Type(), forOp.getInductionVar());
      mlir::Value i = mlir::arith::AddIOp::create(
          b, location, first,
          mlir::arith::MulIOp::create(b, location, j, stride));
      index = mlir::tensor::FromElementsOp::create(b, location, i64,
                                                   mlir::ValueRange{i});
    }

    // The body of one iteration.
    scope[kContinued] = EValue::ofBool(false);
    if (!isWhile && failed(bind(*s->targets[0], EValue::ofTensor(index))))
      return mlir::failure();
    ++loopDepth;
    mlir::LogicalResult emitted = emitBlock(s->body);
    --loopDepth;
    if (failed(emitted))
      return mlir::failure();

    // What the iteration yields, conformed to what entered the loop.
    bool retry = false;
    llvm::SmallVector<mlir::Value> yields;
    std::function<mlir::LogicalResult(const EValue &, const EValue &,
                                      const std::string &, StringRef)>
        conform = [&](const EValue &tmpl, const EValue &now,
                      const std::string &path,
                      StringRef name) -> mlir::LogicalResult {
      if (tmpl.kind == EValue::Tuple) {
        if (now.kind != EValue::Tuple || now.elts.size() != tmpl.elts.size())
          return m.fail(l, subject(name) + " changes from " + describe(tmpl) +
                               " to " + describe(now) +
                               " in an iteration of this loop");
        for (size_t i = 0; i < tmpl.elts.size(); ++i)
          if (failed(conform(tmpl.elts[i], now.elts[i],
                             path + "." + std::to_string(i), name)))
            return mlir::failure();
        return mlir::success();
      }
      if (!(tmpl.kind == EValue::Tensor && !tmpl.tensor)) {
        if (!sameValue(tmpl, now))
          return m.fail(l, subject(name) +
                               " cannot be rebound inside a "
                               "loop (it holds " +
                               describe(tmpl) + ")");
        return mlir::success();
      }
      Type want = types[tmpl.i];
      auto wantType = mlir::cast<RankedTensorType>(want);
      if (now.kind == EValue::Undefined)
        return m.fail(l, subject(name) +
                             " may be left unset by an "
                             "iteration of this loop: " +
                             now.str);
      if (now.isScalarConst()) {
        if (wantType.getRank() != 0)
          return m.fail(l, subject(name) + " is " + typeName(want) +
                               " before the loop but " + describe(now) +
                               " after an iteration");
        auto mat = materialize(now, wantType.getElementType(), l);
        if (failed(mat))
          return mlir::failure();
        yields.push_back(mat->tensor);
        return mlir::success();
      }
      if (now.kind != EValue::Tensor)
        return m.fail(l, subject(name) + " is " + typeName(want) +
                             " before the loop but " + describe(now) +
                             " after an iteration");
      Type got = now.tensor.getType();
      if (got == want) {
        yields.push_back(now.tensor);
        return mlir::success();
      }
      auto gotType = now.tensorType();
      if (gotType.getShape() == wantType.getShape()) {
        if (tmpl.weak && !now.weak) {
          // A literal before the loop takes the dtype the loop gives it.
          plan.dtypes[path] = gotType.getElementType();
          retry = true;
          yields.push_back(now.tensor);
          return mlir::success();
        }
        if (now.weak) {
          yields.push_back(CastOp::create(b, location, want, now.tensor));
          return mlir::success();
        }
      }
      return m.fail(l, subject(name) + " is " + typeName(want) +
                           " before the loop but " + typeName(got) +
                           " after an iteration; a loop-carried variable "
                           "must keep its type");
    };
    // The order of the yields is the order of c.inits: walk the names in
    // the order they were carried.
    std::vector<std::pair<std::string, EValue>> order;
    for (const std::string &name : plan.names)
      order.push_back({name, c.templates[name]});
    if (plan.breaks)
      order.push_back({kBroken, c.templates[kBroken]});
    if (plan.returns) {
      order.push_back({kReturned, c.templates[kReturned]});
      if (plan.result)
        order.push_back({kResult, c.templates[kResult]});
    }
    // A return inside the loop shows the returned value's shape: carry it
    // from the next attempt on.
    if (plan.returns && !plan.result) {
      EValue r = scope.lookup(kResult);
      if (r.kind != EValue::Undefined) {
        plan.result = skeleton(r);
        retry = true;
      }
    }
    for (auto &[name, tmpl] : order) {
      EValue now = scope.lookup(name);
      if (now.kind == EValue::Undefined && name == kResult)
        now = fillLeaves(tmpl, body->getArguments()); // not returned this time
      if (failed(conform(tmpl, now, name, name)))
        return mlir::failure();
    }
    if (!isWhile && plan.flags) {
      auto st = toTensor(*step, l);
      if (failed(st))
        return mlir::failure();
      mlir::Value next = AddOp::create(b, location, index, st->tensor);
      yields.push_back(next);
    }
    if (retry) {
      loopOp->erase();
      b.restoreInsertionPoint(ip);
      scope = outer;
      continue;
    }
    mlir::scf::YieldOp::create(b, location, yields);
    b.restoreInsertionPoint(ip);
    b.setInsertionPointAfter(loopOp);
    LoopLearnt &learnt = loopLearnt[learntKey];
    learnt.dtypes = plan.dtypes;
    learnt.result = plan.result;

    // After the loop: carried names take its results; names first assigned
    // inside it may be unset; break/continue belong to this loop only.
    scope = outer;
    for (auto &[name, tmpl] : order)
      scope[name] = fillLeaves(tmpl, loopOp->getResults());
    for (auto &entry : assigned)
      if (!llvm::is_contained(plan.names, entry.getKey().str()))
        scope[entry.getKey()] = undefined(onlyInside);
    for (const char *flag : {kBroken, kContinued}) {
      auto it = outer.find(flag);
      if (it != outer.end())
        scope[flag] = it->second;
      else
        scope.erase(flag);
    }
    return mlir::success();
  }
  return m.fail(l, "the types of the values carried by this loop do not "
                   "settle; annotate them");
}

mlir::LogicalResult FunctionEmitter::emitFor(const Stmt &s) {
  if (!s.orelse.empty())
    return m.fail(s.loc, "'else' on a loop is not supported");
  const Expr &it = *s.value;
  bool isRange = it.kind == ExprKind::Call && it.lhs->kind == ExprKind::Name &&
                 it.lhs->name == "range" && !scope.count("range") &&
                 !m.globals.count("range");
  if (isRange) {
    if (!it.keywords.empty())
      return m.fail(it.keywords[0].loc, "range() takes no keyword arguments");
    if (it.elts.empty() || it.elts.size() > 3)
      return m.fail(it.loc, "range() takes 1 to 3 arguments, got " +
                                std::to_string(it.elts.size()));
    std::vector<EValue> args;
    for (auto &a : it.elts) {
      auto v = emitExpr(*a);
      if (failed(v))
        return mlir::failure();
      if (v->kind == EValue::Bool)
        v = EValue::ofInt(v->b);
      if (v->kind == EValue::Tensor) {
        auto type = v->tensorType();
        if (type.getRank() != 0 ||
            !mlir::isa<mlir::IntegerType>(type.getElementType()))
          return m.fail(a->loc,
                        "range() needs integer scalars, got " + typeName(type));
        if (!type.getElementType().isInteger(64))
          v = EValue::ofTensor(CastOp::create(
              b, loc(a->loc), RankedTensorType::get({}, b.getI64Type()),
              v->tensor));
      } else if (v->kind != EValue::Int) {
        return m.fail(a->loc, "range() needs integers, got " + describe(*v));
      }
      args.push_back(*v);
    }
    EValue start = EValue::ofInt(0), stop, step = EValue::ofInt(1);
    if (args.size() == 1) {
      stop = args[0];
    } else {
      start = args[0];
      stop = args[1];
      if (args.size() == 3)
        step = args[2];
    }
    if (step.kind == EValue::Int && step.i == 0)
      return m.fail(it.elts[2]->loc, "range() step must not be zero");
    if (step.kind == EValue::Tensor) {
      // Known only at run time: checked then, as Python does.
      mlir::Location l = loc(it.elts[2]->loc);
      auto i64 = RankedTensorType::get({}, b.getI64Type());
      mlir::Value st = step.tensor;
      if (st.getType() != i64)
        st = CastOp::create(b, l, i64, st);
      mlir::Value zero = ConstantOp::create(
          b, l, mlir::DenseElementsAttr::get(i64, b.getI64IntegerAttr(0)));
      AssertOp::create(
          b, l, CompareOp::create(b, l, ComparePredicate::ne, st, zero),
          m.where(it.elts[2]->loc) + ": range() step must not be zero",
          mlir::ValueRange{}, /*precondition=*/true);
    }
    // While building Cells everything is known at compile time: the loop
    // runs there, like Python's (so that it can set attributes).
    if (constructing && start.kind == EValue::Int && stop.kind == EValue::Int &&
        step.kind == EValue::Int) {
      std::vector<EValue> items;
      for (int64_t i = start.i; step.i > 0 ? i < stop.i : i > stop.i;
           i += step.i) {
        if (items.size() == 100000)
          return m.fail(it.loc, "a compile-time loop in a Cell's __init__ "
                                "may run at most 100000 times");
        items.push_back(EValue::ofInt(i));
      }
      return emitUnrolled(s, items);
    }
    return emitRangeLoop(s, start, stop, step);
  }
  auto v = emitExpr(it);
  if (failed(v))
    return mlir::failure();
  if (v->kind == EValue::Tuple)
    return emitUnrolled(s, v->elts);
  return m.fail(it.loc, "a 'for' loop iterates over range(...) or a tuple, "
                        "not " +
                            describe(*v));
}

mlir::LogicalResult FunctionEmitter::emitUnrolled(const Stmt &s,
                                                  ArrayRef<EValue> items) {
  // One copy of the body per element; a run-time break or return puts the
  // remaining iterations under a run-time `if`, as in emitBlock.
  llvm::StringMap<EValue> saved;
  for (const char *flag : {kBroken, kContinued})
    if (scope.count(flag))
      saved[flag] = scope[flag];
  scope[kBroken] = EValue::ofBool(false);
  std::function<mlir::LogicalResult(size_t)> iterate =
      [&](size_t k) -> mlir::LogicalResult {
    for (; k < items.size(); ++k) {
      auto g = guard({kReturned, kBroken}, s.loc, [&] { return iterate(k); });
      if (failed(g))
        return mlir::failure();
      if (*g)
        return mlir::success();
      const EValue &returned = scope.lookup(kReturned);
      if ((returned.kind == EValue::Bool && returned.b) ||
          scope.lookup(kBroken).b)
        return mlir::success();
      scope[kContinued] = EValue::ofBool(false);
      if (failed(bind(*s.targets[0], items[k])))
        return mlir::failure();
      ++loopDepth;
      mlir::LogicalResult emitted = emitBlock(s.body);
      --loopDepth;
      if (failed(emitted))
        return mlir::failure();
    }
    return mlir::success();
  };
  if (failed(iterate(0)))
    return mlir::failure();
  for (const char *flag : {kBroken, kContinued}) {
    auto it = saved.find(flag);
    if (it != saved.end())
      scope[flag] = it->second;
    else
      scope.erase(flag);
  }
  return mlir::success();
}

} // namespace spore::frontend::detail
