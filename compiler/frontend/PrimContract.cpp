//===- PrimContract.cpp - contractions and windows ------------------------===//
//
// einsum (matmul is a binary operator) and the windowed primitives:
// conv2d, max_pool2d and avg_pool2d.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Emitter.h"

using namespace spore;

namespace spore::frontend::detail {

FailureOr<EValue> FunctionEmitter::primEinsum(const PrimitiveCall &p) {
  const std::vector<EValue> &args = p.call.args;
  const std::vector<SMLoc> &argLocs = p.call.argLocs;
  const std::vector<KeywordName> &kws = p.call.keywords;
  SMLoc l = p.call.loc;
  if (!kws.empty())
    return fail(kws[0].loc, "einsum takes no keyword arguments");
  if (args.size() < 2 || args[0].kind != EValue::String)
    return fail(l, "einsum needs a subscripts string and operands, as in "
                   "einsum('ij,jk->ik', a, b)");
  std::string spec;
  for (char c : args[0].str)
    if (!std::isspace((unsigned char)c))
      spec += c;
  if (spec.find("...") != std::string::npos)
    return fail(argLocs[0], "einsum with '...' is not supported yet");
  std::string inputs = spec, output;
  bool explicitOutput = false;
  if (auto arrow = spec.find("->"); arrow != std::string::npos) {
    inputs = spec.substr(0, arrow);
    output = spec.substr(arrow + 2);
    explicitOutput = true;
  }
  struct Term {
    std::string labels;
    EValue value;
  };
  std::vector<Term> terms;
  llvm::SmallVector<StringRef> parts;
  StringRef(inputs).split(parts, ',');
  if (parts.size() != args.size() - 1)
    return fail(argLocs[0],
                "einsum subscripts name " + std::to_string(parts.size()) +
                    " operands, but " + std::to_string(args.size() - 1) +
                    " were given");
  std::map<char, int64_t> sizes;
  std::map<char, int> count;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto t = toTensor(args[i + 1], argLocs[i + 1]);
    if (failed(t))
      return mlir::failure();
    std::string labels = parts[i].str();
    RankedTensorType type = t->tensorType();
    if ((int64_t)labels.size() != type.getRank())
      return fail(argLocs[i + 1], "einsum operand " + std::to_string(i) +
                                      " has rank " +
                                      std::to_string(type.getRank()) +
                                      " but subscripts '" + labels + "'");
    for (size_t k = 0; k < labels.size(); ++k) {
      char c = labels[k];
      if (!std::isalpha((unsigned char)c))
        return fail(argLocs[0], std::string("einsum subscripts must be "
                                            "letters, got '") +
                                    c + "'");
      if (labels.find(c) != k)
        return fail(argLocs[0], std::string("einsum subscript '") + c +
                                    "' repeats within an operand (diagonals "
                                    "are not supported yet)");
      auto [it, fresh] = sizes.emplace(c, type.getDimSize(k));
      if (!fresh && it->second != type.getDimSize(k))
        return fail(argLocs[i + 1], std::string("einsum subscript '") + c +
                                        "' has sizes " +
                                        std::to_string(it->second) + " and " +
                                        std::to_string(type.getDimSize(k)));
      ++count[c];
    }
    terms.push_back({labels, *t});
  }
  if (!explicitOutput)
    for (auto [c, n] : count) // NumPy: labels used once, sorted
      if (n == 1)
        output += c;
  for (size_t k = 0; k < output.size(); ++k) {
    if (!sizes.count(output[k]))
      return fail(argLocs[0], std::string("einsum output subscript '") +
                                  output[k] + "' is not in any operand");
    if (output.find(output[k]) != k)
      return fail(argLocs[0], std::string("einsum output subscript '") +
                                  output[k] + "' repeats");
  }
  mlir::Location ml = loc(l);
  auto permute = [&](Term &t, const std::string &order) {
    if (t.labels == order)
      return;
    llvm::SmallVector<int64_t> perm, shape;
    for (char c : order) {
      perm.push_back(t.labels.find(c));
      shape.push_back(sizes[c]);
    }
    auto type =
        RankedTensorType::get(shape, t.value.tensorType().getElementType());
    t.value = EValue::ofTensor(TransposeOp::create(
        b, ml, type, t.value.tensor, b.getDenseI64ArrayAttr(perm)));
    t.labels = order;
  };
  auto reshape = [&](Term &t, llvm::ArrayRef<int64_t> shape) {
    auto type =
        RankedTensorType::get(shape, t.value.tensorType().getElementType());
    if (t.value.tensor.getType() != type)
      t.value =
          EValue::ofTensor(ReshapeOp::create(b, ml, type, t.value.tensor));
  };
  // Sums out the labels of `t` that `keep` does not hold.
  auto sumOut = [&](Term &t, const std::string &keep) -> mlir::LogicalResult {
    llvm::SmallVector<int64_t> axes;
    std::string rest;
    for (size_t k = 0; k < t.labels.size(); ++k)
      if (keep.find(t.labels[k]) == std::string::npos)
        axes.push_back(k);
      else
        rest += t.labels[k];
    if (axes.empty())
      return mlir::success();
    t.value =
        EValue::ofTensor(SumOp::create(b, ml, t.value.tensor, axes, false));
    t.labels = rest;
    return mlir::success();
  };
  auto needed = [&](size_t from) {
    std::string keep = output;
    for (size_t j = from; j < terms.size(); ++j)
      keep += terms[j].labels;
    return keep;
  };
  Term acc = terms[0];
  for (size_t i = 1; i <= terms.size(); ++i) {
    std::string keep = needed(i);
    if (failed(sumOut(acc, keep + (i < terms.size() ? terms[i].labels : ""))))
      return mlir::failure();
    if (i == terms.size())
      break;
    Term rhs = terms[i];
    if (failed(sumOut(rhs, needed(i + 1) + acc.labels)))
      return mlir::failure();
    auto u = unify("einsum", acc.value, rhs.value, l);
    if (failed(u))
      return mlir::failure();
    acc.value = u->first;
    rhs.value = u->second;
    // Batch labels stay, contracted ones go: [batch, left, contracted] @
    // [batch, contracted, right] as one batched matmul.
    std::string later = needed(i + 1), batch, contracted, left, right;
    for (char c : acc.labels) {
      bool inRhs = rhs.labels.find(c) != std::string::npos;
      if (!inRhs)
        left += c;
      else if (later.find(c) != std::string::npos)
        batch += c;
      else
        contracted += c;
    }
    for (char c : rhs.labels)
      if (acc.labels.find(c) == std::string::npos)
        right += c;
    auto product = [&](const std::string &ls) {
      int64_t p = 1;
      for (char c : ls)
        p *= sizes[c];
      return p;
    };
    permute(acc, batch + left + contracted);
    permute(rhs, batch + contracted + right);
    reshape(acc, {product(batch), product(left), product(contracted)});
    reshape(rhs, {product(batch), product(contracted), product(right)});
    auto r = binaryOp("@", acc.value, rhs.value, l);
    if (failed(r))
      return mlir::failure();
    acc.value = *r;
    acc.labels = batch + left + right;
    llvm::SmallVector<int64_t> shape;
    for (char c : acc.labels)
      shape.push_back(sizes[c]);
    reshape(acc, shape);
  }
  if (failed(sumOut(acc, output)))
    return mlir::failure();
  permute(acc, output);
  return acc.value;
}

FailureOr<EValue> FunctionEmitter::primWindow(const PrimitiveCall &p) {
  StringRef name = p.name;
  const BoundArgs *a = &p.a;
  SMLoc l = p.call.loc;
  bool conv = name == "conv2d";
  auto x = toTensor(*a->get(0), a->locs[0]);
  if (failed(x))
    return mlir::failure();
  if (!mlir::isa<mlir::FloatType>(x->tensorType().getElementType())) {
    x = castTo(*x, b.getF32Type(), l);
    if (failed(x))
      return mlir::failure();
  }
  RankedTensorType xt = x->tensorType();
  if (xt.getRank() != 4)
    return fail(a->locs[0], "'" + name +
                                "' needs NHWC activations of rank 4, got " +
                                typeName(xt));
  // An int, or a pair of ints, for the two spatial dimensions.
  auto pair = [&](size_t i, int64_t dflt,
                  const char *what) -> FailureOr<std::array<int64_t, 2>> {
    const EValue *v = a->get(i);
    if (!v || v->kind == EValue::None)
      return std::array<int64_t, 2>{dflt, dflt};
    if (v->kind == EValue::Int)
      return std::array<int64_t, 2>{v->i, v->i};
    if (v->kind == EValue::Tuple && v->elts.size() == 2 &&
        v->elts[0].kind == EValue::Int && v->elts[1].kind == EValue::Int)
      return std::array<int64_t, 2>{v->elts[0].i, v->elts[1].i};
    return fail(a->locs[i], std::string(what) + " of '" + name.str() +
                                "' must be a compile-time int or pair of "
                                "ints");
  };
  EValue w;
  std::array<int64_t, 2> window;
  if (conv) {
    auto wv = toTensor(*a->get(1), a->locs[1]);
    if (failed(wv))
      return mlir::failure();
    w = *wv;
    if (w.tensorType().getRank() != 4)
      return fail(a->locs[1], "conv2d needs an HWIO filter of rank 4, got " +
                                  typeName(w.tensorType()));
    if (w.tensorType().getElementType() != xt.getElementType()) {
      auto c = castTo(w, xt.getElementType(), a->locs[1]);
      if (failed(c))
        return mlir::failure();
      w = *c;
    }
    window = {w.tensorType().getDimSize(0), w.tensorType().getDimSize(1)};
  } else {
    auto wv = pair(1, 1, "window");
    if (failed(wv))
      return mlir::failure();
    window = *wv;
  }
  auto stride = pair(2, conv ? 1 : -1, "stride");
  if (failed(stride))
    return mlir::failure();
  if ((*stride)[0] == -1)
    *stride = window; // pooling: the window's size by default
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
  if (conv) {
    auto d = pair(4, 1, "dilation");
    if (failed(d))
      return mlir::failure();
    dilation = *d;
    if (const EValue *g = a->get(5)) {
      if (g->kind != EValue::Int)
        return fail(a->locs[5], "groups must be a compile-time int");
      groups = g->i;
    }
  }
  for (int64_t v : {(*stride)[0], (*stride)[1], dilation[0], dilation[1],
                    window[0], window[1], groups})
    if (v <= 0)
      return fail(l, "'" + name +
                         "' needs positive window sizes, strides, "
                         "dilations and groups");
  // padding: an int, a pair (per dimension), a pair of pairs, or "valid" /
  // "same" (the output has ceil(size / stride) elements).
  std::array<int64_t, 4> padding{0, 0, 0, 0};
  if (const EValue *p = a->get(3)) {
    if (p->kind == EValue::String && (p->str == "valid" || p->str == "same")) {
      if (p->str == "same")
        for (int d = 0; d < 2; ++d) {
          int64_t size = xt.getDimSize(1 + d);
          int64_t outSize = (size + (*stride)[d] - 1) / (*stride)[d];
          int64_t total =
              std::max<int64_t>((outSize - 1) * (*stride)[d] +
                                    (window[d] - 1) * dilation[d] + 1 - size,
                                0);
          padding[2 * d] = total / 2;
          padding[2 * d + 1] = total - total / 2;
        }
    } else if (p->kind == EValue::Tuple && p->elts.size() == 2 &&
               p->elts[0].kind == EValue::Tuple) {
      for (int d = 0; d < 2; ++d) {
        const EValue &q = p->elts[d];
        if (q.kind != EValue::Tuple || q.elts.size() != 2 ||
            q.elts[0].kind != EValue::Int || q.elts[1].kind != EValue::Int)
          return fail(a->locs[3], "padding pairs must hold compile-time ints");
        padding[2 * d] = q.elts[0].i;
        padding[2 * d + 1] = q.elts[1].i;
      }
    } else {
      auto pv = pair(3, 0, "padding");
      if (failed(pv))
        return mlir::failure();
      padding = {(*pv)[0], (*pv)[0], (*pv)[1], (*pv)[1]};
    }
  }
  for (int64_t v : padding)
    if (v < 0)
      return fail(a->locs[3], "padding must not be negative");
  int64_t oh = windowOutputSize(xt.getDimSize(1), window[0], (*stride)[0],
                                dilation[0], padding[0] + padding[1]);
  int64_t ow = windowOutputSize(xt.getDimSize(2), window[1], (*stride)[1],
                                dilation[1], padding[2] + padding[3]);
  if (oh < 0 || ow < 0)
    return fail(l, "the " + std::string(conv ? "filter" : "window") + " (" +
                       std::to_string(window[0]) + "x" +
                       std::to_string(window[1]) +
                       ") does not fit in the padded input " + typeName(xt));
  mlir::Location ml = loc(l);
  if (conv) {
    int64_t c = xt.getDimSize(3), wc = w.tensorType().getDimSize(2),
            f = w.tensorType().getDimSize(3);
    if (c % groups != 0 || f % groups != 0)
      return fail(l, "conv2d groups (" + std::to_string(groups) +
                         ") must divide the input channels (" +
                         std::to_string(c) + ") and the filters (" +
                         std::to_string(f) + ")");
    if (wc * groups != c)
      return fail(a->locs[1], "conv2d filter " + typeName(w.tensorType()) +
                                  " expects " + std::to_string(wc * groups) +
                                  " input channels, the input has " +
                                  std::to_string(c));
    return EValue::ofTensor(Conv2DOp::create(
        b, ml, x->tensor, w.tensor, b.getDenseI64ArrayAttr(*stride),
        b.getDenseI64ArrayAttr(dilation), b.getDenseI64ArrayAttr(padding),
        b.getI64IntegerAttr(groups)));
  }
  return EValue::ofTensor(Pool2DOp::create(
      b, ml, name == "max_pool2d" ? PoolKind::max : PoolKind::avg, x->tensor,
      b.getDenseI64ArrayAttr(window), b.getDenseI64ArrayAttr(*stride),
      b.getDenseI64ArrayAttr(padding)));
}

} // namespace spore::frontend::detail
