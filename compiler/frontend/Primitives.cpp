//===- Primitives.cpp - the table of primitives ---------------------------===//
//
// Every primitive of language.md §5 that the emitter implements, in one
// table: its parameters, which have defaults, and the function that emits
// it (Prim<Family>.cpp, one file per family). A call binds its arguments
// by the table, so every primitive takes keywords and reports a missing or
// unknown argument the same way; compositions live in the prelude
// (prelude.py).
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

const llvm::StringMap<Primitive> &FunctionEmitter::primitiveTable() {
  using F = FunctionEmitter;
  static const llvm::StringMap<Primitive> table = [] {
    constexpr unsigned Typed = Primitive::TypesItsResult;
    llvm::StringMap<Primitive> t = {
        // Elementwise (PrimElementwise.cpp).
        {"maximum", {{"x", "y"}, 2, 0, &F::primBinary}},
        {"minimum", {{"x", "y"}, 2, 0, &F::primBinary}},
        {"pow", {{"x", "y"}, 2, 0, &F::primBinary}},
        {"matmul", {{"a", "b"}, 2, 0, &F::primBinary}},
        {"atan2", {{"y", "x"}, 2, 0, &F::primAtan2}},
        {"polygamma", {{"n", "x"}, 2, 0, &F::primPolygamma}},
        {"where",
         {{"cond", "x", "y"}, 3, Primitive::FirstSelects, &F::primWhere}},
        {"astype", {{"x", "dtype"}, 2, Typed, &F::primAstype}},
        {"stop_gradient", {{"x"}, 1, 0, &F::primStopGradient}},
        // State updates (EmitCell.cpp).
        {"assign", {{"target", "value"}, 2, Typed, &F::primAssign}},
        {"_state_like", {{"cell", "fill"}, 2, Typed, &F::primStateLike}},
        {"_check_labels", {{"labels", "n"}, 2, 0, &F::primCheckLabels}},
        {"str", {{"x"}, 1, 0, &F::primStr}},
        {"len", {{"x"}, 1, Typed, &F::primLen}},
        {"callable", {{"x"}, 1, Typed, &F::primCallable}},
        {"_is_tuple", {{"x"}, 1, Typed, &F::primCallable}},
        // Reductions and scans (PrimReduce.cpp).
        {"sum", {{"x", "axis", "keepdims"}, 1, 0, &F::primReduce}},
        {"mean", {{"x", "axis", "keepdims"}, 1, 0, &F::primReduce}},
        {"max", {{"x", "axis", "keepdims"}, 1, 0, &F::primReduce}},
        {"min", {{"x", "axis", "keepdims"}, 1, 0, &F::primReduce}},
        {"prod", {{"x", "axis", "keepdims"}, 1, 0, &F::primReduce}},
        {"softmax", {{"x", "axis"}, 1, 0, &F::primSoftmax}},
        {"log_softmax", {{"x", "axis"}, 1, 0, &F::primSoftmax}},
        {"cumsum", {{"x", "axis"}, 1, 0, &F::primCumsum}},
        // Shapes (PrimShape.cpp).
        {"reshape", {{"x", "shape"}, 2, Primitive::PacksRest, &F::primReshape}},
        {"transpose", {{"x", "axes"}, 1, 0, &F::primTranspose}},
        {"broadcast_to", {{"x", "shape"}, 2, 0, &F::primBroadcastTo}},
        {"concatenate", {{"xs", "axis"}, 1, 0, &F::primConcatenate}},
        {"flip", {{"x", "axis"}, 1, 0, &F::primFlip}},
        {"pad", {{"x", "pad_width", "constant_values"}, 2, 0, &F::primPad}},
        // split(x, indices_or_sections, axis), or split(key) of a random
        // key (PrimRandom.cpp).
        {"split", {{"x", "indices_or_sections", "axis"}, 1, 0, &F::primSplit}},
        {"gather", {{"x", "indices", "axis"}, 2, 0, &F::primGather}},
        {"scatter_add",
         {{"x", "indices", "updates", "axis"}, 3, 0, &F::primGather}},
        {"slice", {{"x", "starts", "sizes"}, 3, 0, &F::primSlice}},
        // Constants (PrimConstruct.cpp).
        {"zeros", {{"shape", "dtype"}, 1, Typed, &F::primFill}},
        {"ones", {{"shape", "dtype"}, 1, Typed, &F::primFill}},
        {"full", {{"shape", "fill_value", "dtype"}, 2, Typed, &F::primFill}},
        {"arange",
         {{"start", "stop", "step", "dtype"}, 1, Typed, &F::primArange}},
        {"linspace",
         {{"start", "stop", "num", "endpoint", "dtype"},
          2,
          Typed,
          &F::primLinspace}},
        {"eye", {{"n", "m", "k", "dtype"}, 1, Typed, &F::primEye}},
        // Contractions and windows (PrimContract.cpp).
        {"einsum", {{}, 0, Primitive::Unbound, &F::primEinsum}},
        {"conv2d",
         {{"x", "w", "stride", "padding", "dilation", "groups"},
          2,
          0,
          &F::primWindow}},
        {"max_pool2d",
         {{"x", "window", "stride", "padding"}, 2, 0, &F::primWindow}},
        {"avg_pool2d",
         {{"x", "window", "stride", "padding"}, 2, 0, &F::primWindow}},
        // Random numbers (PrimRandom.cpp).
        {"rng", {{"seed"}, 1, Typed, &F::primRng}},
        {"random_bits", {{"key", "shape"}, 2, Typed, &F::primRandom}},
        {"random_uniform",
         {{"key", "shape", "dtype"}, 2, Typed, &F::primRandom}},
        // Transforms (EmitTransform.cpp).
        {"grad", {{}, 0, Primitive::Unbound, &F::primTransform}},
        {"value_and_grad", {{}, 0, Primitive::Unbound, &F::primTransform}},
        {"jacrev", {{}, 0, Primitive::Unbound, &F::primTransform}},
        {"jacfwd", {{}, 0, Primitive::Unbound, &F::primTransform}},
        {"hessian", {{}, 0, Primitive::Unbound, &F::primTransform}},
        {"checkpoint", {{}, 0, Primitive::Unbound, &F::primTransform}},
        {"vjp", {{}, 0, Primitive::Unbound, &F::primVjp}},
        {"jvp", {{}, 0, Primitive::Unbound, &F::primJvp}},
    };
    for (StringRef name : unaryPrimitiveNames())
      t.try_emplace(name, Primitive{{"x"}, 1, 0, &F::primUnary});
    return t;
  }();
  return table;
}

bool isPrimitive(StringRef name) {
  return FunctionEmitter::primitiveTable().contains(name);
}

/// The value of an elementwise primitive on a number, computed at compile
/// time in double precision by the interpreter's kernel (an int stays an
/// int through neg, abs and relu, as in Python).
static std::optional<EValue> foldUnary(StringRef name, const EValue &x) {
  if (name == "neg" || name == "abs" || name == "relu") {
    if (x.kind == EValue::Int && x.i != INT64_MIN)
      return EValue::ofInt(name == "neg"   ? -x.i
                           : name == "abs" ? std::abs(x.i)
                                           : std::max<int64_t>(x.i, 0));
    if (x.kind != EValue::Float)
      return std::nullopt;
  }
  if (!x.isScalarConst())
    return std::nullopt;
  std::optional<double> v = evaluateUnary(name, x.asDouble());
  return v ? std::optional<EValue>(EValue::ofFloat(*v)) : std::nullopt;
}

FailureOr<EValue> FunctionEmitter::callPrimitive(StringRef name,
                                                 CallSite call) {
  auto it = primitiveTable().find(name);
  if (it == primitiveTable().end())
    return fail(call.loc, "'" + name + "' is not supported yet");
  const Primitive &prim = it->second;
  if (prim.flags & Primitive::Unbound)
    return callTypedPrimitive(name, call);
  // A primitive of values computed from literals only gives such a value
  // (language.md §2): folded when it is a number, weak when a tensor.
  if (call.args.size() == 1 && call.keywords.empty())
    if (std::optional<EValue> folded = foldUnary(name, call.args[0]))
      return *folded;
  bool weak = !(prim.flags & Primitive::TypesItsResult);
  bool anyData = false;
  size_t first = prim.flags & Primitive::FirstSelects ? 1 : 0;
  for (const std::vector<EValue> *list : {&call.args, &call.kwValues})
    for (size_t i = list == &call.args ? first : 0; i < list->size(); ++i) {
      const EValue &v = (*list)[i];
      if (v.kind == EValue::DType || (!v.isWeak() && v.holdsTensor()))
        weak = false;
      anyData |= v.holdsTensor() || v.kind == EValue::Float;
    }
  auto result = callTypedPrimitive(name, call);
  if (failed(result) || !weak || !anyData)
    return result;
  return result->withWeak(true);
}

FailureOr<EValue> FunctionEmitter::callTypedPrimitive(StringRef name,
                                                      CallSite &call) {
  auto it = primitiveTable().find(name);
  if (it == primitiveTable().end())
    return fail(call.loc, "'" + name + "' is not supported yet");
  const Primitive &prim = it->second;
  if (prim.flags & Primitive::Unbound)
    return (this->*prim.emit)(PrimitiveCall{name, BoundArgs(), call});
  size_t arity = prim.params.size();
  if ((prim.flags & Primitive::PacksRest) && call.args.size() > arity) {
    // x.reshape(2, 3): the trailing positional arguments are one tuple.
    std::vector<EValue> rest(call.args.begin() + (arity - 1), call.args.end());
    call.args.resize(arity - 1);
    call.args.push_back(EValue::ofTuple(std::move(rest)));
    call.argLocs.resize(arity);
  }
  auto bound = bindArgs(name, prim.params, prim.required, call);
  if (failed(bound))
    return mlir::failure();
  return (this->*prim.emit)(PrimitiveCall{name, std::move(*bound), call});
}

} // namespace spore::frontend::detail
