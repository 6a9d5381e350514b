//===- SporeLowerToLinalg.cpp - spore → linalg on tensors -----------------===//
//
// Defines `spore-lower-to-linalg`: every spore op becomes func, linalg,
// tensor, arith and math ops on tensors.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace spore {
#define GEN_PASS_DEF_SPORELOWERTOLINALG
#include "passes/Passes.h.inc"
} // namespace spore

using namespace mlir;
using namespace spore;

namespace {

RankedTensorType tensorTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType());
}

SmallVector<utils::IteratorType> parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// A tensor of `type` filled with the scalar `value`.
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   Value value) {
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::FillOp::create(b, loc, value, empty).getResult(0);
}

/// Reshapes a static tensor to `type` (same elements, row-major).
Value reshapeTo(OpBuilder &b, Location loc, Value input,
                RankedTensorType type) {
  if (input.getType() == type)
    return input;
  auto shapeType =
      RankedTensorType::get({(int64_t)type.getRank()}, b.getI64Type());
  Value shape = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(shapeType, type.getShape()));
  return tensor::ReshapeOp::create(b, loc, type, input, shape);
}

/// The identity value of a reduction that combines with `combine`.
enum class ReductionKind { Sum, Max, Min, Prod };

Value reductionIdentity(OpBuilder &b, Location loc, Type type,
                        ReductionKind kind) {
  if (kind == ReductionKind::Sum)
    return buildScalarConstant(b, loc, type, 0);
  if (kind == ReductionKind::Prod)
    return buildScalarConstant(b, loc, type, 1);
  bool negative = kind == ReductionKind::Max;
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(type,
                       APFloat::getInf(ft.getFloatSemantics(), negative)));
  unsigned width = type.getIntOrFloatBitWidth();
  return arith::ConstantOp::create(
      b, loc,
      b.getIntegerAttr(type, negative ? APInt::getSignedMinValue(width)
                                      : APInt::getSignedMaxValue(width)));
}

Value combine(OpBuilder &b, Location loc, ReductionKind kind, Value x,
              Value acc) {
  bool isFloat = isa<FloatType>(x.getType());
  switch (kind) {
  case ReductionKind::Sum:
    return isFloat ? arith::AddFOp::create(b, loc, x, acc).getResult()
                   : arith::AddIOp::create(b, loc, x, acc).getResult();
  case ReductionKind::Prod:
    return isFloat ? arith::MulFOp::create(b, loc, x, acc).getResult()
                   : arith::MulIOp::create(b, loc, x, acc).getResult();
  case ReductionKind::Max:
    return isFloat ? arith::MaximumFOp::create(b, loc, x, acc).getResult()
                   : arith::MaxSIOp::create(b, loc, x, acc).getResult();
  case ReductionKind::Min:
    return isFloat ? arith::MinimumFOp::create(b, loc, x, acc).getResult()
                   : arith::MinSIOp::create(b, loc, x, acc).getResult();
  }
  llvm_unreachable("unknown reduction");
}

/// Reduces `input` over the sorted `axes` (the reduced dims are dropped).
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes,
             ReductionKind kind) {
  RankedTensorType type = tensorTypeOf(input);
  SmallVector<int64_t> shape = reducedShape(type.getShape(), axes, false);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value init =
      filledTensor(b, loc, resultType,
                   reductionIdentity(b, loc, type.getElementType(), kind));
  auto op = linalg::ReduceOp::create(
      b, loc, ValueRange{input}, ValueRange{init}, axes,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc,
                                combine(nb, nloc, kind, args[0], args[1]));
      });
  return op.getResult(0);
}

/// A `linalg.generic` over the iteration space of `resultType` (all
/// parallel) whose inputs are read through `maps`; `body` computes the
/// scalar result from the inputs' scalars.
Value elementwiseGeneric(
    OpBuilder &b, Location loc, RankedTensorType resultType, ValueRange inputs,
    ArrayRef<AffineMap> inputMaps,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, resultType.getShape(),
                                       resultType.getElementType());
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, inputs, ValueRange{init}, maps,
      parallelIterators(rank),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

/// The map that reads a tensor with `axis` dropped from a rank-`rank` space.
AffineMap droppedAxisMap(OpBuilder &b, int64_t rank, int64_t axis) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis)
      exprs.push_back(b.getAffineDimExpr(i));
  return AffineMap::get(rank, 0, exprs, b.getContext());
}

//===----------------------------------------------------------------------===//
// Functions
//===----------------------------------------------------------------------===//

/// Lowered functions live under `__spore_` so that no model function can
/// clash with a C library symbol (`free`, `expf`, ...) once in LLVM.
std::string loweredName(StringRef name) { return ("__spore_" + name).str(); }

/// The bytes of a statically shaped tensor's elements (bools take one).
int64_t storageBytes(RankedTensorType type) {
  return type.getNumElements() * ((type.getElementTypeBitWidth() + 7) / 8);
}

struct FuncLowering : OpConversionPattern<FuncOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FuncOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto func = func::FuncOp::create(rewriter, op.getLoc(),
                                     loweredName(op.getSymName()),
                                     op.getFunctionType());
    // Exports stay public (the roots that symbol DCE keeps) and remember
    // their source name for spore-emit-c-abi, which adds the C entry points
    // and makes every other symbol internal; the rest are private.
    if (op.isExported()) {
      func->setAttr(FuncOp::getExportAttrName(), op.getSymNameAttr());
      // The bytes of each result, for the C entry point that stages them
      // when the call can fail (spore-emit-c-abi).
      SmallVector<int64_t> bytes;
      for (Type t : op.getFunctionType().getResults())
        bytes.push_back(storageBytes(cast<RankedTensorType>(t)));
      func->setAttr(FuncOp::getResultBytesAttrName(),
                    rewriter.getDenseI64ArrayAttr(bytes));
      // Its last results are new values of the state (spore-thread-state).
      if (Attribute writes = op->getAttr(kStateWritesAttr))
        func->setAttr(kStateWritesAttr, writes);
    } else
      func.setPrivate();
    // Differentiation keeps some functions out of line (the adjoint of a
    // checkpointed function, whose recomputation must stay separate), and
    // repeated blocks are compiled once (spore-share-functions). On the
    // function rather than its calls, which bufferisation rebuilds.
    // func-to-llvm drops no_inline, so a discardable twin carries it to
    // spore-emit-c-abi, which tells LLVM's inliner.
    if (op->hasAttr(CallOp::getNoInlineAttrName()) ||
        op->hasAttr(kSeparateAttr)) {
      func.setNoInline(true);
      func->setAttr(CallOp::getNoInlineAttrName(), rewriter.getUnitAttr());
    }
    if (op->hasAttr(kRecursiveAttr))
      func->setAttr(kRecursiveAttr, rewriter.getUnitAttr());
    // Arguments are values: bufferisation must never update them in place
    // (an export's inputs are const buffers of the caller; a callee's
    // arguments may be its caller's live values).
    for (unsigned i = 0; i < func.getNumArguments(); ++i)
      func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                      rewriter.getBoolAttr(false));
    rewriter.inlineRegionBefore(op.getBody(), func.getBody(), func.end());
    rewriter.eraseOp(op);
    return success();
  }
};

struct ReturnLowering : OpConversionPattern<ReturnOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReturnOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<func::ReturnOp>(op, adaptor.getOperands());
    return success();
  }
};

struct CallLowering : OpConversionPattern<CallOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CallOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto call = rewriter.replaceOpWithNewOp<func::CallOp>(
        op, loweredName(op.getCallee()), op.getResultTypes(),
        adaptor.getOperands());
    // The backward call of a checkpointed function stays a call: inlined,
    // its recomputation would be merged with the forward values by CSE and
    // the memory the checkpoint saves would be kept after all.
    if (op->hasAttr(CallOp::getNoInlineAttrName()))
      call.setNoInline(true);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Tensor primitives
//===----------------------------------------------------------------------===//

/// Splat constants above this size are filled at run time.
constexpr int64_t kLargestConstantBytes = 1 << 16;

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "constant is not a typed attr");
    // A large splat is filled at run time: as a constant, LLVM's
    // translation would materialise every element in the object (a 40 GB
    // zeros(...) ran the compiler out of memory).
    auto splat = dyn_cast<SplatElementsAttr>(value);
    auto type = cast<RankedTensorType>(op.getType());
    if (splat && storageBytes(type) > kLargestConstantBytes) {
      Value scalar = arith::ConstantOp::create(
          rewriter, op.getLoc(),
          cast<TypedAttr>(splat.getSplatValue<Attribute>()));
      Value empty = tensor::EmptyOp::create(
          rewriter, op.getLoc(), type.getShape(), type.getElementType());
      rewriter.replaceOpWithNewOp<linalg::FillOp>(op, scalar, empty);
      return success();
    }
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

/// Every ScalarElementwiseOp becomes one linalg.generic around the scalar
/// body the op builds.
struct ElementwiseLowering : OpInterfaceConversionPattern<ScalarElementwiseOp> {
  using OpInterfaceConversionPattern::OpInterfaceConversionPattern;
  LogicalResult
  matchAndRewrite(ScalarElementwiseOp op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    SmallVector<AffineMap> maps(
        operands.size(), rewriter.getMultiDimIdentityMap(resultType.getRank()));
    Value result =
        elementwiseGeneric(rewriter, op->getLoc(), resultType, operands, maps,
                           [&](OpBuilder &b, Location loc, ValueRange args) {
                             return op.buildScalar(b, loc, args);
                           });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType in = tensorTypeOf(op.getInput());
    RankedTensorType out = op.getType();
    int64_t offset = out.getRank() - in.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < in.getRank(); ++i) {
      if (in.getDimSize(i) == 1 && out.getDimSize(i + offset) != 1)
        exprs.push_back(rewriter.getAffineConstantExpr(0));
      else
        exprs.push_back(rewriter.getAffineDimExpr(i + offset));
    }
    AffineMap map =
        AffineMap::get(out.getRank(), 0, exprs, rewriter.getContext());
    Value result = elementwiseGeneric(
        rewriter, op.getLoc(), out, adaptor.getInput(), map,
        [](OpBuilder &, Location, ValueRange args) { return args[0]; });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType out = op.getType();
    Value init = tensor::EmptyOp::create(rewriter, op.getLoc(), out.getShape(),
                                         out.getElementType());
    auto transpose = linalg::TransposeOp::create(
        rewriter, op.getLoc(), adaptor.getInput(), init, op.getPermutation());
    rewriter.replaceOp(op, transpose.getResult());
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, reshapeTo(rewriter, op.getLoc(), adaptor.getInput(), op.getType()));
    return success();
  }
};

/// stop_gradient has done its work once differentiation is over.
struct StopGradientLowering : OpConversionPattern<StopGradientOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(StopGradientOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

/// sum, mean and max: a linalg.reduce, a scale for mean, and a reshape that
/// restores unit dimensions for keepdims.
template <typename Op> struct ReductionLowering : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  using OpAdaptor = typename Op::Adaptor;
  LogicalResult
  matchAndRewrite(Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ReductionKind kind = std::is_same_v<Op, MaxOp>    ? ReductionKind::Max
                         : std::is_same_v<Op, MinOp>  ? ReductionKind::Min
                         : std::is_same_v<Op, ProdOp> ? ReductionKind::Prod
                                                      : ReductionKind::Sum;
    Value result =
        reduce(rewriter, loc, adaptor.getInput(), op.getAxes(), kind);
    if constexpr (std::is_same_v<Op, MeanOp>) {
      RankedTensorType in = tensorTypeOf(op.getInput());
      int64_t count = 1;
      for (int64_t axis : op.getAxes())
        count *= in.getDimSize(axis);
      RankedTensorType type = tensorTypeOf(result);
      int64_t rank = type.getRank();
      // A mean over zero elements is NaN, as in NumPy.
      double scale = count == 0 ? std::nan("") : 1.0 / (double)count;
      result = elementwiseGeneric(
          rewriter, loc, type, result, rewriter.getMultiDimIdentityMap(rank),
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            Value s = buildScalarConstant(b, l, type.getElementType(), scale);
            return arith::MulFOp::create(b, l, args[0], s);
          });
    }
    rewriter.replaceOp(op, reshapeTo(rewriter, loc, result, op.getType()));
    return success();
  }
};

struct MatmulLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    RankedTensorType lt = tensorTypeOf(lhs), rt = tensorTypeOf(rhs);
    RankedTensorType out = op.getType();
    Type elt = out.getElementType();
    Value init = filledTensor(rewriter, loc, out,
                              buildScalarConstant(rewriter, loc, elt, 0));
    if (lt.getRank() == 2 && rt.getRank() == 2) {
      auto mm =
          linalg::MatmulOp::create(rewriter, loc, TypeRange{out},
                                   ValueRange{lhs, rhs}, ValueRange{init});
      rewriter.replaceOp(op, mm.getResult(0));
      return success();
    }
    // General NumPy matmul as a contraction: loops are
    // [batch..., i (if lhs is a matrix), j (if rhs is a matrix), k].
    bool lhsVector = lt.getRank() == 1, rhsVector = rt.getRank() == 1;
    int64_t batchRank =
        out.getRank() - (lhsVector ? 0 : 1) - (rhsVector ? 0 : 1);
    int64_t numLoops = out.getRank() + 1;
    int64_t iDim = batchRank, jDim = batchRank + (lhsVector ? 0 : 1);
    int64_t kDim = numLoops - 1;
    auto d = [&](int64_t i) { return rewriter.getAffineDimExpr(i); };
    auto batchExprs = [&](RankedTensorType t, int64_t matrixRank) {
      SmallVector<AffineExpr> exprs;
      int64_t rank = t.getRank() - matrixRank;
      for (int64_t i = 0; i < rank; ++i) {
        int64_t loop = batchRank - rank + i;
        if (t.getDimSize(i) == 1 && out.getDimSize(loop) != 1)
          exprs.push_back(rewriter.getAffineConstantExpr(0));
        else
          exprs.push_back(d(loop));
      }
      return exprs;
    };
    SmallVector<AffineExpr> lhsExprs = batchExprs(lt, lhsVector ? 1 : 2);
    if (!lhsVector)
      lhsExprs.push_back(d(iDim));
    lhsExprs.push_back(d(kDim));
    SmallVector<AffineExpr> rhsExprs = batchExprs(rt, rhsVector ? 1 : 2);
    rhsExprs.push_back(d(kDim));
    if (!rhsVector)
      rhsExprs.push_back(d(jDim));
    SmallVector<AffineExpr> outExprs;
    for (int64_t i = 0; i < out.getRank(); ++i)
      outExprs.push_back(d(i));
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps = {AffineMap::get(numLoops, 0, lhsExprs, ctx),
                                   AffineMap::get(numLoops, 0, rhsExprs, ctx),
                                   AffineMap::get(numLoops, 0, outExprs, ctx)};
    SmallVector<utils::IteratorType> iterators = parallelIterators(numLoops);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{out}, ValueRange{lhs, rhs}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          Value r;
          if (isa<FloatType>(elt))
            r = arith::AddFOp::create(
                b, l, args[2], arith::MulFOp::create(b, l, args[0], args[1]));
          else
            r = arith::AddIOp::create(
                b, l, args[2], arith::MulIOp::create(b, l, args[0], args[1]));
          linalg::YieldOp::create(b, l, r);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// softmax and log_softmax, stabilised by subtracting the maximum. A row
/// holding NaN or +inf, or all -inf, is all NaN, as NumPy's exp(x - max) /
/// sum gives (docs/guarantees.md#nan).
template <typename Op> struct SoftmaxLikeLowering : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  using OpAdaptor = typename Op::Adaptor;
  LogicalResult
  matchAndRewrite(Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    RankedTensorType type = tensorTypeOf(x);
    int64_t rank = type.getRank(), axis = op.getAxis();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap dropped = droppedAxisMap(rewriter, rank, axis);
    Value max = reduce(rewriter, loc, x, {axis}, ReductionKind::Max);
    auto shifted = [&](OpBuilder &b, Location l, Value xv, Value mv) -> Value {
      return arith::SubFOp::create(b, l, xv, mv);
    };
    Value e = elementwiseGeneric(
        rewriter, loc, type, ValueRange{x, max}, {identity, dropped},
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return math::ExpOp::create(b, l, shifted(b, l, args[0], args[1]));
        });
    Value sum = reduce(rewriter, loc, e, {axis}, ReductionKind::Sum);
    Value result;
    if constexpr (std::is_same_v<Op, SoftmaxOp>) {
      result = elementwiseGeneric(
          rewriter, loc, type, ValueRange{e, sum}, {identity, dropped},
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            return arith::DivFOp::create(b, l, args[0], args[1]);
          });
    } else {
      result = elementwiseGeneric(
          rewriter, loc, type, ValueRange{x, max, sum},
          {identity, dropped, dropped},
          [&](OpBuilder &b, Location l, ValueRange args) -> Value {
            Value logSum = math::LogOp::create(b, l, args[2]);
            return arith::SubFOp::create(b, l, shifted(b, l, args[0], args[1]),
                                         logSum);
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ConcatenateLowering : OpConversionPattern<ConcatenateOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatenateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (adaptor.getInputs().size() == 1) {
      rewriter.replaceOp(op, adaptor.getInputs()[0]);
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::ConcatOp>(
        op, op.getType(), op.getAxis(), adaptor.getInputs());
    return success();
  }
};

/// An scf.for along the axis carrying the running sum of one slice and the
/// result, into which each step inserts it. (linalg has no scan.)
struct CumsumLowering : OpConversionPattern<CumsumOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(CumsumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t axis = op.getAxis(), rank = type.getRank();
    Type et = type.getElementType();
    SmallVector<int64_t> sliceShape(type.getShape());
    sliceShape[axis] = 1;
    auto sliceType = RankedTensorType::get(sliceShape, et);
    // The running sum starts from -0, IEEE addition's identity, so that the
    // first element is itself (-0 stays -0) as in NumPy's cumsum. (NumPy's
    // sum, unlike its cumsum, starts from +0: a sum of -0s is +0.)
    Value start = isa<FloatType>(et)
                      ? arith::ConstantOp::create(
                            rewriter, loc, rewriter.getFloatAttr(et, -0.0))
                            .getResult()
                      : buildScalarConstant(rewriter, loc, et, 0);
    Value acc = filledTensor(rewriter, loc, sliceType, start);
    Value out = tensor::EmptyOp::create(rewriter, loc, type.getShape(), et);
    Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value ub =
        arith::ConstantIndexOp::create(rewriter, loc, type.getDimSize(axis));
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    Value input = adaptor.getInput();
    auto loop = scf::ForOp::create(
        rewriter, loc, lb, ub, one, ValueRange{acc, out},
        [&](OpBuilder &b, Location l, Value i, ValueRange iter) {
          SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
          offsets[axis] = i;
          SmallVector<OpFoldResult> sizes =
              getAsIndexOpFoldResult(b.getContext(), sliceShape);
          SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
          Value slice = tensor::ExtractSliceOp::create(b, l, sliceType, input,
                                                       offsets, sizes, strides);
          Value sum = elementwiseGeneric(
              b, l, sliceType, ValueRange{iter[0], slice},
              {b.getMultiDimIdentityMap(rank), b.getMultiDimIdentityMap(rank)},
              [](OpBuilder &nb, Location nl, ValueRange a) {
                return combine(nb, nl, ReductionKind::Sum, a[0], a[1]);
              });
          Value next = tensor::InsertSliceOp::create(b, l, sum, iter[1],
                                                     offsets, sizes, strides);
          scf::YieldOp::create(b, l, ValueRange{sum, next});
        });
    rewriter.replaceOp(op, loop.getResult(1));
    return success();
  }
};

/// Philox-4x32-10 on i32 values read as unsigned: the first output word
/// for `counter` (four words) and `key` (two words).
Value philoxWord(OpBuilder &b, Location loc, std::array<Value, 4> c,
                 std::array<Value, 2> k) {
  Type i32 = b.getI32Type();
  auto constant = [&](uint32_t v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i32, (int32_t)v));
  };
  Value m0 = constant(0xD2511F53), m1 = constant(0xCD9E8D57);
  Value w0 = constant(0x9E3779B9), w1 = constant(0xBB67AE85);
  for (int round = 0; round < 10; ++round) {
    auto p0 = arith::MulUIExtendedOp::create(b, loc, m0, c[0]);
    auto p1 = arith::MulUIExtendedOp::create(b, loc, m1, c[2]);
    Value n0 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p1.getHigh(), c[1]), k[0]);
    Value n2 = arith::XOrIOp::create(
        b, loc, arith::XOrIOp::create(b, loc, p0.getHigh(), c[3]), k[1]);
    c = {n0, p1.getLow(), n2, p0.getLow()};
    k = {arith::AddIOp::create(b, loc, k[0], w0),
         arith::AddIOp::create(b, loc, k[1], w1)};
  }
  return c[0];
}

/// A generic over the result whose body runs Philox on the element's
/// row-major index; floating results take the top 24 bits as [0, 1).
struct RandomLowering : OpConversionPattern<RandomOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RandomOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    Type i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
    std::array<Value, 2> key;
    for (int w = 0; w < 2; ++w) {
      Value idx = arith::ConstantIndexOp::create(rewriter, loc, w);
      key[w] = tensor::ExtractOp::create(rewriter, loc, adaptor.getKey(),
                                         ValueRange{idx});
    }
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    int64_t rank = type.getRank();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
        SmallVector<AffineMap>{rewriter.getMultiDimIdentityMap(rank)},
        parallelIterators(rank), [&](OpBuilder &b, Location l, ValueRange) {
          // The row-major index of the element.
          Value flat = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0));
          for (int64_t d = 0; d < rank; ++d) {
            Value i = arith::IndexCastOp::create(
                b, l, i64, linalg::IndexOp::create(b, l, d));
            Value size = arith::ConstantOp::create(
                b, l, b.getI64IntegerAttr(type.getDimSize(d)));
            flat = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, flat, size), i);
          }
          Value lo = arith::TruncIOp::create(b, l, i32, flat);
          Value hi = arith::TruncIOp::create(
              b, l, i32,
              arith::ShRUIOp::create(
                  b, l, flat,
                  arith::ConstantOp::create(b, l, b.getI64IntegerAttr(32))));
          Value zero = arith::ConstantOp::create(b, l, b.getI32IntegerAttr(0));
          Value word = philoxWord(b, l, {lo, hi, zero, zero}, key);
          Value r = word;
          if (auto ft = dyn_cast<FloatType>(type.getElementType())) {
            Value top = arith::ShRUIOp::create(
                b, l, word,
                arith::ConstantOp::create(b, l, b.getI32IntegerAttr(8)));
            Value f = arith::UIToFPOp::create(b, l, b.getF32Type(), top);
            r = arith::MulFOp::create(
                b, l, f,
                arith::ConstantOp::create(
                    b, l, b.getF32FloatAttr(1.0f / 16777216.0f)));
            if (ft.getWidth() > 32)
              r = arith::ExtFOp::create(b, l, ft, r);
            else if (ft.getWidth() < 32)
              r = arith::TruncFOp::create(b, l, ft, r);
          }
          linalg::YieldOp::create(b, l, r);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// An scf.for over the (flattened) indices: each step adds one slab of the
/// updates to the input's slab at the index, so repeated indices add up.
struct ScatterAddLowering : OpConversionPattern<ScatterAddOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterAddOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getType();
    int64_t axis = op.getAxis(), rank = type.getRank();
    int64_t n = type.getDimSize(axis);
    RankedTensorType idxType = tensorTypeOf(op.getIndices());
    int64_t count = idxType.getNumElements();
    Type et = type.getElementType();
    MLIRContext *ctx = getContext();
    // Updates as [before..., count, after...]; indices flat.
    SmallVector<int64_t> upShape(type.getShape());
    upShape[axis] = count;
    Value updates = reshapeTo(rewriter, loc, adaptor.getUpdates(),
                              RankedTensorType::get(upShape, et));
    Value indices =
        reshapeTo(rewriter, loc, adaptor.getIndices(),
                  RankedTensorType::get({count}, idxType.getElementType()));
    SmallVector<int64_t> slabShape(type.getShape());
    slabShape[axis] = 1;
    auto slabType = RankedTensorType::get(slabShape, et);
    Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value ub = arith::ConstantIndexOp::create(rewriter, loc, count);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(
        rewriter, loc, lb, ub, one, ValueRange{adaptor.getInput()},
        [&](OpBuilder &b, Location l, Value j, ValueRange iter) {
          Value i = tensor::ExtractOp::create(b, l, indices, ValueRange{j});
          Type i64 = b.getI64Type();
          if (i.getType() != i64)
            i = i.getType().isInteger(1)
                    ? (Value)arith::ExtUIOp::create(b, l, i64, i)
                    : (Value)arith::ExtSIOp::create(b, l, i64, i);
          Value zero = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(0));
          Value size = arith::ConstantOp::create(b, l, b.getI64IntegerAttr(n));
          Value last =
              arith::ConstantOp::create(b, l, b.getI64IntegerAttr(n - 1));
          Value negative =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, i, zero);
          i = arith::SelectOp::create(b, l, negative,
                                      arith::AddIOp::create(b, l, i, size), i);
          i = arith::MaxSIOp::create(
              b, l, arith::MinSIOp::create(b, l, i, last), zero);
          Value at = arith::IndexCastOp::create(b, l, b.getIndexType(), i);
          SmallVector<OpFoldResult> src(rank, b.getIndexAttr(0)),
              dst(rank, b.getIndexAttr(0));
          src[axis] = j;
          dst[axis] = at;
          SmallVector<OpFoldResult> sizes =
              getAsIndexOpFoldResult(ctx, slabShape);
          SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
          Value u = tensor::ExtractSliceOp::create(b, l, slabType, updates, src,
                                                   sizes, strides);
          Value x = tensor::ExtractSliceOp::create(b, l, slabType, iter[0], dst,
                                                   sizes, strides);
          Value sum = elementwiseGeneric(
              b, l, slabType, ValueRange{x, u},
              {b.getMultiDimIdentityMap(rank), b.getMultiDimIdentityMap(rank)},
              [](OpBuilder &nb, Location nl, ValueRange a) {
                return combine(nb, nl, ReductionKind::Sum, a[0], a[1]);
              });
          Value next = tensor::InsertSliceOp::create(b, l, sum, iter[0], dst,
                                                     sizes, strides);
          scf::YieldOp::create(b, l, next);
        });
    rewriter.replaceOp(op, loop.getResult(0));
    return success();
  }
};

/// A strided block: tensor.extract_slice with positive strides; dimensions
/// taken with a negative step are extracted forwards and then reversed by a
/// generic reading `size - 1 - d`. (A generic reading `start + step * d`
/// directly would not verify: linalg infers loop bounds from operands
/// indexed by a plain dimension.)
struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType out = op.getType();
    ArrayRef<int64_t> sizes = out.getShape();
    SmallVector<int64_t> offsets, strides;
    bool reversed = false;
    for (int64_t d = 0; d < out.getRank(); ++d) {
      int64_t start = op.getStarts()[d], step = op.getSteps()[d];
      if (step < 0 && sizes[d] > 1) {
        offsets.push_back(start + (sizes[d] - 1) * step);
        strides.push_back(-step);
        reversed = true;
      } else {
        offsets.push_back(start);
        strides.push_back(step < 0 ? 1 : step);
      }
    }
    MLIRContext *ctx = getContext();
    Value block = tensor::ExtractSliceOp::create(
        rewriter, op.getLoc(), out, adaptor.getInput(),
        getAsIndexOpFoldResult(ctx, offsets),
        getAsIndexOpFoldResult(ctx, sizes),
        getAsIndexOpFoldResult(ctx, strides));
    if (reversed) {
      SmallVector<AffineExpr> exprs;
      for (int64_t d = 0; d < out.getRank(); ++d) {
        AffineExpr dim = rewriter.getAffineDimExpr(d);
        exprs.push_back(op.getSteps()[d] < 0 && sizes[d] > 1
                            ? rewriter.getAffineConstantExpr(sizes[d] - 1) - dim
                            : dim);
      }
      AffineMap map = AffineMap::get(out.getRank(), 0, exprs, ctx);
      block = elementwiseGeneric(
          rewriter, op.getLoc(), out, block, map,
          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    }
    rewriter.replaceOp(op, block);
    return success();
  }
};

/// The index operands of a dynamic block: each 0-d i64 start clamped to
/// `[0, dim - size]`.
SmallVector<OpFoldResult> clampedStarts(OpBuilder &b, Location loc,
                                        ValueRange starts,
                                        ArrayRef<int64_t> dims,
                                        ArrayRef<int64_t> sizes) {
  SmallVector<OpFoldResult> offsets;
  for (auto [start, dim, size] : llvm::zip(starts, dims, sizes)) {
    Value s = tensor::ExtractOp::create(b, loc, start, ValueRange{});
    Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    Value hi =
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(dim - size));
    s = arith::MaxSIOp::create(b, loc, arith::MinSIOp::create(b, loc, s, hi),
                               zero);
    offsets.push_back(
        arith::IndexCastOp::create(b, loc, b.getIndexType(), s).getResult());
  }
  return offsets;
}

struct DynamicSliceLowering : OpConversionPattern<DynamicSliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DynamicSliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType out = op.getType();
    auto offsets =
        clampedStarts(rewriter, op.getLoc(), adaptor.getStarts(),
                      tensorTypeOf(op.getInput()).getShape(), out.getShape());
    SmallVector<OpFoldResult> sizes =
        getAsIndexOpFoldResult(getContext(), out.getShape());
    SmallVector<OpFoldResult> strides(out.getRank(), rewriter.getIndexAttr(1));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        op, out, adaptor.getInput(), offsets, sizes, strides);
    return success();
  }
};

struct UpdateSliceLowering : OpConversionPattern<UpdateSliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(UpdateSliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, adaptor.getUpdate(), adaptor.getInput(),
        getAsIndexOpFoldResult(getContext(), op.getStarts()),
        getAsIndexOpFoldResult(getContext(),
                               tensorTypeOf(op.getUpdate()).getShape()),
        getAsIndexOpFoldResult(getContext(), op.getSteps()));
    return success();
  }
};

struct DynamicUpdateSliceLowering : OpConversionPattern<DynamicUpdateSliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DynamicUpdateSliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> block = tensorTypeOf(op.getUpdate()).getShape();
    auto offsets = clampedStarts(rewriter, op.getLoc(), adaptor.getStarts(),
                                 tensorTypeOf(op.getInput()).getShape(), block);
    SmallVector<OpFoldResult> strides(block.size(), rewriter.getIndexAttr(1));
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        op, adaptor.getUpdate(), adaptor.getInput(), offsets,
        getAsIndexOpFoldResult(getContext(), block), strides);
    return success();
  }
};

/// A generic over the result reading the indices; its body extracts the
/// element of the input at the (normalised, clamped) index.
struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType out = op.getType();
    Value input = adaptor.getInput();
    int64_t axis = op.getAxis();
    int64_t idxRank = tensorTypeOf(op.getIndices()).getRank();
    int64_t n = tensorTypeOf(op.getInput()).getDimSize(axis);
    SmallVector<AffineExpr> exprs;
    for (int64_t k = 0; k < idxRank; ++k)
      exprs.push_back(rewriter.getAffineDimExpr(axis + k));
    AffineMap map = AffineMap::get(out.getRank(), 0, exprs, getContext());
    auto body = [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
      Value i = a[0];
      Type i64 = b.getI64Type();
      if (i.getType() != i64)
        i = i.getType().isInteger(1)
                ? (Value)arith::ExtUIOp::create(b, loc, i64, i)
                : (Value)arith::ExtSIOp::create(b, loc, i64, i);
      Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
      Value size = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(n));
      Value last =
          arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(n - 1));
      Value negative =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
      i = arith::SelectOp::create(b, loc, negative,
                                  arith::AddIOp::create(b, loc, i, size), i);
      i = arith::MaxSIOp::create(b, loc,
                                 arith::MinSIOp::create(b, loc, i, last), zero);
      SmallVector<Value> coords;
      for (int64_t k = 0; k < axis; ++k)
        coords.push_back(linalg::IndexOp::create(b, loc, k));
      coords.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(), i));
      for (int64_t k = axis + 1; k < tensorTypeOf(op.getInput()).getRank(); ++k)
        coords.push_back(linalg::IndexOp::create(b, loc, k + idxRank - 1));
      return tensor::ExtractOp::create(b, loc, input, coords);
    };
    rewriter.replaceOp(op, elementwiseGeneric(rewriter, op.getLoc(), out,
                                              adaptor.getIndices(), map, body));
    return success();
  }
};

/// `x` (NHWC) padded in H and W by `padding` = [top, bottom, left, right]
/// with the scalar `value`.
Value padNHWC(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> padding,
              Value value) {
  if (llvm::all_of(padding, [](int64_t p) { return p == 0; }))
    return x;
  RankedTensorType t = tensorTypeOf(x);
  SmallVector<int64_t> shape(t.getShape());
  shape[1] += padding[0] + padding[1];
  shape[2] += padding[2] + padding[3];
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> low{0, padding[0], padding[2], 0};
  SmallVector<int64_t> high{0, padding[1], padding[3], 0};
  return tensor::PadOp::create(b, loc,
                               RankedTensorType::get(shape, t.getElementType()),
                               x, getAsIndexOpFoldResult(ctx, low),
                               getAsIndexOpFoldResult(ctx, high), value);
}

/// A convolution as one matmul per group (im2col): the KH * KW strided
/// slabs of the padded input that the window positions see, side by side
/// as an [N * OH * OW, KH * KW * C] matrix, times the filter as a
/// [KH * KW * C, F] matrix. The matmul goes through the register-tiled
/// contraction code; linalg.conv_2d_nhwc_hwcf, which nothing here
/// vectorises, ran as scalar loops at a thirtieth of the matmul's speed
/// (a quarter of a small CNN's training step). The price is the matrix
/// of slabs, KH * KW times the input's size. With groups, the results of
/// the groups are concatenated along the channels.
struct Conv2DLowering : OpConversionPattern<Conv2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Conv2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType out = op.getType();
    Type et = out.getElementType();
    Value zero = buildScalarConstant(rewriter, loc, et, 0);
    Value x = padNHWC(rewriter, loc, adaptor.getInput(), op.getPadding(), zero);
    Value w = adaptor.getFilter();
    RankedTensorType wt = tensorTypeOf(w);
    int64_t groups = op.getGroups(), kh = wt.getDimSize(0),
            kw = wt.getDimSize(1), cg = wt.getDimSize(2),
            fg = wt.getDimSize(3) / groups;
    int64_t n = out.getDimSize(0), oh = out.getDimSize(1),
            ow = out.getDimSize(2), m = n * oh * ow;
    ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations();
    MLIRContext *ctx = getContext();
    auto index = [&](ArrayRef<int64_t> v) {
      return getAsIndexOpFoldResult(ctx, v);
    };
    SmallVector<Value> parts;
    for (int64_t g = 0; g < groups; ++g) {
      SmallVector<Value> slabs;
      auto slabType = RankedTensorType::get({n, oh, ow, cg}, et);
      for (int64_t i = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j)
          slabs.push_back(tensor::ExtractSliceOp::create(
              rewriter, loc, slabType, x,
              index({0, i * dilations[0], j * dilations[1], g * cg}),
              index({n, oh, ow, cg}), index({1, strides[0], strides[1], 1})));
      Value columns =
          slabs.size() == 1
              ? slabs[0]
              : tensor::ConcatOp::create(
                    rewriter, loc,
                    RankedTensorType::get({n, oh, ow, kh * kw * cg}, et), 3,
                    slabs)
                    .getResult();
      columns = reshapeTo(rewriter, loc, columns,
                          RankedTensorType::get({m, kh * kw * cg}, et));
      Value filter = w;
      if (groups > 1)
        filter = tensor::ExtractSliceOp::create(
            rewriter, loc, RankedTensorType::get({kh, kw, cg, fg}, et), w,
            index({0, 0, 0, g * fg}), index({kh, kw, cg, fg}),
            index({1, 1, 1, 1}));
      filter = reshapeTo(rewriter, loc, filter,
                         RankedTensorType::get({kh * kw * cg, fg}, et));
      auto productType = RankedTensorType::get({m, fg}, et);
      Value product =
          linalg::MatmulOp::create(
              rewriter, loc, TypeRange{productType},
              ValueRange{columns, filter},
              ValueRange{filledTensor(rewriter, loc, productType, zero)})
              .getResult(0);
      parts.push_back(reshapeTo(rewriter, loc, product,
                                RankedTensorType::get({n, oh, ow, fg}, et)));
    }
    if (parts.size() == 1)
      rewriter.replaceOp(op, parts[0]);
    else
      rewriter.replaceOpWithNewOp<tensor::ConcatOp>(op, out, 3, parts);
    return success();
  }
};

/// linalg.pooling_nhwc_max (padding with -inf) or pooling_nhwc_sum scaled
/// by the window size (padding with zeros).
struct Pool2DLowering : OpConversionPattern<Pool2DOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Pool2DOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType out = op.getType();
    Type et = out.getElementType();
    bool isMax = op.getKind() == PoolKind::max;
    Value identity =
        isMax ? reductionIdentity(rewriter, loc, et, ReductionKind::Max)
              : buildScalarConstant(rewriter, loc, et, 0);
    Value x =
        padNHWC(rewriter, loc, adaptor.getInput(), op.getPadding(), identity);
    Value window = tensor::EmptyOp::create(rewriter, loc, op.getWindow(), et);
    Value init = filledTensor(rewriter, loc, out, identity);
    auto attr = [&](ArrayRef<int64_t> v) {
      return DenseIntElementsAttr::get(
          RankedTensorType::get({2}, rewriter.getI64Type()), v);
    };
    Value r;
    if (isMax)
      r = linalg::PoolingNhwcMaxOp::create(
              rewriter, loc, TypeRange{out}, ValueRange{x, window},
              ValueRange{init}, attr(op.getStrides()), attr({1, 1}))
              .getResult(0);
    else
      r = linalg::PoolingNhwcSumOp::create(
              rewriter, loc, TypeRange{out}, ValueRange{x, window},
              ValueRange{init}, attr(op.getStrides()), attr({1, 1}))
              .getResult(0);
    if (!isMax) {
      double scale = 1.0 / (double)(op.getWindow()[0] * op.getWindow()[1]);
      r = elementwiseGeneric(
          rewriter, loc, out, r, rewriter.getMultiDimIdentityMap(4),
          [&](OpBuilder &b, Location l, ValueRange a) -> Value {
            return arith::MulFOp::create(b, l, a[0],
                                         buildScalarConstant(b, l, et, scale));
          });
    }
    rewriter.replaceOp(op, r);
    return success();
  }
};

/// The runtime functions that print and assert call (runtime/src).
void declareRuntimeFunctions(ModuleOp module) {
  OpBuilder b(module.getBodyRegion());
  Type i32 = b.getI32Type(), i64 = b.getI64Type(), f64 = b.getF64Type();
  std::pair<StringRef, SmallVector<Type>> decls[] = {
      {"spore_print_text", {i32}}, {"spore_print_shape", {i64}},
      {"spore_print_f64", {f64}},  {"spore_print_i64", {i64}},
      {"spore_print_bool", {i32}}, {"spore_print_end_tensor", {}},
      {"spore_print_end", {}},     {"spore_fail_text", {i32}},
      {"spore_fail_i64", {i64}},   {"spore_fail_code", {i32}}};
  for (auto &[name, inputs] : decls) {
    if (module.lookupSymbol(name))
      continue;
    auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                   b.getFunctionType(inputs, {}));
    fn.setPrivate();
  }
}

/// A print becomes calls of the runtime: the text one character at a time,
/// each tensor as its dimensions and then its elements in an scf.for over
/// the flattened tensor.
struct PrintLowering : OpConversionPattern<PrintOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PrintOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto call = [&](OpBuilder &b, StringRef name, ValueRange args) {
      func::CallOp::create(b, loc, name, TypeRange{}, args);
    };
    auto text = [&](StringRef s) {
      for (char c : s)
        call(rewriter, "spore_print_text",
             arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getI32IntegerAttr(c))
                 .getResult());
    };
    for (auto [k, value] : llvm::enumerate(adaptor.getValues())) {
      text(cast<StringAttr>(op.getText()[k]).getValue());
      RankedTensorType type = tensorTypeOf(value);
      for (int64_t d : type.getShape())
        call(rewriter, "spore_print_shape",
             arith::ConstantOp::create(rewriter, loc,
                                       rewriter.getI64IntegerAttr(d))
                 .getResult());
      Value flat = reshapeTo(rewriter, loc, value,
                             RankedTensorType::get({type.getNumElements()},
                                                   type.getElementType()));
      Value lb = arith::ConstantIndexOp::create(rewriter, loc, 0);
      Value ub =
          arith::ConstantIndexOp::create(rewriter, loc, type.getNumElements());
      Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
      scf::ForOp::create(
          rewriter, loc, lb, ub, one, ValueRange{},
          [&](OpBuilder &b, Location l, Value i, ValueRange) {
            Value v = tensor::ExtractOp::create(b, l, flat, ValueRange{i});
            Type et = v.getType();
            if (isa<FloatType>(et)) {
              if (!et.isF64())
                v = arith::ExtFOp::create(b, l, b.getF64Type(), v);
              call(b, "spore_print_f64", v);
            } else if (et.isInteger(1)) {
              call(b, "spore_print_bool",
                   arith::ExtUIOp::create(b, l, b.getI32Type(), v).getResult());
            } else {
              if (!et.isInteger(64))
                v = arith::ExtSIOp::create(b, l, b.getI64Type(), v);
              call(b, "spore_print_i64", v);
            }
            scf::YieldOp::create(b, l);
          });
      call(rewriter, "spore_print_end_tensor", {});
    }
    text(cast<StringAttr>(op.getText().getValue().back()).getValue());
    call(rewriter, "spore_print_end", {});
    rewriter.eraseOp(op);
    return success();
  }
};

/// A failed assert records its message with the runtime, the `{}` holes
/// filled with its values; the C entry point reports it when the call
/// returns (spore-emit-c-abi).
struct AssertLowering : OpConversionPattern<AssertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AssertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value holds = tensor::ExtractOp::create(
        rewriter, loc, adaptor.getCondition(), ValueRange{});
    Value fails = arith::XOrIOp::create(
        rewriter, loc, holds,
        arith::ConstantOp::create(rewriter, loc, rewriter.getBoolAttr(true)));
    SmallVector<Value> values;
    for (Value v : adaptor.getValues())
      values.push_back(
          tensor::ExtractOp::create(rewriter, loc, v, ValueRange{}));
    int32_t status = op.getPrecondition() ? 6 /*SPORE_ERROR_VALUE*/
                                          : 5 /*SPORE_ERROR_ASSERT*/;
    scf::IfOp::create(rewriter, loc, fails, [&](OpBuilder &b, Location l) {
      StringRef message = op.getMessage();
      for (size_t k = 0;; ++k) {
        auto [text, rest] = values.empty() ? std::pair(message, StringRef())
                                           : message.split("{}");
        for (char c : text)
          func::CallOp::create(b, l, "spore_fail_text", TypeRange{},
                               ValueRange{arith::ConstantOp::create(
                                   b, l, b.getI32IntegerAttr(c))});
        if (k == values.size())
          break;
        func::CallOp::create(b, l, "spore_fail_i64", TypeRange{},
                             ValueRange{values[k]});
        message = rest;
      }
      func::CallOp::create(b, l, "spore_fail_code", TypeRange{},
                           ValueRange{arith::ConstantOp::create(
                               b, l, b.getI32IntegerAttr(status))});
      scf::YieldOp::create(b, l);
    });
    rewriter.eraseOp(op);
    return success();
  }
};

/// An export's parameters and results without elements (f32[2, 0]) become
/// tensor<0xT>: they hold no data, but the bare-pointer calling convention
/// refuses a zero-size memref with more than one dimension. Inside, a
/// parameter is replaced by an empty constant of its type, and a result
/// by an empty 1-D one.
void flattenEmptyBuffers(ModuleOp module) {
  auto isEmpty = [](Type t) {
    auto type = dyn_cast<RankedTensorType>(t);
    return type && type.hasStaticShape() && type.getNumElements() == 0 &&
           type.getRank() != 1;
  };
  auto flat = [](Type t) {
    auto type = cast<RankedTensorType>(t);
    return RankedTensorType::get({0}, type.getElementType());
  };
  auto empty = [](OpBuilder &b, Location loc, Type t) -> Value {
    auto type = cast<RankedTensorType>(t);
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, ArrayRef<Attribute>{}));
  };
  for (auto fn : module.getOps<FuncOp>()) {
    FunctionType type = fn.getFunctionType();
    if (!fn.isExported() || fn.getBody().empty() ||
        (llvm::none_of(type.getInputs(), isEmpty) &&
         llvm::none_of(type.getResults(), isEmpty)) ||
        !SymbolTable::symbolKnownUseEmpty(fn, module))
      continue;
    Block &entry = fn.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    SmallVector<Type> inputs, results;
    for (BlockArgument arg : entry.getArguments()) {
      if (isEmpty(arg.getType())) {
        arg.replaceAllUsesWith(empty(b, fn.getLoc(), arg.getType()));
        arg.setType(flat(arg.getType()));
      }
      inputs.push_back(arg.getType());
    }
    for (Type t : type.getResults())
      results.push_back(isEmpty(t) ? flat(t) : t);
    fn.walk([&](ReturnOp ret) {
      b.setInsertionPoint(ret);
      for (OpOperand &operand : ret->getOpOperands())
        if (isEmpty(operand.get().getType()))
          operand.set(empty(b, ret.getLoc(), flat(operand.get().getType())));
    });
    fn.setFunctionType(FunctionType::get(fn.getContext(), inputs, results));
  }
}

struct SporeLowerToLinalgPass
    : spore::impl::SporeLowerToLinalgBase<SporeLowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // The exports' signatures, for the model's descriptor of its entry
    // points (spore-emit-c-abi): bufferisation erases names and types.
    std::string exports = exportsDescriptor(getOperation());
    if (!exports.empty())
      getOperation()->setAttr(kExportsAttr, StringAttr::get(ctx, exports));
    flattenEmptyBuffers(getOperation());
    // Recursive functions keep small frames (withinStackBudget).
    SymbolTableCollection symbols;
    for (auto fn : getOperation().getOps<FuncOp>())
      if (callsItself(fn, symbols))
        fn->setAttr(kRecursiveAttr, UnitAttr::get(ctx));
    bool callsRuntime = false;
    getOperation().walk(
        [&](Operation *op) { callsRuntime |= isa<PrintOp, AssertOp>(op); });
    if (callsRuntime)
      declareRuntimeFunctions(getOperation());
    ConversionTarget target(*ctx);
    target.addIllegalDialect<SporeDialect>();
    // The state declarations stay for spore-emit-c-abi, which turns them
    // into the descriptor of the C state functions.
    target.addLegalOp<ParameterOp>();
    target.addLegalDialect<func::FuncDialect, linalg::LinalgDialect,
                           tensor::TensorDialect, arith::ArithDialect,
                           math::MathDialect, scf::SCFDialect>();
    RewritePatternSet patterns(ctx);
    patterns.add<
        FuncLowering, ReturnLowering, CallLowering, ConstantLowering,
        BroadcastToLowering, TransposeLowering, ReshapeLowering,
        StopGradientLowering, ReductionLowering<SumOp>,
        ReductionLowering<MeanOp>, ReductionLowering<MaxOp>,
        ReductionLowering<MinOp>, ReductionLowering<ProdOp>,
        ConcatenateLowering, MatmulLowering, SoftmaxLikeLowering<SoftmaxOp>,
        SoftmaxLikeLowering<LogSoftmaxOp>, SliceLowering, DynamicSliceLowering,
        UpdateSliceLowering, DynamicUpdateSliceLowering, GatherLowering,
        Conv2DLowering, Pool2DLowering, CumsumLowering, RandomLowering,
        ScatterAddLowering, PrintLowering, AssertLowering>(ctx);
    patterns.add<ElementwiseLowering>(ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
