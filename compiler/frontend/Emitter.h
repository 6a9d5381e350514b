//===- Emitter.h - the frontend's emitters --------------------------------===//
//
// Semantic analysis and IR emission share these classes: EValue (a value
// during emission: run-time tensor or compile-time constant, tuple, function
// or name), FunctionEmitter (expressions, primitives and statements of one
// function body) and ModuleEmitter (the module, its constants and the
// specialisations of its functions). Implemented across Emit*.cpp, one file
// per concern, and the primitives across Prim*.cpp, one file per family
// (Primitives.cpp holds their table).
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_FRONTEND_EMITTER_H
#define SPORE_FRONTEND_EMITTER_H

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Diagnostics.h"
#include "dialects/spore/SporeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spore::frontend::detail {

using namespace spore::frontend::ast;
using llvm::ArrayRef;
using llvm::SMLoc;
using llvm::StringRef;
using mlir::FailureOr;
using mlir::RankedTensorType;
using mlir::Type;

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
    Module,
    Undefined, // a name without a value on some path; `str` says why
    Choice,    // a function chosen at run time: elts = {condition (a 0-d
               // bool tensor), function if true, function if false}
    // Cells (language.md §6), all compile-time values:
    Class,     // a Cell class: `fn` its `class` statement, or null for a
               // built-in one named by `str` (Parameter, Sequential, Cell)
    Object,    // a Cell instance: `fn` its class (null for a Sequential),
               // `i` its identity, its attributes named by `captureNames`
               // with the values in `elts`
    Parameter, // a Parameter: `i` its identity, `dtype` its tensor type,
               // `str` its initialiser (const, uniform, normal) with the
               // Float arguments in `elts`, `b` true when it is not
               // trainable (a buffer: state, but not in `.parameters`)
    Init,      // an initialiser: `str` its kind, Float arguments in `elts`
    Transform, // a transformed function, named by `str`: for grad,
               // value_and_grad, jacrev, jacfwd and hessian elts = {f,
               // argnums (an Int, a Tuple of them, or None when wrt is
               // given), has_aux (a Bool), wrt (None, or the structure of
               // the Parameters with their state slots as Ints)}; for a
               // pullback (from vjp) elts = {f, the primals (a Tuple)}; for
               // a jvp's linear map elts = {f, primals, tangents}
  };
  Kind kind = None;
  mlir::Value tensor;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string str; // String contents, Primitive and Module names; for a
                   // Function, the name of its specialisations if not its
                   // own (a method: `MLP.__call__`)
  std::vector<EValue> elts;
  const Stmt *fn = nullptr; // Function (a `def`, or a lambda's desugaring)
  /// Function: the names of the values it captured where it was defined
  /// (by value, as language.md §4 says); the values are in `elts`.
  std::shared_ptr<const std::vector<std::string>> captureNames;
  Type dtype; // DType
  /// A tensor made from a literal by a merge or a loop: it converts to the
  /// dtype that the other branch or a later iteration gives it.
  bool weak = false;

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
  static EValue ofFunction(const Stmt *fn, std::vector<std::string> names = {},
                           std::vector<EValue> captures = {}) {
    EValue e;
    e.kind = Function;
    e.fn = fn;
    e.captureNames =
        std::make_shared<const std::vector<std::string>>(std::move(names));
    e.elts = std::move(captures);
    return e;
  }
  /// The same function with other values for its captures.
  EValue withCaptures(std::vector<EValue> captures) const {
    EValue e = *this;
    e.elts = std::move(captures);
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
  /// Whether the value was computed from literals only (JAX's weak types):
  /// it takes the dtype of the typed value it meets.
  bool isWeak() const {
    if (kind == Tuple)
      return llvm::all_of(elts, [](const EValue &e) { return e.isWeak(); });
    return isScalarConst() || (kind == Tensor && weak);
  }
  /// A weak value of a floating kind: a float literal, or a weak tensor
  /// with a floating dtype.
  bool isWeakFloat() const {
    return kind == Float ||
           (kind == Tensor && weak &&
            mlir::isa<mlir::FloatType>(tensorType().getElementType()));
  }
  /// The same value marked weak (or not).
  EValue withWeak(bool w) const {
    EValue e = *this;
    if (e.kind == Tensor)
      e.weak = w;
    for (EValue &x : e.elts)
      if (kind == Tuple)
        x = x.withWeak(w);
    return e;
  }
  bool isCompileTime() const {
    if (kind == Tuple)
      return llvm::all_of(elts,
                          [](const EValue &e) { return e.isCompileTime(); });
    return isScalarConst() || kind == None || kind == String || kind == DType;
  }
  /// Whether `elts` holds values that may be run-time ones: the elements
  /// of a tuple, a function's captures, the alternatives of a choice, the
  /// function a transform applies to. (A Cell's attributes are
  /// compile-time values.)
  bool carriesValues() const {
    return kind == Tuple || kind == Function || kind == Choice ||
           kind == Transform;
  }
  /// Whether `v` holds a run-time tensor (in a tuple or a capture).
  bool holdsTensor() const {
    if (kind == Tensor)
      return true;
    if (carriesValues())
      return llvm::any_of(elts,
                          [](const EValue &e) { return e.holdsTensor(); });
    return false;
  }
  /// Whether `v` holds Cells or Parameters (values of the module's state).
  bool holdsState() const {
    if (kind == Object || kind == Parameter)
      return true;
    if (kind == Tuple)
      return llvm::any_of(elts, [](const EValue &e) { return e.holdsState(); });
    return false;
  }
  RankedTensorType tensorType() const {
    return mlir::cast<RankedTensorType>(tensor.getType());
  }
  double asDouble() const {
    return kind == Float ? f : kind == Int ? (double)i : (double)b;
  }
};

/// Python's str() of a compile-time value (print, str()).
std::string pythonStr(const EValue &v);
/// The name of a type as the language writes it: `f32[3, 4]`, `i64`.
std::string typeName(Type t);
/// A phrase for a value in messages: "a tensor f32[3]", "the int 2".
std::string describe(const EValue &v);
/// Primitives of language.md §5 that parse and resolve but are not
/// implemented yet: calling one is a located "not supported yet" error.
const llvm::StringSet<> &plannedPrimitives();
/// Whether `name` is a primitive implemented by this emitter (the
/// prelude, prelude.py, adds those that are compositions).
bool isPrimitive(StringRef name);
/// The names of the unary elementwise primitives (PrimElementwise.cpp).
ArrayRef<StringRef> unaryPrimitiveNames();
/// The element type named `name` (`f32`, `bool`, ...).
std::optional<Type> dtypeByName(mlir::MLIRContext *ctx, StringRef name);
/// The names that statements of `body` may assign (not counting nested
/// function definitions, whose names they bind themselves).
void collectAssigned(const Body &body, llvm::StringSet<> &names);
/// The types of a function result, to outlive the ops of the body being
/// emitted: tensors become typed leaves (a null tensor, its type in
/// `dtype`), literals the 0-d tensors they materialise as.
EValue resultShape(const EValue &v, mlir::MLIRContext *ctx);
/// `v` with its tensor leaves replaced by arguments added to `block`.
EValue parameterize(const EValue &v, mlir::Block &block, mlir::Location loc);
/// The types of the tensor leaves of a resultShape.
void shapeTypes(const EValue &v, llvm::SmallVectorImpl<mlir::Type> &types);
/// The names bound by the assignment target `t`.
void collectTargetNames(const Expr &t, llvm::StringSet<> &names);

class ModuleEmitter;
struct MergeState;

/// A keyword of a call: its name and where it is written.
struct KeywordName {
  std::string name;
  SMLoc loc;
};

/// A call as written, its arguments evaluated: the positional arguments,
/// the keywords with their values (in the same order), and the locations of
/// each and of the call. Calls pass one along rather than its five parts.
struct CallSite {
  std::vector<EValue> args;
  std::vector<SMLoc> argLocs;
  std::vector<KeywordName> keywords;
  std::vector<EValue> kwValues;
  SMLoc loc;

  /// A call with positional arguments only.
  static CallSite positional(std::vector<EValue> args,
                             std::vector<SMLoc> argLocs, SMLoc loc) {
    return CallSite{std::move(args), std::move(argLocs), {}, {}, loc};
  }
};

/// Arguments of a call bound to a primitive's parameters by position or
/// keyword, with defaults.
struct BoundArgs {
  std::vector<std::optional<EValue>> values;
  std::vector<SMLoc> locs;
  const EValue *get(size_t i) const {
    return values[i] ? &*values[i] : nullptr;
  }
};

class FunctionEmitter;

/// A call of a primitive: its arguments bound to the primitive's
/// parameters, and the call as written (which variadic primitives read).
struct PrimitiveCall {
  StringRef name;
  BoundArgs a;
  CallSite &call;
};

/// An entry of the table of primitives (Primitives.cpp).
struct Primitive {
  enum Flags : unsigned {
    None = 0,
    /// The result has a dtype of its own (a constructor's f32, a count,
    /// random bits): literal arguments do not make it weak.
    TypesItsResult = 1,
    /// The first argument selects and does not type the result (where).
    FirstSelects = 2,
    /// Positional arguments past the parameters are packed into a tuple
    /// for the last one (x.reshape(2, 3)).
    PacksRest = 4,
    /// The emitter reads the call itself: no binding, no folding, no
    /// weak result (einsum's operands, the transforms).
    Unbound = 8,
  };
  /// Parameters in Python's order; the first `required` have no default.
  std::vector<StringRef> params;
  size_t required;
  unsigned flags;
  FailureOr<EValue> (FunctionEmitter::*emit)(const PrimitiveCall &);
};

class FunctionEmitter {
  friend class ModuleEmitter; // wrappers call values through callValue

public:
  FunctionEmitter(ModuleEmitter &module, mlir::OpBuilder &builder)
      : m(module), b(builder) {}

  llvm::StringMap<EValue> scope;

  /// Names of the control state in `scope`: whether the function has
  /// returned and with what, and whether the innermost loop's iteration
  /// broke or continued. Each holds a compile-time Bool, or a run-time
  /// bool tensor when it depends on the path taken.
  static constexpr const char *kReturned = "%returned";
  static constexpr const char *kResult = "%result";
  static constexpr const char *kBroken = "%break";
  static constexpr const char *kContinued = "%continue";

  /// Emits statements in order (EmitControl.cpp). Before each statement,
  /// a control flag that is set on some run-time paths (an earlier return,
  /// break or continue) puts the rest of the block under a run-time `if`,
  /// so that control flow stays structured.
  mlir::LogicalResult emitBlock(ArrayRef<StmtPtr> body);
  /// The location of the last `return` emitted.
  SMLoc returnLoc;
  /// Where the first `return` records the result's types, so that a
  /// recursive call emitted later in the body knows them (see
  /// ModuleEmitter::specialize).
  std::optional<EValue> *provisionalResult = nullptr;
  /// A function value for the `def` or lambda `fn`, capturing the values
  /// its free names have here.
  EValue closure(const Stmt &fn);

  /// The module's Parameters as this function sees them: its leading
  /// arguments, in state order (ModuleEmitter::stateSlots).
  std::vector<mlir::Value> stateArgs;
  /// Whether this emitter runs a Cell's __init__ or a module-level
  /// statement: the places where Cells and Parameters may be created and
  /// attributes set.
  bool constructing = false;
  /// `v` with its Parameters replaced by the tensors of `stateArgs` (while
  /// constructing they stay Parameters).
  FailureOr<EValue> stateValue(const EValue &v, SMLoc l);
  /// Fails the call at run time (SPORE_ERROR_VALUE) unless every element
  /// of the integer tensor `index` is in [-size, size): the index of axis
  /// `axis` at `at`. spore-strip-checks removes the check.
  void checkIndex(mlir::Value index, int64_t size, int64_t axis, SMLoc at);
  /// The same for elements in [lowest, size), with the message `what`
  /// whose `{}` is the offending value.
  void checkRange(mlir::Value index, int64_t lowest, int64_t size, SMLoc at,
                  const std::string &what);

  FailureOr<EValue> emitExpr(const Expr &e);

  // Helpers also used by the module emitter.
  mlir::Location loc(SMLoc l);
  FailureOr<EValue> materialize(const EValue &v, Type elementType, SMLoc l);
  FailureOr<EValue> toTensor(const EValue &v, SMLoc l);

private:
  ModuleEmitter &m;
  mlir::OpBuilder &b;
  unsigned depth = 0;

  /// Loops enclosing the statement being emitted (for break/continue).
  unsigned loopDepth = 0;
  /// What an emission of a loop learnt (the dtypes its literals take, the
  /// type of the value it returns), keyed by the loop and the types of the
  /// values entering it. A loop is emitted again when it learns something,
  /// and so are the loops inside it: without this each nesting level
  /// doubled the frontend's work (EmitControl.cpp, emitLoop).
  struct LoopLearnt {
    llvm::StringMap<Type> dtypes;
    std::optional<EValue> result;
  };
  std::map<std::pair<const Stmt *, std::string>, LoopLearnt> loopLearnt;
  /// The bound on run-time branches nested in one another, across the
  /// functions being specialised (ModuleEmitter::branchNesting).
  static constexpr unsigned kMaxBranchDepth = 500;

  mlir::LogicalResult fail(SMLoc l, const llvm::Twine &msg);
  mlir::LogicalResult bind(const Expr &target, const EValue &value);
  mlir::LogicalResult emitStmt(const Stmt &s);

  // Control flow (EmitControl.cpp).
  using EmitFn = llvm::function_ref<mlir::LogicalResult()>;
  /// An scf.if on the 0-d bool tensor `cond` whose branches `emitThen` and
  /// `emitElse` emit; names (and control flags) that the branches leave
  /// with different values become its results.
  mlir::LogicalResult emitBranches(mlir::Value cond, EmitFn emitThen,
                                   EmitFn emitElse, SMLoc l);
  /// The compile-time truth of `v`, or a 0-d bool tensor for a run-time
  /// scalar; an error for anything else. `what` names the context.
  FailureOr<EValue> truth(const EValue &v, SMLoc l, StringRef what);
  /// If one of `flags` is set on some run-time paths, emits `rest` under a
  /// run-time `if` where it is clear, and returns true.
  FailureOr<bool> guard(ArrayRef<const char *> flags, SMLoc l, EmitFn rest);
  mlir::Value notTensor(mlir::Value boolTensor, SMLoc l);
  mlir::LogicalResult emitIf(const Stmt &s);
  mlir::LogicalResult emitFor(const Stmt &s);
  mlir::LogicalResult emitWhile(const Stmt &s);
  mlir::LogicalResult emitRangeLoop(const Stmt &s, const EValue &start,
                                    const EValue &stop, const EValue &step);
  mlir::LogicalResult emitUnrolled(const Stmt &s, ArrayRef<EValue> items);
  mlir::LogicalResult emitLoop(const Stmt *s, const EValue *start,
                               const EValue *stop, const EValue *step);
  FailureOr<EValue> mergeValues(StringRef name, const EValue &t,
                                const EValue &e, MergeState &st, SMLoc l);
  mlir::Value zerosOf(RankedTensorType type, SMLoc l);
  FailureOr<EValue> emitIfExp(const Expr &e);
  FailureOr<EValue> emitBoolOp(const Expr &e);
  FailureOr<EValue> lookup(const Expr &e);
  FailureOr<EValue> emitUnary(const Expr &e);
  FailureOr<EValue> emitBinary(const Expr &e);
  FailureOr<EValue> binaryOp(StringRef op, const EValue &lhs, const EValue &rhs,
                             SMLoc l);
  /// binaryOp without the weakness of its result.
  FailureOr<EValue> strongBinaryOp(StringRef op, const EValue &lhs,
                                   const EValue &rhs, SMLoc l);
  FailureOr<EValue> foldBinary(StringRef op, const EValue &lhs,
                               const EValue &rhs, SMLoc l);
  FailureOr<EValue> emitCompare(const Expr &e);
  FailureOr<EValue> emitCall(const Expr &e);
  FailureOr<EValue> emitPrint(const Expr &e);
  /// Calls a function value (a Function, or a Choice made at run time).
  FailureOr<EValue> callValue(const EValue &callee, CallSite &call);
  FailureOr<EValue> emitAttribute(const Expr &e);
  /// Cells (EmitCell.cpp): attributes of a Cell instance, `Parameter(...)`,
  /// initialisers, and calls of Cells and their methods.
  FailureOr<EValue> cellAttribute(const EValue &obj, const Expr &e);
  mlir::LogicalResult assignAttribute(const Expr &target, const EValue &value);
  FailureOr<EValue> makeParameter(CallSite &call);
  /// Differentiation (EmitTransform.cpp): `grad(f, ...)` and
  /// `value_and_grad(f, ...)` as function values, and their calls, which
  /// emit spore.grad on a wrapper function of f.
  FailureOr<EValue> makeTransform(StringRef name, CallSite &call);
  FailureOr<EValue> callTransform(const EValue &transform, CallSite &call);
  /// vjp(f, *primals) -> (y, pullback), and jvp(f, primals, tangents) ->
  /// (y, tangent_out).
  FailureOr<EValue> emitVjp(CallSite &call);
  FailureOr<EValue> emitJvp(CallSite &call);
  /// The tensors of `v` made floating tensors (literals materialised), or
  /// an error naming `what`.
  FailureOr<EValue> floatValue(const EValue &v, SMLoc l,
                               const llvm::Twine &what);
  /// The operands of a call of a wrapper (ModuleEmitter::wrap) of `fun`:
  /// the Parameters, `fun`'s leaves, then those of each argument (where
  /// each starts goes to `argStart`) and of the keyword values.
  std::vector<mlir::Value>
  wrapperOperands(const EValue &fun, llvm::ArrayRef<EValue> args,
                  llvm::ArrayRef<EValue> kwValues,
                  std::vector<size_t> *argStart = nullptr);
  /// Calls of the transforms other than grad and value_and_grad.
  FailureOr<EValue> callPullback(const EValue &pullback,
                                 std::vector<EValue> &args,
                                 std::vector<SMLoc> &argLocs, SMLoc l);
  FailureOr<EValue> callJacobian(const EValue &transform, CallSite &call);
  FailureOr<EValue> callCell(const EValue &obj, StringRef method,
                             const CallSite &call);
  FailureOr<EValue> emitSubscript(const Expr &e);
  FailureOr<EValue> indexTuple(const EValue &t, const Expr &key);
  /// `x[key] = value`: rebinds `x` to the updated tensor (EmitIndex.cpp).
  mlir::LogicalResult assignIndexed(const Expr &target, const EValue &value);
  /// Calls the primitive `name` (Primitives.cpp): binds the call's
  /// arguments to its parameters and emits it. A primitive of values
  /// computed from literals only is folded or weak (language.md §2).
  /// Takes the call by value: a primitive may rewrite its arguments, and a
  /// run-time choice calls each alternative with the same ones.
  FailureOr<EValue> callPrimitive(StringRef name, CallSite call);
  /// callPrimitive without folding and without the weakness of its result.
  FailureOr<EValue> callTypedPrimitive(StringRef name, CallSite &call);
  FailureOr<BoundArgs> bindArgs(StringRef name, ArrayRef<StringRef> params,
                                size_t required, const CallSite &call);

public:
  /// The table of primitives, by name (Primitives.cpp).
  static const llvm::StringMap<Primitive> &primitiveTable();

private:
  /// Arguments of primitives: the bound argument `i` as a tensor, as a
  /// floating tensor (integers become f32), as an axis of a tensor of
  /// `rank` (`dflt` when absent), as a compile-time number, as a dtype
  /// (`dflt` when absent or None), or as a random key.
  FailureOr<EValue> tensorArg(const BoundArgs &a, size_t i);
  FailureOr<EValue> floatArg(const BoundArgs &a, size_t i);
  FailureOr<int64_t> axisArg(const EValue *v, SMLoc at, int64_t rank,
                             int64_t dflt);
  FailureOr<double> numberArg(const PrimitiveCall &p, size_t i,
                              const char *what);
  FailureOr<Type> dtypeArg(const PrimitiveCall &p, size_t i, Type dflt);
  FailureOr<mlir::Value> keyArg(const BoundArgs &a, size_t i);
  /// A constant tensor of `shape` holding `values`.
  EValue constantOf(ArrayRef<int64_t> shape, Type et, ArrayRef<double> values,
                    SMLoc l);
  /// The primitive emitters, one per family of the table; each file
  /// Prim<Family>.cpp holds one family.
  /// Elementwise (PrimElementwise.cpp).
  FailureOr<EValue> primUnary(const PrimitiveCall &p);
  FailureOr<EValue> primBinary(const PrimitiveCall &p);
  FailureOr<EValue> primAtan2(const PrimitiveCall &p);
  FailureOr<EValue> primPolygamma(const PrimitiveCall &p);
  FailureOr<EValue> primWhere(const PrimitiveCall &p);
  FailureOr<EValue> primAstype(const PrimitiveCall &p);
  FailureOr<EValue> primStopGradient(const PrimitiveCall &p);
  /// assign(target, value): a state update (EmitCell.cpp).
  FailureOr<EValue> primAssign(const PrimitiveCall &p);
  /// _state_like(cell, fill): a Parameter per Parameter of `cell`, named
  /// by its path (an optimizer's moments; EmitCell.cpp).
  FailureOr<EValue> primStateLike(const PrimitiveCall &p);
  FailureOr<EValue> primCheckLabels(const PrimitiveCall &p);
  FailureOr<EValue> primStr(const PrimitiveCall &p);
  FailureOr<EValue> primLen(const PrimitiveCall &p);
  FailureOr<EValue> primCallable(const PrimitiveCall &p);
  /// Reductions and scans (PrimReduce.cpp).
  FailureOr<EValue> primReduce(const PrimitiveCall &p);
  FailureOr<EValue> primSoftmax(const PrimitiveCall &p);
  FailureOr<EValue> primCumsum(const PrimitiveCall &p);
  /// Shapes, slices and gathers (PrimShape.cpp).
  FailureOr<EValue> primReshape(const PrimitiveCall &p);
  FailureOr<EValue> primTranspose(const PrimitiveCall &p);
  FailureOr<EValue> primBroadcastTo(const PrimitiveCall &p);
  FailureOr<EValue> primConcatenate(const PrimitiveCall &p);
  FailureOr<EValue> primFlip(const PrimitiveCall &p);
  FailureOr<EValue> primPad(const PrimitiveCall &p);
  FailureOr<EValue> primSplit(const PrimitiveCall &p);
  FailureOr<EValue> primGather(const PrimitiveCall &p);
  FailureOr<EValue> primSlice(const PrimitiveCall &p);
  /// Constants from compile-time arguments (PrimConstruct.cpp).
  FailureOr<EValue> primFill(const PrimitiveCall &p);
  FailureOr<EValue> primArange(const PrimitiveCall &p);
  FailureOr<EValue> primLinspace(const PrimitiveCall &p);
  FailureOr<EValue> primEye(const PrimitiveCall &p);
  /// Contractions and windows (PrimContract.cpp).
  FailureOr<EValue> primEinsum(const PrimitiveCall &p);
  FailureOr<EValue> primWindow(const PrimitiveCall &p);
  /// Random numbers (PrimRandom.cpp).
  FailureOr<EValue> primRng(const PrimitiveCall &p);
  FailureOr<EValue> primRandomSplit(const PrimitiveCall &p);
  FailureOr<EValue> primRandom(const PrimitiveCall &p);
  /// Transforms (EmitTransform.cpp): grad and the others, vjp and jvp.
  FailureOr<EValue> primTransform(const PrimitiveCall &p);
  FailureOr<EValue> primVjp(const PrimitiveCall &p);
  FailureOr<EValue> primJvp(const PrimitiveCall &p);

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
    unsigned id = sm.FindBufferContainingLoc(l);
    if (id == 0)
      return mlir::UnknownLoc::get(&ctx);
    auto [line, col] = sm.getLineAndColumn(l, id);
    return mlir::FileLineColLoc::get(
        &ctx, sm.getMemoryBuffer(id)->getBufferIdentifier(), line, col);
  }

  /// `file.py:line:col` of `l`, for messages of run-time checks ("{}",
  /// which marks their values, cannot occur in it).
  std::string where(SMLoc l) {
    std::string site = sourceSite(loc(l));
    for (size_t at = site.find("{}"); at != std::string::npos;
         at = site.find("{}"))
      site.replace(at, 2, "{ }");
    return site;
  }

  /// The line of `l` in the source, for messages.
  unsigned lineOf(SMLoc l) {
    return diags.getSourceMgr().getLineAndColumn(l).first;
  }

  /// `l`, or for a location in the prelude the model's call that led there.
  SMLoc userSite(SMLoc l) {
    if (inPrelude(l))
      for (auto it = callStack.rbegin(); it != callStack.rend(); ++it)
        if (!inPrelude(*it))
          return *it;
    return l;
  }

  /// Whether `l` is in the prelude's source.
  bool inPrelude(SMLoc l) {
    return preludeBuffer && l.isValid() &&
           diags.getSourceMgr().FindBufferContainingLoc(l) == preludeBuffer;
  }

  /// Reports an error; the result converts to any FailureOr. An error
  /// inside the prelude is the model's: it is reported at the model's call
  /// that led there, with the prelude's line as a note.
  mlir::LogicalResult fail(SMLoc l, const llvm::Twine &msg) {
    if (inPrelude(l))
      for (auto it = callStack.rbegin(); it != callStack.rend(); ++it)
        if (!inPrelude(*it)) {
          diags.error(*it, msg);
          diags.note(l, "where the prelude's code for this call failed");
          return mlir::failure();
        }
    diags.error(l, msg);
    return mlir::failure();
  }

  /// Run-time branches being emitted, nested in one another, in all the
  /// functions being specialised.
  unsigned branchNesting = 0;

  /// Functions of the prelude (prelude.py), found after the module's own
  /// names.
  llvm::StringMap<EValue> preludeFns;

  /// Calls the function value `fn` with `args`: finds or emits its
  /// specialisation.
  FailureOr<EValue> call(const EValue &fn, const CallSite &call,
                         mlir::OpBuilder &callerBuilder,
                         ArrayRef<mlir::Value> state);

  /// Binds the arguments of a call of `fn` to its parameters (keywords,
  /// defaults, compile-time `int`/`float` parameters, annotations).
  FailureOr<std::vector<EValue>> bindParams(const Stmt &fn,
                                            const CallSite &call,
                                            mlir::OpBuilder &callerBuilder);

  /// Cells (EmitCell.cpp). Creates an instance of the Cell class `cls`,
  /// running its __init__ at compile time.
  FailureOr<EValue> construct(const EValue &cls, CallSite call);
  /// The method `name` of the Cell class `cls` (searching its bases).
  const Stmt *findMethod(const Stmt *cls, StringRef name);
  /// The class statements of the bases of `cls`, checked.
  FailureOr<std::vector<const Stmt *>> basesOf(const Stmt &cls);
  /// The Parameters of the state, in order: their identities map to their
  /// argument index in every function.
  struct StateSlot {
    std::string name;
    RankedTensorType type;
    EValue parameter;
    SMLoc at; // the module-level instance that owns it
  };
  std::vector<StateSlot> stateSlots;
  llvm::DenseMap<int64_t, unsigned> slotOfParameter;
  /// Identities of Cell instances and Parameters.
  int64_t nextIdentity = 1;
  unsigned activeConstructions = 0;
  /// Gives the Parameters in the module-level value `v`, named by `path`,
  /// their state slots (a Parameter reached twice keeps its first name).
  void registerState(const EValue &v, const std::string &path, SMLoc at);

  /// Resolves a type annotation: a tensor type, or a tuple of them.
  FailureOr<EValue> annotationType(const Expr &e);

  llvm::StringMap<EValue> globals;
  Diagnostics &diags;
  mlir::MLIRContext &ctx;

private:
  unsigned bufferId;
  unsigned preludeBuffer = 0;
  std::optional<ast::Module> prelude;
  /// Call sites of the specialisations being emitted, innermost last.
  std::vector<SMLoc> callStack;
  mlir::LogicalResult loadPrelude();
  mlir::OpBuilder builder;
  mlir::ModuleOp module;
  llvm::StringSet<> reservedNames;
  /// A specialisation: its function and how its results rebuild the value
  /// (tensor leaves in order are the results).
  struct Specialization {
    FuncOp func;
    EValue resultTemplate;
    bool inProgress = true;
    /// While in progress: the result's shape from the first `return` (or
    /// the annotation), which a recursive call uses.
    std::optional<EValue> provisional;
    bool usedProvisional = false;
  };
  /// Specialisations being emitted (a bound on compile-time recursion).
  unsigned activeSpecializations = 0;
  llvm::DenseMap<const Stmt *, std::vector<std::string>> freeNameCache;
  std::map<std::string, Specialization> specializations;

  mlir::LogicalResult emitExport(const Stmt &fn);
  FailureOr<EValue> evalConstant(const Expr &e);
  FailureOr<EValue> evalModuleValue(const Expr &e);
  std::string uniqueName(StringRef base);
  std::string key(const EValue &v);
  /// A new function `name` at the end of the module, with an entry block
  /// whose arguments are the module's Parameters (one per state slot);
  /// the caller adds the others.
  FuncOp newFunction(StringRef name, mlir::Location loc);
  /// Ends `func` (begun by newFunction) at `b` with a return of `results`,
  /// which also give its result types.
  void returnFrom(FuncOp func, mlir::OpBuilder &b, mlir::Location loc,
                  llvm::ArrayRef<mlir::Value> results);

public:
  /// The run-time leaves of `v` in order (what a call passes for it).
  void collectLeaves(const EValue &v, std::vector<mlir::Value> &leaves);
  /// `tmpl` with its tensor leaves taken from `results`, from `next` on.
  EValue rebuild(const EValue &tmpl, mlir::ValueRange results, size_t &next);
  /// A function of the run-time leaves of `callee` and of the arguments
  /// that calls `callee` with them: what a transform (spore.grad)
  /// applies to, whatever kind of callable `callee` is. Its arguments are
  /// the state, the leaves of `callee`, of `args`, then of `kwValues`.
  struct Wrapper {
    FuncOp func;
    EValue resultTemplate;
  };
  enum class WrapKind {
    Plain,
    /// Carries `spore.checkpoint`: differentiation does not inline it, and
    /// recomputes it in the backward pass.
    Checkpointed,
    /// A call of a @custom_vjp function, whose body calls it directly;
    /// carries `spore.custom_vjp` once its rule is emitted.
    CustomVjp,
  };
  FailureOr<Wrapper> wrap(const EValue &callee, CallSite call,
                          WrapKind kind = WrapKind::Plain);

  /// @custom_vjp functions, with the def of their @f.defvjp rule (null
  /// until one is given).
  llvm::DenseMap<const Stmt *, const Stmt *> customVjps;

private:
  std::map<std::string, Wrapper> wrappers;
  /// @custom_vjp functions whose wrapper body is being emitted: calls of
  /// them there are plain calls.
  llvm::SmallPtrSet<const Stmt *, 4> customBodies;

  /// A call of the @custom_vjp function `callee` with its bound arguments
  /// `values`: a call of its CustomVjp wrapper, whose `spore.custom_vjp`
  /// names the rule function that the backward pass calls.
  FailureOr<EValue> callCustomVjp(const EValue &callee,
                                  std::vector<EValue> values, SMLoc l,
                                  mlir::OpBuilder &callerBuilder,
                                  ArrayRef<mlir::Value> state);
  /// The rule function of a @custom_vjp call: of the state, the leaves of
  /// `values`, of the result and of its cotangent; returning a cotangent
  /// per leaf of `values`.
  FailureOr<FuncOp> customRule(const EValue &callee, const Stmt &rule,
                               const std::vector<EValue> &values,
                               const EValue &resultTemplate, SMLoc l);

public:
  /// The names a function reads that are neither its parameters nor its
  /// locals: what a closure of it captures.
  const std::vector<std::string> &freeNames(const Stmt &fn);

private:
  FailureOr<Specialization *> specialize(const EValue &fn,
                                         std::vector<EValue> args,
                                         SMLoc callLoc,
                                         std::optional<std::string> exportName);
};

} // namespace spore::frontend::detail

#endif // SPORE_FRONTEND_EMITTER_H
