//===- SporeDerivatives.cpp - reverse-mode rules of the primitives --------===//
//
// The DifferentiableOp interface of each differentiable primitive: its
// vector-Jacobian product, built from other spore ops (so that the adjoint
// is ordinary spore IR, differentiable again for higher orders). The
// conventions at kinks are those of docs/differentiation.md.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace spore;

namespace {

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

/// Builds the spore ops that the rules are written in.
struct Rules {
  OpBuilder &b;
  Location loc;

  static RankedTensorType type(Value v) {
    return cast<RankedTensorType>(v.getType());
  }
  Value splat(RankedTensorType t, double c) {
    Type et = t.getElementType();
    Attribute a = isa<FloatType>(et) ? (Attribute)b.getFloatAttr(et, c)
                                     : (Attribute)b.getIntegerAttr(et, c);
    return ConstantOp::create(b, loc, DenseElementsAttr::get(t, a));
  }
  Value like(Value v, double c) { return splat(type(v), c); }
  Value zerosLike(Value v) { return like(v, 0); }
  Value add(Value x, Value y) { return AddOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return SubOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return MulOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return DivOp::create(b, loc, x, y); }
  Value neg(Value x) { return NegOp::create(b, loc, x); }
  Value scale(Value x, double c) { return mul(x, like(x, c)); }
  Value exp(Value x) { return ExpOp::create(b, loc, x); }
  Value log(Value x) { return LogOp::create(b, loc, x); }
  Value cmp(ComparePredicate p, Value x, Value y) {
    auto t = RankedTensorType::get(type(x).getShape(), b.getI1Type());
    return CompareOp::create(
        b, loc, t, ComparePredicateAttr::get(b.getContext(), p), x, y);
  }
  Value select(Value c, Value x, Value y) {
    return SelectOp::create(b, loc, c, x, y);
  }
  Value reshape(Value x, ArrayRef<int64_t> shape) {
    auto t = RankedTensorType::get(shape, type(x).getElementType());
    return t == x.getType() ? x : ReshapeOp::create(b, loc, t, x).getResult();
  }
  Value broadcast(Value x, RankedTensorType t) {
    return t == x.getType() ? x
                            : BroadcastToOp::create(b, loc, t, x).getResult();
  }
  Value sum(Value x, ArrayRef<int64_t> axes, bool keepdims) {
    if (axes.empty())
      return x;
    return SumOp::create(b, loc, x, axes, keepdims); // its type is inferred
  }
  /// `g`, of a broadcast result's shape, summed back to `t`'s (NumPy
  /// broadcasting in reverse).
  Value unbroadcast(Value g, RankedTensorType t) {
    ArrayRef<int64_t> gs = type(g).getShape(), ts = t.getShape();
    int64_t lead = gs.size() - ts.size();
    SmallVector<int64_t> axes;
    for (int64_t d = 0; d < (int64_t)gs.size(); ++d)
      if (d < lead || (ts[d - lead] == 1 && gs[d] != 1))
        axes.push_back(d);
    return reshape(sum(g, axes, /*keepdims=*/false), ts);
  }
  /// `x` with the last two dimensions swapped.
  Value swapLast(Value x) {
    int64_t r = type(x).getRank();
    SmallVector<int64_t> perm(r);
    std::iota(perm.begin(), perm.end(), 0);
    std::swap(perm[r - 1], perm[r - 2]);
    return TransposeOp::create(b, loc, x, perm);
  }
  /// NumPy matmul of operands of rank >= 2.
  Value matmul(Value x, Value y) { return MatmulOp::create(b, loc, x, y); }
  Value slice(Value x, ArrayRef<int64_t> starts, ArrayRef<int64_t> steps,
              ArrayRef<int64_t> shape) {
    auto t = RankedTensorType::get(shape, type(x).getElementType());
    return SliceOp::create(b, loc, t, x, starts, steps);
  }
  /// `x` with `update` written at `starts` with `steps`.
  Value update(Value x, Value update, ArrayRef<int64_t> starts,
               ArrayRef<int64_t> steps) {
    return UpdateSliceOp::create(b, loc, x.getType(), x, update,
                                 b.getDenseI64ArrayAttr(starts),
                                 b.getDenseI64ArrayAttr(steps));
  }
  Value concat(ValueRange xs, int64_t axis) {
    if (xs.size() == 1)
      return xs[0];
    return ConcatenateOp::create(b, loc, xs, axis);
  }
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    bool identity = true;
    for (auto [i, p] : llvm::enumerate(perm))
      identity &= (int64_t)i == p;
    if (identity)
      return x;
    return TransposeOp::create(b, loc, x, perm);
  }
  /// `x` reversed along `axis` (a slice with step -1).
  Value flip(Value x, int64_t axis) {
    int64_t n = type(x).getDimSize(axis);
    if (n <= 1)
      return x;
    SmallVector<int64_t> starts(type(x).getRank(), 0),
        steps(type(x).getRank(), 1);
    starts[axis] = n - 1;
    steps[axis] = -1;
    return SliceOp::create(b, loc, x.getType(), x, starts, steps);
  }
};

/// The rule of an elementwise unary op: `fn(rules, x, y, g)` is the
/// cotangent of the input `x` given the result `y` and its cotangent `g`.
template <typename Fn>
LogicalResult unaryRule(Operation *op, OpBuilder &b, ValueRange cots,
                        SmallVectorImpl<Value> &out, Fn fn) {
  Value x = op->getOperand(0), y = op->getResult(0), g = cots[0];
  if (!g || !isFloatTensor(x)) {
    out.push_back(nullptr);
    return success();
  }
  Rules r{b, op->getLoc()};
  out.push_back(fn(r, x, y, g));
  return success();
}

/// The rule of an elementwise binary op (operands of the result's type):
/// `fn` returns the cotangents of both operands.
template <typename Fn>
LogicalResult binaryRule(Operation *op, OpBuilder &b, ValueRange cots,
                         SmallVectorImpl<Value> &out, Fn fn) {
  Value x = op->getOperand(0), z = op->getOperand(1), y = op->getResult(0),
        g = cots[0];
  if (!g || !isFloatTensor(y)) {
    out.append({nullptr, nullptr});
    return success();
  }
  Rules r{b, op->getLoc()};
  auto [gx, gz] = fn(r, x, z, y, g);
  out.append({gx, gz});
  return success();
}

/// A piecewise-constant op: zero derivative everywhere it has one.
LogicalResult zeroRule(Operation *op, SmallVectorImpl<Value> &out) {
  out.append(op->getNumOperands(), nullptr);
  return success();
}

/// The shape of a reduction's input with the reduced axes kept as 1.
SmallVector<int64_t> keptShape(Value input, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> shape(Rules::type(input).getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return shape;
}

} // namespace

#define SPORE_UNARY_RULE(OP, ...)                                              \
  LogicalResult OP::buildVJP(OpBuilder &b, ValueRange cots,                    \
                             SmallVectorImpl<Value> &out) {                    \
    return unaryRule(*this, b, cots, out,                                      \
                     [&](Rules &r, Value x, Value y, Value g) -> Value {       \
                       (void)x;                                                \
                       (void)y;                                                \
                       __VA_ARGS__                                             \
                     });                                                       \
  }

SPORE_UNARY_RULE(NegOp, return r.neg(g);)
SPORE_UNARY_RULE(ExpOp, return r.mul(g, y);)
SPORE_UNARY_RULE(LogOp, return r.div(g, x);)
SPORE_UNARY_RULE(TanhOp, return r.mul(g, r.sub(r.like(y, 1), r.mul(y, y)));)
SPORE_UNARY_RULE(SigmoidOp, return r.mul(r.mul(g, y), r.sub(r.like(y, 1), y));)
// relu'(0) = 0.
SPORE_UNARY_RULE(ReluOp,
                 return r.select(r.cmp(ComparePredicate::gt, x, r.zerosLike(x)),
                                 g, r.zerosLike(g));)
// |x|'(0) = 0.
SPORE_UNARY_RULE(AbsOp, {
  Value zero = r.zerosLike(x);
  return r.select(
      r.cmp(ComparePredicate::gt, x, zero), g,
      r.select(r.cmp(ComparePredicate::lt, x, zero), r.neg(g), r.zerosLike(g)));
})
SPORE_UNARY_RULE(SqrtOp, return r.div(g, r.scale(y, 2));)
SPORE_UNARY_RULE(RsqrtOp,
                 return r.mul(r.scale(g, -0.5), r.mul(y, r.mul(y, y)));)
SPORE_UNARY_RULE(Expm1Op, return r.mul(g, r.add(y, r.like(y, 1)));)
SPORE_UNARY_RULE(Log1pOp, return r.div(g, r.add(x, r.like(x, 1)));)
SPORE_UNARY_RULE(SinOp,
                 return r.mul(g, CosOp::create(r.b, r.loc, x.getType(), x));)
SPORE_UNARY_RULE(CosOp, return r.neg(r.mul(g, SinOp::create(r.b, r.loc,
                                                            x.getType(), x)));)
SPORE_UNARY_RULE(TanOp, return r.mul(g, r.add(r.like(y, 1), r.mul(y, y)));)
SPORE_UNARY_RULE(SinhOp,
                 return r.mul(g, CoshOp::create(r.b, r.loc, x.getType(), x));)
SPORE_UNARY_RULE(CoshOp,
                 return r.mul(g, SinhOp::create(r.b, r.loc, x.getType(), x));)
SPORE_UNARY_RULE(
    AsinOp, return r.mul(g, RsqrtOp::create(r.b, r.loc, x.getType(),
                                            r.sub(r.like(x, 1), r.mul(x, x))));)
SPORE_UNARY_RULE(AcosOp,
                 return r.neg(r.mul(g, RsqrtOp::create(r.b, r.loc, x.getType(),
                                                       r.sub(r.like(x, 1),
                                                             r.mul(x, x)))));)
SPORE_UNARY_RULE(AtanOp, return r.div(g, r.add(r.like(x, 1), r.mul(x, x)));)
SPORE_UNARY_RULE(ErfOp, return r.mul(r.scale(g, 2 / std::sqrt(M_PI)),
                                     r.exp(r.neg(r.mul(x, x))));)
SPORE_UNARY_RULE(LgammaOp, return r.mul(g, DigammaOp::create(r.b, r.loc,
                                                             x.getType(), x));)
SPORE_UNARY_RULE(DigammaOp,
                 return r.mul(g, PolygammaOp::create(r.b, r.loc, x.getType(), x,
                                                     1));)
#undef SPORE_UNARY_RULE

LogicalResult PolygammaOp::buildVJP(OpBuilder &b, ValueRange cots,
                                    SmallVectorImpl<Value> &out) {
  if (getOrder() >= 16)
    return emitOpError("cannot be differentiated beyond order 16");
  return unaryRule(
      *this, b, cots, out, [&](Rules &r, Value x, Value, Value g) -> Value {
        return r.mul(
            g, PolygammaOp::create(r.b, r.loc, x.getType(), x, getOrder() + 1));
      });
}

LogicalResult FloorOp::buildVJP(OpBuilder &, ValueRange,
                                SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult CeilOp::buildVJP(OpBuilder &, ValueRange,
                               SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult RoundOp::buildVJP(OpBuilder &, ValueRange,
                                SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult NotOp::buildVJP(OpBuilder &, ValueRange,
                              SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult AndOp::buildVJP(OpBuilder &, ValueRange,
                              SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult OrOp::buildVJP(OpBuilder &, ValueRange,
                             SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult XorOp::buildVJP(OpBuilder &, ValueRange,
                              SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult StopGradientOp::buildVJP(OpBuilder &, ValueRange,
                                       SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}
LogicalResult FloorDivOp::buildVJP(OpBuilder &, ValueRange,
                                   SmallVectorImpl<Value> &out) {
  return zeroRule(*this, out);
}

#define SPORE_BINARY_RULE(OP, ...)                                             \
  LogicalResult OP::buildVJP(OpBuilder &b, ValueRange cots,                    \
                             SmallVectorImpl<Value> &out) {                    \
    return binaryRule(*this, b, cots, out,                                     \
                      [&](Rules &r, Value x, Value z, Value y,                 \
                          Value g) -> std::pair<Value, Value> {                \
                        (void)x;                                               \
                        (void)z;                                               \
                        (void)y;                                               \
                        __VA_ARGS__                                            \
                      });                                                      \
  }

SPORE_BINARY_RULE(AddOp, return {g, g};)
SPORE_BINARY_RULE(SubOp, return {g, r.neg(g)};)
SPORE_BINARY_RULE(MulOp, return {r.mul(g, z), r.mul(g, x)};)
SPORE_BINARY_RULE(DivOp, return {r.div(g, z), r.neg(r.div(r.mul(g, y), z))};)
// Ties share the cotangent equally (as JAX does).
SPORE_BINARY_RULE(MaximumOp, {
  Value half = r.scale(g, 0.5), zero = r.zerosLike(g);
  Value gx = r.select(r.cmp(ComparePredicate::gt, x, z), g,
                      r.select(r.cmp(ComparePredicate::eq, x, z), half, zero));
  return {gx, r.sub(g, gx)};
})
SPORE_BINARY_RULE(MinimumOp, {
  Value half = r.scale(g, 0.5), zero = r.zerosLike(g);
  Value gx = r.select(r.cmp(ComparePredicate::lt, x, z), g,
                      r.select(r.cmp(ComparePredicate::eq, x, z), half, zero));
  return {gx, r.sub(g, gx)};
})
// d/dz x^z = x^z log x, taken as 0 where x = 0 (the limit for z > 0).
SPORE_BINARY_RULE(PowOp, {
  Value zm1 = r.sub(z, r.like(z, 1));
  Value gx = r.mul(r.mul(g, z), PowOp::create(r.b, r.loc, x, zm1));
  Value xIsZero = r.cmp(ComparePredicate::eq, x, r.zerosLike(x));
  Value safeX = r.select(xIsZero, r.like(x, 1), x);
  Value gz =
      r.select(xIsZero, r.zerosLike(g), r.mul(r.mul(g, y), r.log(safeX)));
  return {gx, gz};
})
SPORE_BINARY_RULE(Atan2Op, {
  Value d = r.add(r.mul(x, x), r.mul(z, z));
  return {r.div(r.mul(g, z), d), r.neg(r.div(r.mul(g, x), d))};
})
// x mod z = x - (x // z) z.
SPORE_BINARY_RULE(ModOp, {
  Value q = FloorDivOp::create(r.b, r.loc, x, z);
  return {g, r.neg(r.mul(g, q))};
})
#undef SPORE_BINARY_RULE

LogicalResult CastOp::buildVJP(OpBuilder &b, ValueRange cots,
                               SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()) || !isFloatTensor(getResult())) {
    out.push_back(nullptr);
    return success();
  }
  out.push_back(CastOp::create(b, getLoc(), getInput().getType(), cots[0]));
  return success();
}

LogicalResult SelectOp::buildVJP(OpBuilder &b, ValueRange cots,
                                 SmallVectorImpl<Value> &out) {
  Value g = cots[0];
  if (!g || !isFloatTensor(getResult())) {
    out.append(3, nullptr);
    return success();
  }
  Rules r{b, getLoc()};
  Value zero = r.zerosLike(g);
  out.append(
      {nullptr, r.select(getCond(), g, zero), r.select(getCond(), zero, g)});
  return success();
}

LogicalResult MatmulOp::buildVJP(OpBuilder &b, ValueRange cots,
                                 SmallVectorImpl<Value> &out) {
  Value g = cots[0], x = getLhs(), z = getRhs();
  if (!g || !isFloatTensor(getResult())) {
    out.append(2, nullptr);
    return success();
  }
  Rules r{b, getLoc()};
  // Vectors as matrices: a row on the left, a column on the right.
  auto xt = Rules::type(x), zt = Rules::type(z);
  SmallVector<int64_t> xs(xt.getShape()), zs(zt.getShape());
  bool xVec = xs.size() == 1, zVec = zs.size() == 1;
  if (xVec)
    xs.insert(xs.begin(), 1);
  if (zVec)
    zs.push_back(1);
  Value xm = r.reshape(x, xs), zm = r.reshape(z, zs);
  SmallVector<int64_t> gs(Rules::type(g).getShape());
  if (xVec)
    gs.insert(gs.end() - (zVec ? 0 : 1), 1);
  if (zVec)
    gs.push_back(1);
  Value gm = r.reshape(g, gs);
  auto xmt = Rules::type(xm), zmt = Rules::type(zm);
  Value gx = r.unbroadcast(r.matmul(gm, r.swapLast(zm)), xmt);
  Value gz;
  if (zmt.getRank() == 2 && xmt.getRank() > 2) {
    // A matrix shared by a batch (a weight applied to activations): one
    // matmul over the flattened batch instead of a batched one summed.
    int64_t rows = xmt.getNumElements() / xmt.getShape().back();
    Value xf = r.reshape(xm, {rows, xmt.getShape().back()});
    Value gf = r.reshape(gm, {rows, Rules::type(gm).getShape().back()});
    gz = r.matmul(r.swapLast(xf), gf);
  } else {
    gz = r.unbroadcast(r.matmul(r.swapLast(xm), gm), zmt);
  }
  out.append({r.reshape(gx, xt.getShape()), r.reshape(gz, zt.getShape())});
  return success();
}

/// The cotangent of a reduction's input broadcast back from `g`.
static Value spreadBack(Rules &r, Operation *op, Value g,
                        ArrayRef<int64_t> axes) {
  Value input = op->getOperand(0);
  return r.broadcast(r.reshape(g, keptShape(input, axes)), Rules::type(input));
}

LogicalResult SumOp::buildVJP(OpBuilder &b, ValueRange cots,
                              SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  Rules r{b, getLoc()};
  out.push_back(spreadBack(r, *this, cots[0], getAxes()));
  return success();
}

LogicalResult MeanOp::buildVJP(OpBuilder &b, ValueRange cots,
                               SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  Rules r{b, getLoc()};
  double count = 1;
  for (int64_t a : getAxes())
    count *= Rules::type(getInput()).getDimSize(a);
  Value spread = spreadBack(r, *this, cots[0], getAxes());
  out.push_back(r.scale(spread, count > 0 ? 1 / count : 0));
  return success();
}

/// max and min: the cotangent goes to the elements equal to the result,
/// shared equally among ties.
/// How a max or min reduction's result depends on each element of its
/// input: 1 / (number of ties) where the element equals the result, else 0.
static Value extremeWeights(Rules &r, Operation *op, ArrayRef<int64_t> axes) {
  Value x = op->getOperand(0);
  Value y = spreadBack(r, op, op->getResult(0), axes);
  Value hit =
      r.select(r.cmp(ComparePredicate::eq, x, y), r.like(x, 1), r.zerosLike(x));
  Value ties = r.broadcast(r.sum(hit, axes, /*keepdims=*/true), Rules::type(x));
  return r.div(hit, ties);
}

static LogicalResult extremeRule(Operation *op, ArrayRef<int64_t> axes,
                                 OpBuilder &b, ValueRange cots,
                                 SmallVectorImpl<Value> &out) {
  Value x = op->getOperand(0);
  if (!cots[0] || !isFloatTensor(x))
    return out.push_back(nullptr), success();
  Rules r{b, op->getLoc()};
  out.push_back(
      r.mul(spreadBack(r, op, cots[0], axes), extremeWeights(r, op, axes)));
  return success();
}

LogicalResult MaxOp::buildVJP(OpBuilder &b, ValueRange cots,
                              SmallVectorImpl<Value> &out) {
  return extremeRule(*this, getAxes(), b, cots, out);
}

LogicalResult MinOp::buildVJP(OpBuilder &b, ValueRange cots,
                              SmallVectorImpl<Value> &out) {
  return extremeRule(*this, getAxes(), b, cots, out);
}

/// Products along the last axis of `x` of the elements before each one
/// (1 for the first): a Hillis-Steele scan of log2(n) shifted products,
/// with no division, so it is exact at zeros and differentiates again.
static Value exclusiveProducts(Rules &r, Value x) {
  auto t = Rules::type(x);
  int64_t rank = t.getRank(), n = t.getDimSize(rank - 1);
  SmallVector<int64_t> zeros(rank, 0), ones(rank, 1);
  // `v` moved `s` places along the last axis, with ones coming in.
  auto shifted = [&](Value v, int64_t s) {
    SmallVector<int64_t> head(t.getShape()), tail(t.getShape());
    head.back() = s;
    tail.back() = n - s;
    Value fill = r.splat(RankedTensorType::get(head, t.getElementType()), 1);
    return r.concat({fill, r.slice(v, zeros, ones, tail)}, rank - 1);
  };
  Value v = x;
  for (int64_t s = 1; s < n; s *= 2)
    v = r.mul(v, shifted(v, s));
  return n > 0 ? shifted(v, 1) : v;
}

/// The product of the other elements of each element's group (prod's
/// derivative): the products before it times those after it, with the
/// reduced axes moved last and flattened into one.
static Value productOfOthers(Rules &r, ProdOp op) {
  Value x = op.getInput();
  auto t = Rules::type(x);
  ArrayRef<int64_t> axes = op.getAxes();
  SmallVector<int64_t> perm, grouped;
  int64_t n = 1;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (!llvm::is_contained(axes, d)) {
      perm.push_back(d);
      grouped.push_back(t.getDimSize(d));
    }
  for (int64_t d : axes) {
    perm.push_back(d);
    n *= t.getDimSize(d);
  }
  grouped.push_back(n);
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  Value moved = r.transpose(x, perm);
  SmallVector<int64_t> movedShape(Rules::type(moved).getShape());
  Value flat = r.reshape(moved, grouped);
  Value before = exclusiveProducts(r, flat);
  Value after = r.flip(exclusiveProducts(r, r.flip(flat, grouped.size() - 1)),
                       grouped.size() - 1);
  return r.transpose(r.reshape(r.mul(before, after), movedShape), inverse);
}

LogicalResult ProdOp::buildVJP(OpBuilder &b, ValueRange cots,
                               SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  Rules r{b, getLoc()};
  out.push_back(r.mul(spreadBack(r, *this, cots[0], getAxes()),
                      productOfOthers(r, *this)));
  return success();
}

LogicalResult ReshapeOp::buildVJP(OpBuilder &b, ValueRange cots,
                                  SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  Rules r{b, getLoc()};
  out.push_back(r.reshape(cots[0], Rules::type(getInput()).getShape()));
  return success();
}

LogicalResult TransposeOp::buildVJP(OpBuilder &b, ValueRange cots,
                                    SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  ArrayRef<int64_t> perm = getPermutation();
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  out.push_back(
      TransposeOp::create(b, getLoc(), getInput().getType(), cots[0], inverse));
  return success();
}

LogicalResult BroadcastToOp::buildVJP(OpBuilder &b, ValueRange cots,
                                      SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  Rules r{b, getLoc()};
  out.push_back(r.unbroadcast(cots[0], Rules::type(getInput())));
  return success();
}

LogicalResult CumsumOp::buildVJP(OpBuilder &b, ValueRange cots,
                                 SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  // The running sum from the end: flip, cumsum, flip.
  Rules r{b, getLoc()};
  int64_t axis = getAxis();
  Value flipped = r.flip(cots[0], axis);
  Value summed =
      CumsumOp::create(b, getLoc(), flipped, b.getI64IntegerAttr(axis));
  out.push_back(r.flip(summed, axis));
  return success();
}

LogicalResult ConcatenateOp::buildVJP(OpBuilder &b, ValueRange cots,
                                      SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getResult())) {
    out.append(getNumOperands(), nullptr);
    return success();
  }
  int64_t axis = getAxis(), offset = 0, rank = Rules::type(cots[0]).getRank();
  for (Value input : getInputs()) {
    SmallVector<int64_t> starts(rank, 0), steps(rank, 1);
    starts[axis] = offset;
    offset += Rules::type(input).getDimSize(axis);
    out.push_back(
        SliceOp::create(b, getLoc(), input.getType(), cots[0], starts, steps));
  }
  return success();
}

LogicalResult SliceOp::buildVJP(OpBuilder &b, ValueRange cots,
                                SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput()))
    return out.push_back(nullptr), success();
  Rules r{b, getLoc()};
  Value zeros = r.zerosLike(getInput());
  auto gt = Rules::type(cots[0]);
  if (gt.getNumElements() == 0)
    return out.push_back(zeros), success();
  // Written back with positive steps: a negative step walks the same
  // elements backwards from its last one.
  Value g = cots[0];
  SmallVector<int64_t> starts(getStarts()), steps(getSteps());
  for (size_t d = 0; d < steps.size(); ++d)
    if (steps[d] < 0) {
      starts[d] += (gt.getDimSize(d) - 1) * steps[d];
      steps[d] = -steps[d];
      g = r.flip(g, d);
    }
  out.push_back(UpdateSliceOp::create(b, getLoc(), zeros.getType(), zeros, g,
                                      b.getDenseI64ArrayAttr(starts),
                                      b.getDenseI64ArrayAttr(steps)));
  return success();
}

LogicalResult DynamicSliceOp::buildVJP(OpBuilder &b, ValueRange cots,
                                       SmallVectorImpl<Value> &out) {
  out.append(getNumOperands(), nullptr);
  if (!cots[0] || !isFloatTensor(getInput()))
    return success();
  Rules r{b, getLoc()};
  Value zeros = r.zerosLike(getInput());
  out[out.size() - getNumOperands()] = DynamicUpdateSliceOp::create(
      b, getLoc(), zeros.getType(), zeros, cots[0], getStarts());
  return success();
}

LogicalResult UpdateSliceOp::buildVJP(OpBuilder &b, ValueRange cots,
                                      SmallVectorImpl<Value> &out) {
  Value g = cots[0];
  if (!g || !isFloatTensor(getResult())) {
    out.append(2, nullptr);
    return success();
  }
  Rules r{b, getLoc()};
  Value gx = UpdateSliceOp::create(b, getLoc(), g.getType(), g,
                                   r.zerosLike(getUpdate()), getStartsAttr(),
                                   getStepsAttr());
  Value gu = SliceOp::create(b, getLoc(), getUpdate().getType(), g,
                             getStartsAttr(), getStepsAttr());
  out.append({gx, gu});
  return success();
}

LogicalResult DynamicUpdateSliceOp::buildVJP(OpBuilder &b, ValueRange cots,
                                             SmallVectorImpl<Value> &out) {
  Value g = cots[0];
  size_t first = out.size();
  out.append(getNumOperands(), nullptr);
  if (!g || !isFloatTensor(getResult()))
    return success();
  Rules r{b, getLoc()};
  out[first] = DynamicUpdateSliceOp::create(
      b, getLoc(), g.getType(), g, r.zerosLike(getUpdate()), getStarts());
  out[first + 1] = DynamicSliceOp::create(b, getLoc(), getUpdate().getType(), g,
                                          getStarts());
  return success();
}

LogicalResult GatherOp::buildVJP(OpBuilder &b, ValueRange cots,
                                 SmallVectorImpl<Value> &out) {
  if (!cots[0] || !isFloatTensor(getInput())) {
    out.append(2, nullptr);
    return success();
  }
  Rules r{b, getLoc()};
  Value zeros = r.zerosLike(getInput());
  out.append({ScatterAddOp::create(b, getLoc(), zeros, getIndices(), cots[0],
                                   getAxisAttr()),
              nullptr});
  return success();
}

LogicalResult ScatterAddOp::buildVJP(OpBuilder &b, ValueRange cots,
                                     SmallVectorImpl<Value> &out) {
  Value g = cots[0];
  if (!g || !isFloatTensor(getResult())) {
    out.append(3, nullptr);
    return success();
  }
  out.append({g, nullptr,
              GatherOp::create(b, getLoc(), getUpdates().getType(), g,
                               getIndices(), getAxisAttr())});
  return success();
}

LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange cots,
                                  SmallVectorImpl<Value> &out) {
  if (!cots[0])
    return out.push_back(nullptr), success();
  // y (g - sum(g y)) along the axis.
  Rules r{b, getLoc()};
  Value y = getResult(), g = cots[0];
  int64_t axis = getAxis();
  Value dot = r.broadcast(r.sum(r.mul(g, y), {axis}, true), Rules::type(y));
  out.push_back(r.mul(y, r.sub(g, dot)));
  return success();
}

LogicalResult LogSoftmaxOp::buildVJP(OpBuilder &b, ValueRange cots,
                                     SmallVectorImpl<Value> &out) {
  if (!cots[0])
    return out.push_back(nullptr), success();
  // g - softmax(x) sum(g) along the axis.
  Rules r{b, getLoc()};
  Value y = getResult(), g = cots[0];
  Value total =
      r.broadcast(r.sum(g, {(int64_t)getAxis()}, true), Rules::type(y));
  out.push_back(r.sub(g, r.mul(r.exp(y), total)));
  return success();
}

//===----------------------------------------------------------------------===//
// Windows: conv2d and pool2d
//===----------------------------------------------------------------------===//
//
// Both rules work window position by window position (KH * KW of them, a
// compile-time loop): the slab of a padded input that position (kh, kw)
// sees is a strided slice, and a slab's cotangent is added back into the
// padded input's cotangent with a strided update. Every op used has a rule
// itself, so these rules differentiate again.

namespace {

/// The NHWC geometry of a window op.
struct Windows {
  int64_t n, h, w, c, oh, ow, kh, kw;
  int64_t sh, sw, dh, dw;
  int64_t top, left, paddedH, paddedW;

  Windows(Value input, Value result, int64_t kh, int64_t kw,
          ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
          ArrayRef<int64_t> padding)
      : kh(kh), kw(kw) {
    ArrayRef<int64_t> in = Rules::type(input).getShape(),
                      out = Rules::type(result).getShape();
    n = in[0], h = in[1], w = in[2], c = in[3], oh = out[1], ow = out[2];
    sh = strides[0], sw = strides[1], dh = dilations[0], dw = dilations[1];
    top = padding[0], left = padding[2];
    paddedH = h + padding[0] + padding[1];
    paddedW = w + padding[2] + padding[3];
  }

  /// `x` with its spatial dimensions padded with `value`.
  Value pad(Rules &r, Value x, double value) const {
    if (paddedH == h && paddedW == w)
      return x;
    auto t = Rules::type(x);
    Value full =
        r.splat(RankedTensorType::get({n, paddedH, paddedW, t.getDimSize(3)},
                                      t.getElementType()),
                value);
    return r.update(full, x, {0, top, left, 0}, {1, 1, 1, 1});
  }
  /// The unpadded part of `x`.
  Value crop(Rules &r, Value x) const {
    if (paddedH == h && paddedW == w)
      return x;
    return r.slice(x, {0, top, left, 0}, {1, 1, 1, 1},
                   {n, h, w, Rules::type(x).getDimSize(3)});
  }
  /// Channels [c0, c0 + count) of what window position (i, j) sees in
  /// the padded `x`: an [N, OH, OW, count] slab.
  Value slab(Rules &r, Value x, int64_t i, int64_t j, int64_t c0,
             int64_t count) const {
    return r.slice(x, {0, i * dh, j * dw, c0}, {1, sh, sw, 1},
                   {n, oh, ow, count});
  }
  /// `acc` (padded) with `slab` added where window position (i, j) reads,
  /// from channel c0.
  Value addSlab(Rules &r, Value acc, Value slab, int64_t i, int64_t j,
                int64_t c0) const {
    SmallVector<int64_t> starts{0, i * dh, j * dw, c0}, steps{1, sh, sw, 1};
    Value old = r.slice(acc, starts, steps, Rules::type(slab).getShape());
    return r.update(acc, r.add(old, slab), starts, steps);
  }
  Value zerosPadded(Rules &r, Value x) const {
    auto t = Rules::type(x);
    return r.splat(
        RankedTensorType::get({n, paddedH, paddedW, c}, t.getElementType()), 0);
  }
};

} // namespace

/// For each tap of a max pool (row-major), how the result depends on the
/// element that tap sees: 1 / (number of ties) where it equals the
/// maximum, else 0. Padding (-inf) never wins.
static SmallVector<Value> maxPoolWeights(Rules &r, const Windows &win, Value x,
                                         Value y) {
  Value xPadded = win.pad(r, x, -std::numeric_limits<double>::infinity());
  SmallVector<Value> hits;
  Value count;
  for (int64_t i = 0; i < win.kh; ++i)
    for (int64_t j = 0; j < win.kw; ++j) {
      Value seen = win.slab(r, xPadded, i, j, 0, win.c);
      hits.push_back(r.select(r.cmp(ComparePredicate::eq, seen, y),
                              r.like(y, 1), r.zerosLike(y)));
      count = count ? r.add(count, hits.back()) : hits.back();
    }
  for (Value &h : hits)
    h = r.div(h, count);
  return hits;
}

LogicalResult Conv2DOp::buildVJP(OpBuilder &b, ValueRange cots,
                                 SmallVectorImpl<Value> &out) {
  if (!cots[0]) {
    out.append(2, nullptr);
    return success();
  }
  Rules r{b, getLoc()};
  Value x = getInput(), filter = getFilter(), g = cots[0];
  ArrayRef<int64_t> fs = Rules::type(filter).getShape();
  Windows win(x, getResult(), fs[0], fs[1], getStrides(), getDilations(),
              getPadding());
  int64_t groups = getGroups(), cg = fs[2], fg = fs[3] / groups;
  int64_t m = win.n * win.oh * win.ow, taps = win.kh * win.kw;

  Value xPadded = win.pad(r, x, 0);
  Value dxPadded = win.zerosPadded(r, x);
  SmallVector<Value> dFilters;
  for (int64_t grp = 0; grp < groups; ++grp) {
    Value gGroup = groups == 1 ? g
                               : r.slice(g, {0, 0, 0, grp * fg}, {1, 1, 1, 1},
                                         {win.n, win.oh, win.ow, fg});
    Value gFlat = r.reshape(gGroup, {m, fg});
    Value fGroup = groups == 1 ? filter
                               : r.slice(filter, {0, 0, 0, grp * fg},
                                         {1, 1, 1, 1}, {fs[0], fs[1], cg, fg});
    // Input: every tap's contribution in one matmul, then added back
    // window position by window position.
    Value taps2d = r.transpose(r.reshape(fGroup, {taps * cg, fg}), {1, 0});
    Value contributions =
        r.reshape(r.matmul(gFlat, taps2d), {win.n, win.oh, win.ow, taps * cg});
    // Filter: the slabs side by side (im2col), against the cotangent.
    SmallVector<Value> slabs;
    for (int64_t i = 0; i < win.kh; ++i)
      for (int64_t j = 0; j < win.kw; ++j) {
        int64_t tap = i * win.kw + j;
        Value part = r.slice(contributions, {0, 0, 0, tap * cg}, {1, 1, 1, 1},
                             {win.n, win.oh, win.ow, cg});
        dxPadded = win.addSlab(r, dxPadded, part, i, j, grp * cg);
        slabs.push_back(win.slab(r, xPadded, i, j, grp * cg, cg));
      }
    Value columns = r.reshape(r.concat(slabs, 3), {m, taps * cg});
    Value dFilter = r.matmul(r.transpose(columns, {1, 0}), gFlat);
    dFilters.push_back(r.reshape(dFilter, {fs[0], fs[1], cg, fg}));
  }
  out.push_back(win.crop(r, dxPadded));
  out.push_back(r.concat(dFilters, 3));
  return success();
}

LogicalResult Pool2DOp::buildVJP(OpBuilder &b, ValueRange cots,
                                 SmallVectorImpl<Value> &out) {
  if (!cots[0])
    return out.push_back(nullptr), success();
  Rules r{b, getLoc()};
  Value x = getInput(), g = cots[0], y = getResult();
  ArrayRef<int64_t> window = getWindow();
  int64_t ones[] = {1, 1};
  Windows win(x, y, window[0], window[1], getStrides(), ones, getPadding());
  Value dxPadded = win.zerosPadded(r, x);
  if (getKind() == PoolKind::avg) {
    // Padding counts in the average: every tap gets g / (KH * KW).
    Value share = r.scale(g, 1.0 / (double)(win.kh * win.kw));
    for (int64_t i = 0; i < win.kh; ++i)
      for (int64_t j = 0; j < win.kw; ++j)
        dxPadded = win.addSlab(r, dxPadded, share, i, j, 0);
    out.push_back(win.crop(r, dxPadded));
    return success();
  }
  // Max: the cotangent goes to the elements equal to the maximum, shared
  // equally among ties (as for the max reduction); padding never wins.
  SmallVector<Value> weights = maxPoolWeights(r, win, x, y);
  for (int64_t i = 0; i < win.kh; ++i)
    for (int64_t j = 0; j < win.kw; ++j)
      dxPadded =
          win.addSlab(r, dxPadded, r.mul(g, weights[i * win.kw + j]), i, j, 0);
  out.push_back(win.crop(r, dxPadded));
  return success();
}

//===----------------------------------------------------------------------===//
// Forward mode
//===----------------------------------------------------------------------===//
//
// One rule per kind of primitive rather than per op; an op declares its
// kind beside its definition with a trait (SporeOps.td):
// - linear ops (LinearTangent: shape ops, sums, slices, gathers, add,
//   select, ...) apply themselves to the tangents of their float operands
//   (zeros for the missing ones);
// - multilinear ops (MultilinearTangent: mul, matmul, conv2d) sum the op
//   applied with one operand replaced by its tangent at a time;
// - other elementwise ops have a diagonal Jacobian, so their tangent is
//   their reverse rule applied to the tangent, operand by operand;
// - softmax's Jacobian is symmetric (likewise); log_softmax, the max/min
//   reductions, prod and max pooling have rules of their own below;
// - piecewise constant ops (ZeroTangent: floor, floordiv, logic, ...) and
//   ops with integer or bool results (comparisons) have zero tangents.

namespace {

/// `op` cloned after itself with operand `i` replaced by `values[i]` where
/// that is non-null (by position: `x * x` has one value twice).
Operation *cloneWith(OpBuilder &b, Operation *op, ArrayRef<Value> values) {
  Operation *copy = b.clone(*op);
  for (auto [i, v] : llvm::enumerate(values))
    if (v)
      copy->setOperand(i, v);
  return copy;
}

/// Whether `op` is linear in its float operands: declared by its
/// LinearTangent trait, or, for a cast and a pool, by its attributes.
bool isLinear(Operation *op) {
  if (auto cast = dyn_cast<CastOp>(op))
    return isFloatTensor(cast.getInput()) && isFloatTensor(cast.getResult());
  if (auto pool = dyn_cast<Pool2DOp>(op))
    return pool.getKind() == PoolKind::avg;
  return op->hasTrait<spore::OpTrait::LinearTangent>();
}

/// Whether `op`'s tangent is zero: declared by its ZeroTangent trait; a
/// cast that is not linear (to or from integers) as well.
bool hasZeroTangent(Operation *op) {
  if (isa<CastOp>(op))
    return !isLinear(op);
  return op->hasTrait<spore::OpTrait::ZeroTangent>();
}

} // namespace

LogicalResult spore::buildJVPRule(Operation *op, OpBuilder &b,
                                  ValueRange tangents,
                                  SmallVectorImpl<Value> &out) {
  Location loc = op->getLoc();
  Rules r{b, loc};
  Value y = op->getNumResults() == 1 ? op->getResult(0) : Value();
  bool none = llvm::none_of(tangents, [](Value t) { return (bool)t; });
  if (none || !y || !isFloatTensor(y) || hasZeroTangent(op)) {
    out.append(op->getNumResults(), nullptr);
    return success();
  }
  // Float operands without a tangent count as zeros; others keep their
  // primal value (indices, conditions, starts).
  auto withZeros = [&]() {
    SmallVector<Value> values;
    for (auto [operand, t] : llvm::zip(op->getOperands(), tangents))
      values.push_back(t                        ? t
                       : isFloatTensor(operand) ? r.zerosLike(operand)
                                                : Value());
    return values;
  };
  if (isLinear(op)) {
    out.push_back(cloneWith(b, op, withZeros())->getResult(0));
    return success();
  }
  if (op->hasTrait<spore::OpTrait::MultilinearTangent>()) {
    Value sum;
    for (auto [i, t] : llvm::enumerate(tangents)) {
      if (!t)
        continue;
      SmallVector<Value> values(op->getNumOperands());
      values[i] = t;
      Value term = cloneWith(b, op, values)->getResult(0);
      sum = sum ? r.add(sum, term) : term;
    }
    out.push_back(sum);
    return success();
  }
  if (auto lsm = dyn_cast<LogSoftmaxOp>(op)) {
    // t - sum(softmax * t) along the axis.
    Value t = tangents[0];
    int64_t axis = lsm.getAxis();
    Value mean =
        r.broadcast(r.sum(r.mul(r.exp(y), t), {axis}, true), Rules::type(y));
    out.push_back(r.sub(t, mean));
    return success();
  }
  // Reductions whose derivative is a weight per element: the sum of the
  // weighted tangent over the same axes.
  auto weighted = [&](ArrayRef<int64_t> axes, bool keepdims, Value w) {
    Value t = r.mul(tangents[0], w);
    return SumOp::create(b, loc, t, axes, keepdims).getResult();
  };
  if (auto max = dyn_cast<MaxOp>(op)) {
    out.push_back(weighted(max.getAxes(), max.getKeepdims(),
                           extremeWeights(r, op, max.getAxes())));
    return success();
  }
  if (auto min = dyn_cast<MinOp>(op)) {
    out.push_back(weighted(min.getAxes(), min.getKeepdims(),
                           extremeWeights(r, op, min.getAxes())));
    return success();
  }
  if (auto prod = dyn_cast<ProdOp>(op)) {
    out.push_back(
        weighted(prod.getAxes(), prod.getKeepdims(), productOfOthers(r, prod)));
    return success();
  }
  if (auto pool = dyn_cast<Pool2DOp>(op)) {
    // The tangent each tap sees (padding has none), weighted.
    int64_t ones[] = {1, 1};
    ArrayRef<int64_t> window = pool.getWindow();
    Windows win(pool.getInput(), y, window[0], window[1], pool.getStrides(),
                ones, pool.getPadding());
    SmallVector<Value> weights = maxPoolWeights(r, win, pool.getInput(), y);
    Value tPadded = win.pad(r, tangents[0], 0);
    Value sum;
    for (int64_t i = 0; i < win.kh; ++i)
      for (int64_t j = 0; j < win.kw; ++j) {
        Value term = r.mul(win.slab(r, tPadded, i, j, 0, win.c),
                           weights[i * win.kw + j]);
        sum = sum ? r.add(sum, term) : term;
      }
    out.push_back(sum);
    return success();
  }
  if (isa<SoftmaxOp>(op) ||
      op->hasTrait<mlir::OpTrait::SameOperandsAndResultType>() ||
      isa<ScalarElementwiseOp>(op)) {
    // A diagonal (or symmetric) Jacobian: the reverse rule, seeded with
    // the tangent of one operand at a time.
    auto rule = cast<DifferentiableOp>(op);
    Value sum;
    for (auto [i, t] : llvm::enumerate(tangents)) {
      if (!t)
        continue;
      SmallVector<Value> cots;
      if (failed(rule.buildVJP(b, {t}, cots)))
        return failure();
      if (!cots[i])
        continue;
      sum = sum ? r.add(sum, cots[i]) : cots[i];
    }
    out.push_back(sum);
    return success();
  }
  return op->emitOpError("has no forward-mode rule yet");
}
