//===- SporeDifferentiate.cpp - reverse mode by source transformation -----===//
//
// Defines `spore-differentiate`: expands each spore.grad into a call of a
// generated adjoint function. The frontend has already made the program
// first-order (closures and higher-order functions are specialised away,
// language.md §4), so a function to differentiate is a spore.func whose
// calls can be inlined; what remains is straight-line code, branches and
// loops, which Adjoint (Adjoint.h) reverses, and Tangent (Tangent.h)
// carries tangents through. Calls of recursive functions (and of
// checkpointed and @custom_vjp ones) stay calls: their derivatives call
// the callees' derivatives, which are recursive in turn. Calls of separate
// functions (spore-share-functions) stay calls too: see splitOf.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"
#include "passes/ad/Adjoint.h"
#include "passes/ad/Batch.h"
#include "passes/ad/Tangent.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/SaveAndRestore.h"

#include <map>

namespace spore {
#define GEN_PASS_DEF_SPOREDIFFERENTIATE
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;
using namespace spore;
using spore::ad::Adjoint;
using spore::ad::isFloatTensor;
using spore::ad::zerosOf;

namespace {

struct SporeDifferentiatePass
    : spore::impl::SporeDifferentiateBase<SporeDifferentiatePass> {
  SymbolTable *symbolTable = nullptr;
  /// The canonicalisation patterns of every loaded dialect and op.
  FrozenRewritePatternSet canonical;

  LogicalResult initialize(MLIRContext *context) override {
    RewritePatternSet patterns(context);
    for (Dialect *dialect : context->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : context->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, context);
    canonical = FrozenRewritePatternSet(std::move(patterns));
    return success();
  }

  /// Canonicalises a function before it is differentiated: what an inner
  /// transform generated (zeros yielded by both branches of an if, loops
  /// that carry a value unchanged) then costs the outer one nothing, and
  /// loop bounds become constants.
  LogicalResult simplify(FuncOp fn) {
    if (failed(applyPatternsGreedily(fn, canonical)))
      return fn.emitError("could not simplify the function to differentiate");
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    symbolTable = &symbols;
    // Innermost first: a grad whose callee reaches another grad waits.
    while (true) {
      SmallVector<Operation *> transforms;
      module.walk([&](Operation *op) {
        if (isa<GradOp, VjpOp, JvpOp, JacobianOp>(op))
          transforms.push_back(op);
      });
      if (transforms.empty()) {
        // Rules are called by now; unused ones can go.
        module.walk([](FuncOp fn) { fn->removeAttr(ad::kCustomVjpAttr); });
        return;
      }
      bool progress = false;
      for (Operation *&op : transforms) {
        StringRef calleeName =
            op->getAttrOfType<FlatSymbolRefAttr>("callee").getValue();
        auto callee = symbols.lookup<FuncOp>(calleeName);
        llvm::SmallPtrSet<Operation *, 16> seen;
        if (reachesGrad(callee, symbols, seen))
          continue;
        if (isa<JacobianOp>(op) && failed(checkNoAssign(op, callee, symbols)))
          return signalPassFailure();
        replay = reachedByTransform(op->getParentOfType<FuncOp>(), transforms,
                                    op, symbols);
        LogicalResult expanded =
            isa<GradOp>(op)  ? expand(cast<GradOp>(op), callee, symbols)
            : isa<VjpOp>(op) ? expand(cast<VjpOp>(op), callee, symbols)
            : isa<JacobianOp>(op)
                ? expand(cast<JacobianOp>(op), callee, symbols)
                : expand(cast<JvpOp>(op), callee, symbols);
        if (failed(expanded))
          return signalPassFailure();
        op = nullptr; // erased
        progress = true;
      }
      if (!progress) {
        transforms.front()->emitOpError(
            "differentiates a function that, through its calls, "
            "differentiates itself");
        return signalPassFailure();
      }
    }
  }

  /// Fails, naming the assign, when `callee` or a function it calls sets
  /// the state. A gradient or a jvp evaluates the function once, with its
  /// updates (a BatchNorm's running statistics), which have no derivative;
  /// a Jacobian evaluates it once per pass, none of which is the one.
  static LogicalResult checkNoAssign(Operation *transform, FuncOp callee,
                                     SymbolTable &symbols) {
    llvm::SmallPtrSet<Operation *, 16> seen;
    SmallVector<FuncOp> work{callee};
    while (!work.empty()) {
      FuncOp fn = work.pop_back_val();
      if (!fn || !seen.insert(fn).second)
        continue;
      AssignOp found;
      fn.walk([&](Operation *op) {
        if (auto assign = dyn_cast<AssignOp>(op)) {
          found = assign;
          return WalkResult::interrupt();
        }
        if (auto call = dyn_cast<CallOp>(op))
          work.push_back(symbols.lookup<FuncOp>(call.getCallee()));
        return WalkResult::advance();
      });
      if (found) {
        InFlightDiagnostic d =
            found.emitError(
                "cannot take the Jacobian of a function that assigns the "
                "state ('")
            << found.getName() << "'); update the state outside it";
        d.attachNote(transform->getLoc()) << "differentiated here";
        return failure();
      }
    }
    return success();
  }

  /// Whether `fn` is (or is called by) the callee of one of the reverse-mode
  /// `transforms` other than `self`, directly or through the callees of
  /// other transforms: then what is generated in it is differentiated again
  /// in reverse mode, which cannot reverse value stacks. Forward mode
  /// carries tangents through them (Tangent.cpp), so a gradient that only
  /// jvp differentiates again keeps its stacks and stays linear in the
  /// trip count.
  bool reachedByTransform(FuncOp fn, ArrayRef<Operation *> transforms,
                          Operation *self, SymbolTable &symbols) {
    llvm::SmallPtrSet<Operation *, 16> seen;
    SmallVector<FuncOp> work;
    for (Operation *t : transforms) {
      auto jacobian = dyn_cast_or_null<JacobianOp>(t);
      bool reverse = isa_and_nonnull<GradOp, VjpOp>(t) ||
                     (jacobian && !jacobian.getForward());
      if (!t || t == self || !reverse)
        continue;
      auto sym = t->getAttrOfType<FlatSymbolRefAttr>("callee");
      if (auto f = sym ? symbols.lookup<FuncOp>(sym.getValue()) : FuncOp())
        work.push_back(f);
    }
    while (!work.empty()) {
      FuncOp f = work.pop_back_val();
      if (!f || !seen.insert(f).second)
        continue;
      if (f == fn)
        return true;
      f.walk([&](Operation *op) {
        if (isa<CallOp, GradOp, VjpOp, JvpOp, JacobianOp>(op))
          work.push_back(symbols.lookup<FuncOp>(
              op->getAttrOfType<FlatSymbolRefAttr>("callee").getValue()));
      });
    }
    return false;
  }

  /// Whether `fn` or a function it calls contains a transform.
  bool reachesGrad(FuncOp fn, SymbolTable &symbols,
                   llvm::SmallPtrSetImpl<Operation *> &seen) {
    if (!fn || !seen.insert(fn).second)
      return false;
    bool found = false;
    fn.walk([&](Operation *op) {
      if (isa<GradOp, VjpOp, JvpOp, JacobianOp>(op))
        found = true;
      else if (auto call = dyn_cast<CallOp>(op))
        found |= reachesGrad(symbols.lookup<FuncOp>(call.getCallee()), symbols,
                             seen);
      return found ? WalkResult::interrupt() : WalkResult::advance();
    });
    return found;
  }

  /// Adjoint functions made so far (and being made: a recursive function's
  /// adjoint calls itself), by callee, differentiated operands, whether
  /// the cotangents are arguments (vjp) or a seed of 1 (grad), and whether
  /// loops replay their iterations (see `replay`).
  std::map<std::tuple<std::string, std::vector<int64_t>, bool, bool, bool>,
           FuncOp>
      adjoints;

  /// Whether adjoints made now are differentiated again later: then their
  /// loops replay the forward iterations instead of keeping value stacks
  /// (reverse over reverse through a stack is not supported), at the cost
  /// of O(n^2) iterations for n.
  bool replay = false;

  /// Whether derivatives made now keep calls of `spore.separate` functions
  /// as calls of their derivatives. Not where loops replay (the split
  /// adjoint keeps residuals, which reverse over reverse would reverse
  /// again), nor for Jacobians, whose batching (Batch.h) sees through no
  /// call.
  bool separate = true;
  bool keepsSeparate() const { return separate && !replay; }

  /// Clones `callee` as the private function `name`, placed after it, with
  /// the type `inputs -> results`: the type of the derivative it becomes,
  /// set before it is built so that a recursive call can call it.
  static FuncOp cloneAs(FuncOp callee, const Twine &name, TypeRange inputs,
                        TypeRange results, SymbolTable &symbols) {
    FuncOp fn = callee.clone();
    fn.setPrivate();
    fn->removeAttr(FuncOp::getExportAttrName());
    fn->removeAttr("spore.checkpoint");
    fn->removeAttr(kSeparateAttr);
    fn->removeAttr(kDerivativeAttr);
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      fn.setArgAttrs(i, ArrayRef<NamedAttribute>{});
    fn.setSymName(name.str());
    fn.setFunctionType(FunctionType::get(fn.getContext(), inputs, results));
    symbols.insert(fn, std::next(Block::iterator(callee)));
    return fn;
  }

  /// The types of `callee`'s arguments at `wrt`.
  static SmallVector<Type> argumentTypes(FuncOp callee, ArrayRef<int64_t> wrt) {
    SmallVector<Type> types;
    for (int64_t i : wrt)
      types.push_back(callee.getArgumentTypes()[i]);
    return types;
  }

  /// The adjoint of `callee` with respect to its arguments `wrt`: a
  /// function of the same arguments (then, when `seeded`, cotangents of
  /// every result) that returns the results, then the gradients. Calls of
  /// recursive functions stay calls, whose adjoints call these adjoints
  /// again (each level evaluates its callee once more: see
  /// docs/differentiation.md).
  FailureOr<FuncOp> adjointOf(FuncOp callee, ArrayRef<int64_t> wrtRef,
                              bool seeded, SymbolTable &symbols) {
    std::vector<int64_t> wrt(wrtRef.begin(), wrtRef.end());
    auto key = std::make_tuple(callee.getSymName().str(), wrt, seeded, replay,
                               keepsSeparate());
    if (FuncOp done = adjoints[key])
      return done;
    SmallVector<Type> inputs(callee.getArgumentTypes());
    if (seeded)
      llvm::append_range(inputs, callee.getResultTypes());
    SmallVector<Type> results(callee.getResultTypes());
    llvm::append_range(results, argumentTypes(callee, wrt));
    FuncOp adjoint = cloneAs(callee,
                             callee.getSymName() + (seeded ? ".vjp" : ".grad") +
                                 (replay ? ".replay" : ""),
                             inputs, results, symbols);
    adjoints[key] = adjoint;
    bool ok = succeeded(
        inlineCalls(adjoint, symbols, /*forward=*/false, keepsSeparate()));
    if (ok && seeded)
      // A vjp function evaluates the function again (for a checkpoint, a
      // pullback): it does not print, check or assign a second time.
      adjoint.walk([](Operation *op) {
        if (ad::happensOnce(op))
          op->erase();
      });
    if (!ok || failed(unrollLoops(adjoint)) ||
        failed(reverse(adjoint, wrt, seeded))) {
      adjoints.erase(key);
      adjoint.erase();
      return failure();
    }
    return adjoint;
  }

  /// The split derivative of a separate function `callee` with respect to
  /// its arguments `wrt`, by differentiated operands: a forward function
  /// of the same arguments that returns the results, then the residuals
  /// (the forward values its backward pass reads), and a backward function
  /// of the arguments, the residuals and a cotangent per result that
  /// returns a gradient per `wrt` argument. Null functions where the
  /// residuals include a loop's value stack (see below). A call of the callee
  /// in a function being differentiated becomes a call of the first, and its
  /// adjoint a call of the second (Adjoint::reverseSeparate): each block
  /// type of a model has one forward and one backward function.
  std::map<std::pair<std::string, std::vector<int64_t>>,
           std::pair<FuncOp, FuncOp>>
      splits;

  FailureOr<std::pair<FuncOp, FuncOp>>
  splitOf(FuncOp callee, ArrayRef<int64_t> wrtRef, SymbolTable &symbols) {
    std::vector<int64_t> wrt(wrtRef.begin(), wrtRef.end());
    auto key = std::make_pair(callee.getSymName().str(), wrt);
    if (auto found = splits.find(key); found != splits.end())
      return found->second;
    // The seeded adjoint, whose forward part (what the results need) and
    // backward part (the rest) become the two functions. It is built by
    // recomputation like any adjoint, so its backward part reads forward
    // values directly: those are the residuals.
    auto vjpKey = std::make_tuple(callee.getSymName().str(), wrt, true, replay,
                                  keepsSeparate());
    FailureOr<FuncOp> made = adjointOf(callee, wrt, /*seeded=*/true, symbols);
    if (failed(made))
      return failure();
    FuncOp vjp = *made;
    Block &body = vjp.getBody().front();
    auto ret = cast<ReturnOp>(body.getTerminator());
    unsigned numArgs = callee.getNumArguments();
    unsigned numResults = callee.getNumResults();

    llvm::SmallPtrSet<Operation *, 32> forward;
    SmallVector<Operation *> work;
    auto need = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (def && (def = body.findAncestorOpInBlock(*def)) &&
          forward.insert(def).second)
        work.push_back(def);
    };
    for (Value r : ret.getOperands().take_front(numResults))
      need(r);
    while (!work.empty())
      work.pop_back_val()->walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          need(v);
      });
    // Forward values the backward part reads, in program order.
    llvm::SetVector<Value> residuals;
    auto read = [&](Value v) {
      Operation *def = v.getDefiningOp();
      if (def && (def = body.findAncestorOpInBlock(*def)) && forward.count(def))
        residuals.insert(v);
    };
    for (Operation &op : body.without_terminator())
      if (!forward.count(&op))
        op.walk([&](Operation *inner) {
          for (Value v : inner->getOperands())
            read(v);
        });
    for (Value g : ret.getOperands().drop_front(numResults))
      read(g);
    // A loop's value stack has a run-time length, which a function's
    // result cannot have (results are the caller's static buffers): such a
    // call is reversed through the seeded adjoint, which evaluates the
    // callee again, as for a checkpoint.
    if (llvm::any_of(residuals, [](Value v) {
          auto shaped = dyn_cast<ShapedType>(v.getType());
          return shaped && !shaped.hasStaticShape();
        }))
      return splits[key] = {FuncOp(), FuncOp()};

    auto makeFunction = [&](StringRef suffix, TypeRange inputs,
                            TypeRange results) {
      FuncOp fn = vjp.cloneWithoutRegions();
      fn.setSymName((callee.getSymName() + suffix).str());
      fn->setAttr(kSeparateAttr, UnitAttr::get(fn.getContext()));
      fn->setAttr(kDerivativeAttr, UnitAttr::get(fn.getContext()));
      fn.setFunctionType(FunctionType::get(fn.getContext(), inputs, results));
      Block *entry = new Block();
      fn.getBody().push_back(entry);
      for (Type t : inputs)
        entry->addArgument(t, vjp.getLoc());
      symbols.insert(fn, std::next(Block::iterator(callee)));
      return fn;
    };
    auto cloneInto = [&](FuncOp fn, IRMapping &map, bool forwardPart,
                         ValueRange returned) {
      OpBuilder b = OpBuilder::atBlockEnd(&fn.getBody().front());
      for (Operation &op : body.without_terminator())
        if (forward.count(&op) == forwardPart)
          b.clone(op, map);
      SmallVector<Value> values;
      for (Value v : returned)
        values.push_back(map.lookupOrDefault(v));
      ReturnOp::create(b, ret.getLoc(), values);
    };

    SmallVector<Value> fwdReturned(ret.getOperands().take_front(numResults));
    llvm::append_range(fwdReturned, residuals.getArrayRef());
    FuncOp fwd = makeFunction(".fwd", callee.getArgumentTypes(),
                              ValueRange(fwdReturned).getTypes());
    IRMapping fwdMap;
    fwdMap.map(body.getArguments().take_front(numArgs), fwd.getArguments());
    cloneInto(fwd, fwdMap, true, fwdReturned);

    SmallVector<Type> bwdInputs(callee.getArgumentTypes());
    llvm::append_range(bwdInputs,
                       ValueRange(residuals.getArrayRef()).getTypes());
    llvm::append_range(bwdInputs, callee.getResultTypes());
    ValueRange grads = ret.getOperands().drop_front(numResults);
    FuncOp bwd = makeFunction(".bwd", bwdInputs, grads.getTypes());
    IRMapping bwdMap;
    ValueRange bwdArgs = bwd.getArguments();
    bwdMap.map(body.getArguments().take_front(numArgs),
               bwdArgs.take_front(numArgs));
    bwdMap.map(residuals.getArrayRef(),
               bwdArgs.slice(numArgs, residuals.size()));
    bwdMap.map(body.getArguments().drop_front(numArgs),
               bwdArgs.drop_front(numArgs + residuals.size()));
    cloneInto(bwd, bwdMap, false, grads);

    // The seeded adjoint was only the material.
    adjoints.erase(vjpKey);
    vjp.erase();
    return splits[key] = {fwd, bwd};
  }

  /// Checks that `callee`'s results are float tensors, which alone have
  /// (co)tangents; `what` names the transform.
  static LogicalResult checkFloatResults(FuncOp callee, StringRef what,
                                         StringRef kind) {
    auto ret = cast<ReturnOp>(callee.getBody().front().getTerminator());
    for (Value r : ret.getOperands())
      if (!isFloatTensor(r))
        return ret.emitError(what)
               << " of a function with a result of type " << r.getType()
               << " (only float results have " << kind << ")";
    return success();
  }

  LogicalResult expand(VjpOp op, FuncOp callee, SymbolTable &symbols) {
    if (failed(checkFloatResults(callee, "vjp", "cotangents")))
      return failure();
    auto adjoint = adjointOf(callee, op.getWrt(), /*seeded=*/true, symbols);
    if (failed(adjoint))
      return failure();
    replaceByCall(op, *adjoint, op.getPrimals(), op.getCotangents());
    return success();
  }

  /// Replaces the transform `op` by a call of its generated function `fn`
  /// with the primals, then the seeds (cotangents or tangents).
  static void replaceByCall(Operation *op, FuncOp fn, ValueRange primals,
                            ValueRange seeds) {
    OpBuilder b(op);
    SmallVector<Value> operands(primals);
    llvm::append_range(operands, seeds);
    auto call = CallOp::create(b, op->getLoc(), fn, operands);
    op->replaceAllUsesWith(call.getResults());
    op->erase();
  }

  /// Tangent functions made so far (and being made), by callee and
  /// differentiated operands.
  std::map<std::tuple<std::string, std::vector<int64_t>, bool>, FuncOp>
      tangents;

  /// The forward-mode derivative of `callee` with respect to its
  /// arguments `wrt`: a function of the same arguments, then a tangent
  /// per `wrt` argument, that returns the results, then their tangents
  /// (zeros for results that are not floats). Calls of recursive
  /// functions stay calls, of their own tangent functions.
  FailureOr<FuncOp> tangentOf(FuncOp callee, ArrayRef<int64_t> wrtRef,
                              SymbolTable &symbols) {
    std::vector<int64_t> wrt(wrtRef.begin(), wrtRef.end());
    auto key = std::make_tuple(callee.getSymName().str(), wrt, keepsSeparate());
    if (FuncOp done = tangents[key])
      return done;
    SmallVector<Type> inputs(callee.getArgumentTypes());
    llvm::append_range(inputs, argumentTypes(callee, wrt));
    SmallVector<Type> resultTypes(callee.getResultTypes());
    llvm::append_range(resultTypes, callee.getResultTypes());
    FuncOp fn = cloneAs(callee, callee.getSymName() + ".jvp", inputs,
                        resultTypes, symbols);
    fn->removeAttr(ad::kCustomVjpAttr);
    // The tangent function of a separate function is separate too.
    if (isSeparatePrimal(callee)) {
      fn->setAttr(kSeparateAttr, UnitAttr::get(fn.getContext()));
      fn->setAttr(kDerivativeAttr, UnitAttr::get(fn.getContext()));
    }
    tangents[key] = fn;
    auto fail = [&]() {
      tangents.erase(key);
      fn.erase();
      return failure();
    };
    if (failed(inlineCalls(fn, symbols, /*forward=*/true, keepsSeparate())) ||
        failed(simplify(fn)))
      return fail();
    Block &body = fn.getBody().front();
    ad::Tangent sweep;
    sweep.jvpOf = [&](FuncOp target, ArrayRef<int64_t> operands) {
      return tangentOf(target, operands, symbols);
    };
    sweep.symbols = &symbols;
    for (int64_t i : wrt) {
      BlockArgument arg = body.getArgument(i);
      sweep.tangent[arg] = body.addArgument(arg.getType(), arg.getLoc());
    }
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    if (failed(sweep.forwardOps(ops)))
      return fail();
    auto ret = cast<ReturnOp>(body.getTerminator());
    OpBuilder b(ret);
    SmallVector<Value> results(ret.getOperands());
    for (Value r : ret.getOperands()) {
      Value t = isFloatTensor(r) ? sweep.tangent.lookup(r) : Value();
      results.push_back(t ? t : zerosOf(b, ret.getLoc(), r.getType()));
    }
    ReturnOp::create(b, ret.getLoc(), results);
    ret.erase();
    return fn;
  }

  LogicalResult expand(JvpOp op, FuncOp callee, SymbolTable &symbols) {
    if (failed(checkFloatResults(callee, "jvp", "tangents")))
      return failure();
    auto fn = tangentOf(callee, op.getWrt(), symbols);
    if (failed(fn))
      return failure();
    replaceByCall(op, *fn, op.getPrimals(), op.getTangents());
    return success();
  }

  /// The number of seeds per pass of a Jacobian without a `width`.
  static constexpr int64_t kJacobianWidth = 16;

  /// A Jacobian as a loop of passes over its columns (forward) or rows
  /// (reverse), `width` of them per pass through the derivative function
  /// batched over its seed; one per pass where it cannot be batched.
  LogicalResult expand(JacobianOp op, FuncOp callee, SymbolTable &symbols) {
    auto xType = cast<RankedTensorType>(op.getPrimals()[op.getWrt()].getType());
    auto jType = cast<RankedTensorType>(op.getType());
    int64_t cols = xType.getNumElements();
    int64_t rows = jType.getNumElements() / std::max<int64_t>(cols, 1);
    if (rows == 0 || cols == 0) {
      OpBuilder b(op);
      op.replaceAllUsesWith(zerosOf(b, op.getLoc(), jType));
      op.erase();
      return success();
    }
    // Batching sees through no call: the derivative inlines every block.
    llvm::SaveAndRestore<bool> inlined(separate, false);
    FailureOr<FuncOp> derivative =
        op.getForward() ? tangentOf(callee, {(int64_t)op.getWrt()}, symbols)
                        : adjointOf(callee, {(int64_t)op.getWrt()},
                                    /*seeded=*/true, symbols);
    if (failed(derivative))
      return failure();
    int64_t passes = op.getForward() ? cols : rows;
    int64_t width =
        op.getWidth().value_or(std::min<int64_t>(passes, kJacobianWidth));
    if (width > 1) {
      // The seed is the argument after the primals.
      FailureOr<FuncOp> batched = ad::batchFunction(
          *derivative, {(unsigned)callee.getNumArguments()}, width,
          (derivative->getSymName() + ".x" + Twine(width)).str(), symbols);
      if (succeeded(batched)) {
        expandLoop(op, *batched, width);
        return success();
      }
    }
    expandLoop(op, *derivative, 1);
    return success();
  }

  /// The Jacobian as ceil(passes / width) calls of `fn`, the derivative
  /// function batched over its seed (with width 1, the derivative itself,
  /// whose seed has the same elements): call c seeds rows c * width ... of
  /// the identity and writes the columns (forward) or rows (reverse) it
  /// gives into a [rows, columns] accumulator, padded to a multiple of the
  /// width.
  void expandLoop(JacobianOp op, FuncOp fn, int64_t width) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    ValueRange primals = op.getPrimals();
    auto xType = cast<RankedTensorType>(primals[op.getWrt()].getType());
    auto jType = cast<RankedTensorType>(op.getType());
    Type et = xType.getElementType();
    bool forward = op.getForward();
    int64_t cols = xType.getNumElements();
    int64_t rows = jType.getNumElements() / cols;
    int64_t passes = forward ? cols : rows;
    int64_t chunks = (passes + width - 1) / width, padded = chunks * width;
    auto tensorOf = [&](ArrayRef<int64_t> shape) {
      return RankedTensorType::get(shape, et);
    };
    auto accType =
        forward ? tensorOf({rows, padded}) : tensorOf({padded, cols});
    auto i64 = RankedTensorType::get({}, b.getI64Type());
    Value zeroIndex = ConstantOp::create(
        b, loc, DenseElementsAttr::get(i64, b.getI64IntegerAttr(0)));
    SmallVector<Attribute> ones;
    for (int64_t i = 0; i < width; ++i)
      for (int64_t j = 0; j < width; ++j)
        ones.push_back(b.getFloatAttr(et, i == j ? 1.0 : 0.0));
    Value identity = ConstantOp::create(
        b, loc, DenseElementsAttr::get(tensorOf({width, width}), ones));

    auto lower = arith::ConstantIndexOp::create(b, loc, 0);
    auto upper = arith::ConstantIndexOp::create(b, loc, chunks);
    auto step = arith::ConstantIndexOp::create(b, loc, 1);
    auto loop = scf::ForOp::create(b, loc, lower, upper, step,
                                   ValueRange{zerosOf(b, loc, accType)});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value first =
          arith::MulIOp::create(b, loc, loop.getInductionVar(),
                                arith::ConstantIndexOp::create(b, loc, width));
      Value k =
          tensor::FromElementsOp::create(b, loc, i64,
                                         ValueRange{arith::IndexCastOp::create(
                                             b, loc, b.getI64Type(), first)});
      // Rows first ... first + width of the identity, as `width` seeds.
      Value seeds = DynamicUpdateSliceOp::create(
          b, loc, tensorOf({width, padded}),
          zerosOf(b, loc, tensorOf({width, padded})), identity,
          ValueRange{zeroIndex, k});
      if (padded != passes)
        seeds = SliceOp::create(b, loc, tensorOf({width, passes}), seeds,
                                b.getDenseI64ArrayAttr({0, 0}),
                                b.getDenseI64ArrayAttr({1, 1}));
      auto seedType =
          cast<RankedTensorType>(fn.getArgumentTypes()[primals.size()]);
      seeds = ReshapeOp::create(b, loc, seedType, seeds);
      SmallVector<Value> operands(primals);
      operands.push_back(seeds);
      // Results: the primal, then the derivative.
      Value part = CallOp::create(b, loc, fn, operands).getResult(1);
      Value acc = loop.getRegionIterArgs()[0];
      Value next;
      if (forward) {
        part = ReshapeOp::create(b, loc, tensorOf({width, rows}), part);
        part =
            TransposeOp::create(b, loc, part, b.getDenseI64ArrayAttr({1, 0}));
        next = DynamicUpdateSliceOp::create(b, loc, accType, acc, part,
                                            ValueRange{zeroIndex, k});
      } else {
        part = ReshapeOp::create(b, loc, tensorOf({width, cols}), part);
        next = DynamicUpdateSliceOp::create(b, loc, accType, acc, part,
                                            ValueRange{k, zeroIndex});
      }
      scf::YieldOp::create(b, loc, next);
    }
    Value jacobian = loop.getResult(0);
    if (padded != passes)
      jacobian = SliceOp::create(b, loc, tensorOf({rows, cols}), jacobian,
                                 b.getDenseI64ArrayAttr({0, 0}),
                                 b.getDenseI64ArrayAttr({1, 1}));
    op.replaceAllUsesWith(
        ReshapeOp::create(b, loc, jType, jacobian).getResult());
    op.erase();
  }

  LogicalResult expand(GradOp op, FuncOp callee, SymbolTable &symbols) {
    auto found = adjointOf(callee, op.getWrt(), /*seeded=*/false, symbols);
    if (failed(found))
      return failure();
    FuncOp adjoint = *found;
    OpBuilder b(op);
    auto call = CallOp::create(b, op.getLoc(), adjoint, op.getOperands());
    size_t numValues = callee.getNumResults();
    ValueRange results = call.getResults();
    op.replaceAllUsesWith(op.getWithValue() ? results
                                            : results.drop_front(numValues));
    op.erase();
    return success();
  }

  /// Functions that differentiation calls rather than inlines:
  /// checkpoint(f), whose intermediate values the backward pass recomputes
  /// (through its own vjp) instead of keeping, and @custom_vjp functions,
  /// whose rule it calls.
  static bool keptAsCall(FuncOp fn) {
    return fn &&
           (fn->hasAttr("spore.checkpoint") || fn->hasAttr(ad::kCustomVjpAttr));
  }

  /// Inlines every call in `fn`, transitively, except calls of
  /// checkpointed and recursive functions, and of separate ones where
  /// `keepSeparate` (the derivative of such a call is a call of the
  /// callee's derivative).
  LogicalResult inlineCalls(FuncOp fn, SymbolTable &symbols, bool forward,
                            bool keepSeparate) {
    // Forward mode keeps nothing for a backward pass: checkpoints inline.
    llvm::DenseMap<Operation *, bool> keptCache;
    SymbolTableCollection collection;
    auto kept = [&](FuncOp target) {
      auto [it, inserted] = keptCache.try_emplace(target, false);
      if (inserted)
        it->second = target && ((forward ? target->hasAttr(ad::kCustomVjpAttr)
                                         : keptAsCall(target)) ||
                                (keepSeparate && isSeparatePrimal(target)) ||
                                callsItself(target, collection));
      return it->second;
    };
    while (true) {
      SmallVector<CallOp> calls;
      fn.walk([&](CallOp call) {
        if (!kept(symbols.lookup<FuncOp>(call.getCallee())))
          calls.push_back(call);
      });
      if (calls.empty())
        return success();
      for (CallOp call : calls) {
        auto target = symbols.lookup<FuncOp>(call.getCallee());
        Block &body = target.getBody().front();
        IRMapping map;
        map.map(body.getArguments(), call.getOperands());
        OpBuilder b(call);
        for (Operation &inner : body.without_terminator())
          b.clone(inner, map);
        auto ret = cast<ReturnOp>(body.getTerminator());
        for (auto [result, value] :
             llvm::zip(call.getResults(), ret.getOperands()))
          result.replaceAllUsesWith(map.lookupOrDefault(value));
        call.erase();
      }
    }
  }

  /// Unrolls the short loops of `fn` whose trip count is a compile-time
  /// constant (`for i in range(4)`), innermost first: straight-line code
  /// needs no value stack, and folds further. Other loops are reversed as
  /// loops.
  LogicalResult unrollLoops(FuncOp fn) {
    // Folding makes the bounds constants (index_cast of a constant).
    if (failed(simplify(fn)))
      return failure();
    SmallVector<scf::ForOp> loops;
    fn.walk([&](scf::ForOp loop) { loops.push_back(loop); }); // inner first
    for (scf::ForOp loop : loops) {
      std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
      std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
      std::optional<int64_t> step = getConstantIntValue(loop.getStep());
      if (!lb || !ub || !step || *step <= 0)
        continue;
      int64_t trips = *ub > *lb ? (*ub - *lb + *step - 1) / *step : 0;
      if (trips > kMaxUnroll)
        continue;
      if (failed(loopUnrollFull(loop)))
        return loop.emitError("could not unroll this loop to differentiate "
                              "it");
    }
    return success();
  }
  static constexpr int64_t kMaxUnroll = 16;

  /// Appends to `fn` the gradients with respect to the arguments `wrt`,
  /// returned after its results: of its first result (seeded with 1), or,
  /// when `seeded`, of the products of its results with cotangents that
  /// become arguments after the others.
  LogicalResult reverse(FuncOp fn, ArrayRef<int64_t> wrt, bool seeded) {
    Block &body = fn.getBody().front();
    auto ret = cast<ReturnOp>(body.getTerminator());
    SmallVector<Value> seeds;
    if (seeded)
      for (Value r : ret.getOperands())
        seeds.push_back(body.addArgument(r.getType(), ret.getLoc()));
    Adjoint adjoint;
    adjoint.replay = replay;
    adjoint.vjpOf = [&](FuncOp callee, ArrayRef<int64_t> operands) {
      return adjointOf(callee, operands, /*seeded=*/true, *symbolTable);
    };
    adjoint.splitOf = [&](FuncOp callee, ArrayRef<int64_t> operands) {
      return splitOf(callee, operands, *symbolTable);
    };
    adjoint.symbols = symbolTable;
    for (int64_t i : wrt)
      adjoint.active.insert(body.getArgument(i));
    SmallVector<Operation *> ops;
    for (Operation &op : body.without_terminator())
      ops.push_back(&op);
    if (failed(adjoint.markActive(ops)))
      return failure();

    OpBuilder b(ret);
    Location loc = ret.getLoc();
    ad::CotangentMap cotangent;
    if (seeded) {
      for (auto [r, seed] : llvm::zip(ret.getOperands(), seeds))
        if (adjoint.active.count(r) && isFloatTensor(r))
          Adjoint::accumulate(b, loc, cotangent, r, seed);
    } else if (Value out = ret.getOperand(0); adjoint.active.count(out)) {
      auto type = cast<RankedTensorType>(out.getType());
      cotangent[out] = ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(type,
                                 b.getFloatAttr(type.getElementType(), 1.0)));
    }
    if (failed(adjoint.reverseOps(ops, cotangent, b)))
      return failure();

    SmallVector<Value> results(ret.getOperands());
    for (int64_t i : wrt) {
      Value arg = body.getArgument(i);
      Value g = cotangent.lookup(arg);
      results.push_back(g ? g : zerosOf(b, loc, arg.getType()));
    }
    ReturnOp::create(b, loc, results);
    ret.erase();
    fn.setFunctionType(FunctionType::get(fn.getContext(),
                                         body.getArgumentTypes(),
                                         ValueRange(results).getTypes()));
    return success();
  }
};

} // namespace
