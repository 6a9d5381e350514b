//===- Interpreter.cpp - the reference interpreter of spore IR ------------===//
//
// One kernel per op, written for clarity rather than speed: elementwise ops
// on doubles or int64s rounded or wrapped to the dtype, reductions and
// shape ops by index arithmetic, scf by recursion over regions. Control
// flow, calls and the arith/tensor ops that the frontend puts around loops
// are interpreted too, so any module from the frontend runs. The kernels
// are the methods of a visitor that dispatches on the op's type; errors
// are returned (FailureOr), never thrown.
//
//===----------------------------------------------------------------------===//

#include "compiler/interpreter/Interpreter.h"
#include "dialects/spore/SporeOps.h"
#include "spore/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <functional>
#include <limits>
#include <new>

using namespace mlir;
using spore::interp::Tensor;

bool Tensor::isFloat() const { return isa<FloatType>(elementType); }

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {

/// Thrown when a tensor's storage cannot be allocated; runBlock adds the
/// op's location.
struct OutOfMemory {
  uint64_t bytes;
};

Tensor make(Type et, ArrayRef<int64_t> shape) {
  Tensor t;
  t.elementType = et;
  t.shape.assign(shape.begin(), shape.end());
  try {
    if (isa<FloatType>(et))
      t.f.assign(t.numel(), 0.0);
    else
      t.i.assign(t.numel(), 0);
  } catch (const std::bad_alloc &) {
    throw OutOfMemory{(uint64_t)t.numel() * 8};
  }
  return t;
}

/// `v` rounded to the floating type `et`, as compiled code stores it.
double roundTo(Type et, double v) {
  if (et.isF64())
    return v;
  if (et.isF32())
    return (double)(float)v;
  llvm::APFloat a(v);
  bool lost;
  a.convert(cast<FloatType>(et).getFloatSemantics(),
            llvm::APFloat::rmNearestTiesToEven, &lost);
  return a.convertToDouble();
}

/// The tensor that a dense constant holds.
Tensor fromElements(DenseElementsAttr attr) {
  Tensor t = make(attr.getElementType(), attr.getType().getShape());
  int64_t k = 0;
  if (t.isFloat())
    for (const APFloat &v : attr.getValues<APFloat>())
      t.f[k++] = roundTo(t.elementType, v.convertToDouble());
  else
    for (const APInt &v : attr.getValues<APInt>())
      t.i[k++] = t.elementType.isInteger(1) ? (int64_t)v.getZExtValue()
                                            : v.getSExtValue();
  return t;
}

/// `v` wrapped to the integer type `et` (index and i64 keep 64 bits).
int64_t wrapTo(Type et, int64_t v) {
  unsigned width = et.isIndex() ? 64 : et.getIntOrFloatBitWidth();
  if (width == 1)
    return v & 1;
  if (width >= 64)
    return v;
  uint64_t mask = (uint64_t(1) << width) - 1;
  uint64_t u = (uint64_t)v & mask;
  if (u >> (width - 1))
    u |= ~mask;
  return (int64_t)u;
}

llvm::SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t d = (int64_t)shape.size() - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// The multi-index of the row-major position `flat`.
llvm::SmallVector<int64_t> unravel(int64_t flat, ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> idx(shape.size());
  for (int64_t d = (int64_t)shape.size() - 1; d >= 0; --d) {
    int64_t n = shape[d] ? shape[d] : 1;
    idx[d] = flat % n;
    flat /= n;
  }
  return idx;
}

int64_t ravel(ArrayRef<int64_t> idx, ArrayRef<int64_t> strides) {
  int64_t flat = 0;
  for (size_t d = 0; d < idx.size(); ++d)
    flat += idx[d] * strides[d];
  return flat;
}

double getF(const Tensor &t, int64_t k) {
  return t.isFloat() ? t.f[k] : (double)t.i[k];
}

/// Copies element `from` of `src` into element `to` of `dst` (same dtype).
void copyElement(Tensor &dst, int64_t to, const Tensor &src, int64_t from) {
  if (dst.isFloat())
    dst.f[to] = src.f[from];
  else
    dst.i[to] = src.i[from];
}

int64_t floorDiv(int64_t a, int64_t b) {
  if (b == 0)
    return 0;
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    --q;
  return q;
}

/// IEEE 754-2019 maximum and minimum, as arith.maximumf/minimumf in the
/// compiled code: NaN if either operand is NaN, and -0 < +0.
double ieeeMaximum(double a, double b) {
  if (a != a || b != b)
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double ieeeMinimum(double a, double b) {
  if (a != a || b != b)
    return std::numeric_limits<double>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

int64_t floorMod(int64_t a, int64_t b) {
  if (b == 0)
    return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0)))
    r += b;
  return r;
}

/// Whether `a p b` holds.
template <typename T> bool holds(spore::ComparePredicate p, T a, T b) {
  switch (p) {
  case spore::ComparePredicate::eq:
    return a == b;
  case spore::ComparePredicate::ne:
    return a != b;
  case spore::ComparePredicate::lt:
    return a < b;
  case spore::ComparePredicate::le:
    return a <= b;
  case spore::ComparePredicate::gt:
    return a > b;
  case spore::ComparePredicate::ge:
    return a >= b;
  }
  return false;
}

/// Reduces `x` over `axes` with `combine`, starting from `init`.
Tensor reduce(const Tensor &x, ArrayRef<int64_t> axes, RankedTensorType type,
              double init, const std::function<double(double, double)> &f) {
  Tensor out = make(type.getElementType(), type.getShape());
  std::vector<double> acc(out.numel(), init);
  llvm::SmallVector<int64_t> keptShape;
  for (size_t d = 0; d < x.shape.size(); ++d)
    keptShape.push_back(llvm::is_contained(axes, (int64_t)d) ? 1 : x.shape[d]);
  auto keptStrides = stridesOf(keptShape);
  for (int64_t k = 0; k < x.numel(); ++k) {
    auto idx = unravel(k, x.shape);
    for (int64_t a : axes)
      idx[a] = 0;
    int64_t o = ravel(idx, keptStrides);
    acc[o] = f(acc[o], getF(x, k));
  }
  for (int64_t o = 0; o < out.numel(); ++o) {
    if (out.isFloat())
      out.f[o] = roundTo(out.elementType, acc[o]);
    else
      out.i[o] = wrapTo(out.elementType, (int64_t)acc[o]);
  }
  return out;
}

using Results = std::vector<Tensor>;
using Frame = llvm::DenseMap<Value, Tensor>;

RankedTensorType resultType(Operation *op, unsigned i = 0) {
  return cast<RankedTensorType>(op->getResult(i).getType());
}

/// Runs ops: a visitor with one method per op (or family of ops), picked by
/// the op's type (llvm::TypeSwitch, as CIRCT's CombVisitors.h). Each returns
/// its results, or failure with `error` set. The one error that travels as
/// an exception is a failed allocation (OutOfMemory from make(), or the
/// standard library's bad_alloc), which runBlock turns into an error naming
/// the op's source location.
class Machine {
public:
  explicit Machine(ModuleOp module) : module(module) {}

  FailureOr<Results> call(spore::FuncOp fn, ArrayRef<Tensor> args) {
    // What compiled code checks at the entry of a recursive function
    // (spore_stack_check), checked at every call.
    if (spore_stack_left() == 0)
      return fail(spore::sourceSite(fn.getLoc()) +
                  ": recursion too deep: the native stack is used up (raise "
                  "its limit, e.g. with ulimit -s, or recurse less deeply)");
    Frame frame;
    Block &entry = fn.getBody().front();
    for (auto [arg, value] : llvm::zip(entry.getArguments(), args))
      frame[arg] = value;
    return runBlock(entry, frame);
  }

  /// Why the last failing call failed.
  std::string error;

private:
  ModuleOp module;

  FailureOr<Results> fail(const Twine &message) {
    error = message.str();
    return failure();
  }

  /// Runs `block` and returns its terminator's operands.
  FailureOr<Results> runBlock(Block &block, Frame &frame) {
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        Results out;
        for (Value v : op.getOperands())
          out.push_back(frame.at(v));
        return out;
      }
      FailureOr<Results> results = failure();
      try {
        results = execute(op, frame);
      } catch (const OutOfMemory &oom) {
        return fail(spore::sourceSite(op.getLoc()) +
                    ": out of memory allocating " + Twine(oom.bytes) +
                    " bytes");
      } catch (const std::bad_alloc &) {
        return fail(spore::sourceSite(op.getLoc()) + ": out of memory");
      }
      if (failed(results))
        return failure();
      for (auto [r, t] : llvm::zip(op.getResults(), *results))
        frame[r] = std::move(t);
    }
    return fail("a block without a terminator");
  }

  FailureOr<Results> runRegion(Region &region, Frame &frame,
                               ArrayRef<Tensor> args) {
    Block &block = region.front();
    for (auto [arg, value] : llvm::zip(block.getArguments(), args))
      frame[arg] = value;
    return runBlock(block, frame);
  }

  FailureOr<Results> execute(Operation &op, Frame &frame) {
    Results in;
    for (Value v : op.getOperands())
      in.push_back(frame.at(v));
    return TypeSwitch<Operation *, FailureOr<Results>>(&op)
        // Elementwise spore ops.
        .Case<spore::ScalarElementwiseOp>(
            [&](auto) { return elementwise(op, in); })
        // The other spore ops.
        .Case<spore::ConstantOp, spore::CallOp, spore::MatmulOp, spore::SumOp,
              spore::ProdOp, spore::MaxOp, spore::MinOp, spore::MeanOp,
              spore::StopGradientOp, spore::ReshapeOp, spore::TransposeOp,
              spore::BroadcastToOp, spore::SoftmaxOp, spore::LogSoftmaxOp,
              spore::SliceOp, spore::DynamicSliceOp, spore::UpdateSliceOp,
              spore::DynamicUpdateSliceOp, spore::GatherOp, spore::ScatterAddOp,
              spore::ConcatenateOp, spore::CumsumOp, spore::Conv2DOp,
              spore::Pool2DOp, spore::RandomOp, spore::AssertOp,
              spore::PrintOp>([&](auto op) { return visit(op, in); })
        // Structured control flow.
        .Case<scf::IfOp, scf::ForOp, scf::WhileOp>(
            [&](auto op) { return visit(op, in, frame); })
        // What the frontend and differentiation put around loops: scalars
        // (tensor.extract/from_elements, arith) and the value stacks of
        // differentiated loops (tensor.empty/dim and row slices).
        .Case<tensor::ExtractOp, tensor::EmptyOp, bufferization::AllocTensorOp,
              tensor::InsertOp, tensor::CastOp, tensor::DimOp,
              tensor::ExtractSliceOp, tensor::InsertSliceOp,
              tensor::FromElementsOp, arith::ConstantOp, arith::IndexCastOp,
              arith::ExtSIOp, arith::TruncIOp, arith::AddIOp, arith::SubIOp,
              arith::MulIOp, arith::CeilDivSIOp, arith::DivUIOp, arith::MaxSIOp,
              arith::MinSIOp, arith::CmpIOp, arith::SelectOp>(
            [&](auto op) { return visit(op, in); })
        .Default([&](Operation *op) {
          return fail("the interpreter has no kernel for '" +
                      op->getName().getStringRef() + "'");
        });
  }

  FailureOr<Results> elementwise(Operation &op, ArrayRef<Tensor> in);

  FailureOr<Results> visit(spore::ConstantOp c, ArrayRef<Tensor>) {
    return Results{fromElements(cast<DenseElementsAttr>(c.getValue()))};
  }
  FailureOr<Results> visit(spore::CallOp op, ArrayRef<Tensor> in) {
    auto callee = module.lookupSymbol<spore::FuncOp>(op.getCallee());
    if (!callee)
      return fail("call of an unknown function " + op.getCallee());
    return call(callee, in);
  }
  FailureOr<Results> visit(spore::MatmulOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::SumOp op, ArrayRef<Tensor> in) {
    return Results{
        reduce(in[0], op.getAxes(), resultType(op), 0, std::plus<double>())};
  }
  FailureOr<Results> visit(spore::ProdOp op, ArrayRef<Tensor> in) {
    return Results{reduce(in[0], op.getAxes(), resultType(op), 1,
                          std::multiplies<double>())};
  }
  FailureOr<Results> visit(spore::MaxOp op, ArrayRef<Tensor> in) {
    return Results{
        reduce(in[0], op.getAxes(), resultType(op), -INFINITY, ieeeMaximum)};
  }
  FailureOr<Results> visit(spore::MinOp op, ArrayRef<Tensor> in) {
    return Results{
        reduce(in[0], op.getAxes(), resultType(op), INFINITY, ieeeMinimum)};
  }
  FailureOr<Results> visit(spore::MeanOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::StopGradientOp, ArrayRef<Tensor> in) {
    return Results{in[0]};
  }
  FailureOr<Results> visit(spore::ReshapeOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::TransposeOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::BroadcastToOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::SoftmaxOp op, ArrayRef<Tensor> in) {
    return Results{softmax(in[0], op.getAxis(), /*log=*/false)};
  }
  FailureOr<Results> visit(spore::LogSoftmaxOp op, ArrayRef<Tensor> in) {
    return Results{softmax(in[0], op.getAxis(), /*log=*/true)};
  }
  FailureOr<Results> visit(spore::SliceOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::DynamicSliceOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::UpdateSliceOp op, ArrayRef<Tensor> in) {
    return Results{updateSlice(in[0], in[1], op.getStarts(), op.getSteps())};
  }
  FailureOr<Results> visit(spore::DynamicUpdateSliceOp op,
                           ArrayRef<Tensor> in) {
    llvm::SmallVector<int64_t> steps(in[0].shape.size(), 1);
    return Results{updateSlice(
        in[0], in[1], clampedStarts(in.drop_front(2), in[0].shape, in[1].shape),
        steps)};
  }
  FailureOr<Results> visit(spore::GatherOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::ScatterAddOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::ConcatenateOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::CumsumOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::Conv2DOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::Pool2DOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::RandomOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::AssertOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(spore::PrintOp op, ArrayRef<Tensor> in);

  FailureOr<Results> visit(scf::IfOp op, ArrayRef<Tensor> in, Frame &frame);
  FailureOr<Results> visit(scf::ForOp op, ArrayRef<Tensor> in, Frame &frame);
  FailureOr<Results> visit(scf::WhileOp op, ArrayRef<Tensor> in, Frame &frame);

  FailureOr<Results> visit(tensor::ExtractOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(tensor::EmptyOp op, ArrayRef<Tensor> in) {
    return emptyTensor(op, in);
  }
  FailureOr<Results> visit(bufferization::AllocTensorOp op,
                           ArrayRef<Tensor> in) {
    return emptyTensor(op, in);
  }
  FailureOr<Results> visit(tensor::InsertOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(tensor::CastOp, ArrayRef<Tensor> in) {
    return Results{in[0]}; // folding makes static sizes dynamic
  }
  FailureOr<Results> visit(tensor::DimOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(tensor::ExtractSliceOp op, ArrayRef<Tensor> in) {
    return tensorSlice(op, in);
  }
  FailureOr<Results> visit(tensor::InsertSliceOp op, ArrayRef<Tensor> in) {
    return tensorSlice(op, in);
  }
  FailureOr<Results> visit(tensor::FromElementsOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(arith::ConstantOp op, ArrayRef<Tensor> in);
  FailureOr<Results> visit(arith::IndexCastOp op, ArrayRef<Tensor> in) {
    return intCast(op, in);
  }
  FailureOr<Results> visit(arith::ExtSIOp op, ArrayRef<Tensor> in) {
    return intCast(op, in);
  }
  FailureOr<Results> visit(arith::TruncIOp op, ArrayRef<Tensor> in) {
    return intCast(op, in);
  }
  template <typename Op>
  FailureOr<Results> visit(
      Op op, ArrayRef<Tensor> in,
      std::enable_if_t<llvm::is_one_of<
          Op, arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::CeilDivSIOp,
          arith::DivUIOp, arith::MaxSIOp, arith::MinSIOp>::value> * = nullptr) {
    return intBinary(op, in);
  }
  FailureOr<Results> visit(arith::CmpIOp cmp, ArrayRef<Tensor> in);
  FailureOr<Results> visit(arith::SelectOp, ArrayRef<Tensor> in) {
    return Results{in[0].i[0] ? in[1] : in[2]};
  }

  // Kernels shared by several ops.
  Tensor softmax(const Tensor &x, int64_t axis, bool log);
  Tensor updateSlice(Tensor out, const Tensor &u, ArrayRef<int64_t> starts,
                     ArrayRef<int64_t> steps);
  FailureOr<Results> emptyTensor(Operation *op, ArrayRef<Tensor> in);
  FailureOr<Results> tensorSlice(Operation *op, ArrayRef<Tensor> in);
  FailureOr<Results> intCast(Operation *op, ArrayRef<Tensor> in);
  FailureOr<Results> intBinary(Operation *op, ArrayRef<Tensor> in);

  /// Run-time starts of a block of `block` in `dims`, clamped to fit (as
  /// compiled code clamps them).
  static llvm::SmallVector<int64_t> clampedStarts(ArrayRef<Tensor> starts,
                                                  ArrayRef<int64_t> dims,
                                                  ArrayRef<int64_t> block) {
    llvm::SmallVector<int64_t> s;
    for (size_t d = 0; d < dims.size(); ++d)
      s.push_back(std::max<int64_t>(
          0, std::min<int64_t>(starts[d].i[0], dims[d] - block[d])));
    return s;
  }
  /// A gather or scatter index: negative from the end, clamped into range.
  static int64_t normalised(int64_t i, int64_t n) {
    if (i < 0)
      i += n;
    return std::max<int64_t>(0, std::min<int64_t>(i, n - 1));
  }
  /// The value of a slice bound of `op`: an attribute, or an operand.
  static int64_t indexOf(Operation *op, OpFoldResult r, ArrayRef<Tensor> in) {
    if (auto attr = dyn_cast<Attribute>(r))
      return cast<IntegerAttr>(attr).getInt();
    Value v = cast<Value>(r);
    for (auto [k, operand] : llvm::enumerate(op->getOperands()))
      if (operand == v)
        return in[k].i[0];
    llvm_unreachable("a slice bound is an attribute or an operand");
  }
};

/// The scalar function of an elementwise spore op on floats; null when the
/// op has none. Unary functions are the dialect's (spore::evaluateUnary,
/// which the frontend folds with too).
using FloatUnary = std::function<double(double)>;
using FloatBinary = double (*)(double, double);
FloatBinary floatBinary(Operation &op) {
  return TypeSwitch<Operation *, FloatBinary>(&op)
      .Case(
          [](spore::AddOp) { return [](double a, double b) { return a + b; }; })
      .Case(
          [](spore::SubOp) { return [](double a, double b) { return a - b; }; })
      .Case(
          [](spore::MulOp) { return [](double a, double b) { return a * b; }; })
      .Case(
          [](spore::DivOp) { return [](double a, double b) { return a / b; }; })
      .Case([](spore::FloorDivOp) {
        return [](double a, double b) {
          return spore::floatDivMod(a, b, /*remainder=*/false);
        };
      })
      .Case([](spore::ModOp) {
        return [](double a, double b) {
          return spore::floatDivMod(a, b, /*remainder=*/true);
        };
      })
      .Case([](spore::MaximumOp) { return ieeeMaximum; })
      .Case([](spore::MinimumOp) { return ieeeMinimum; })
      .Case([](spore::PowOp) {
        return [](double a, double b) { return std::pow(a, b); };
      })
      .Case([](spore::Atan2Op) {
        return [](double a, double b) { return std::atan2(a, b); };
      })
      .Default([](Operation *) { return nullptr; });
}

FloatUnary floatUnary(Operation &op) {
  if (auto polygamma = dyn_cast<spore::PolygammaOp>(op)) {
    int64_t order = polygamma.getOrder();
    return [order](double x) { return spore::polygammaValue(order, x); };
  }
  StringRef name = op.getName().stripDialect();
  if (!spore::evaluateUnary(name, 0.5))
    return nullptr;
  return [name](double x) { return *spore::evaluateUnary(name, x); };
}

/// The scalar function of an elementwise spore op on integers (and bools,
/// as 0 and 1); null when the op has none.
using IntFn = int64_t (*)(int64_t, int64_t, bool isBool);
IntFn intKernel(Operation &op) {
  return TypeSwitch<Operation *, IntFn>(&op)
      .Case([](spore::NegOp) {
        return [](int64_t a, int64_t, bool) { return -a; };
      })
      .Case([](spore::AbsOp) {
        return [](int64_t a, int64_t, bool) { return a < 0 ? -a : a; };
      })
      .Case([](spore::ReluOp) {
        return [](int64_t a, int64_t, bool) { return a > 0 ? a : int64_t(0); };
      })
      .Case([](spore::NotOp) {
        return [](int64_t a, int64_t, bool isBool) {
          return isBool ? int64_t(!a) : ~a;
        };
      })
      .Case([](spore::AddOp) {
        return [](int64_t a, int64_t b, bool) { return a + b; };
      })
      .Case([](spore::SubOp) {
        return [](int64_t a, int64_t b, bool) { return a - b; };
      })
      .Case([](spore::MulOp) {
        return [](int64_t a, int64_t b, bool) { return a * b; };
      })
      .Case([](spore::FloorDivOp) {
        return [](int64_t a, int64_t b, bool) { return floorDiv(a, b); };
      })
      .Case([](spore::ModOp) {
        return [](int64_t a, int64_t b, bool) { return floorMod(a, b); };
      })
      .Case([](spore::MaximumOp) {
        return [](int64_t a, int64_t b, bool) { return std::max(a, b); };
      })
      .Case([](spore::MinimumOp) {
        return [](int64_t a, int64_t b, bool) { return std::min(a, b); };
      })
      .Case([](spore::AndOp) {
        return [](int64_t a, int64_t b, bool) { return a & b; };
      })
      .Case([](spore::OrOp) {
        return [](int64_t a, int64_t b, bool) { return a | b; };
      })
      .Case([](spore::XorOp) {
        return [](int64_t a, int64_t b, bool) { return a ^ b; };
      })
      .Default([](Operation *) { return nullptr; });
}

FailureOr<Results> Machine::elementwise(Operation &op, ArrayRef<Tensor> in) {
  RankedTensorType type = resultType(&op);
  Type et = type.getElementType();
  Tensor out = make(et, type.getShape());
  int64_t n = out.numel();
  if (auto cmp = dyn_cast<spore::CompareOp>(op)) {
    for (int64_t k = 0; k < n; ++k) {
      out.i[k] = in[0].isFloat()
                     ? holds(cmp.getPredicate(), in[0].f[k], in[1].f[k])
                     : holds(cmp.getPredicate(), in[0].i[k], in[1].i[k]);
    }
    return Results{out};
  }
  if (isa<spore::SelectOp>(op)) {
    for (int64_t k = 0; k < n; ++k)
      copyElement(out, k, in[0].i[k] ? in[1] : in[2], k);
    return Results{out};
  }
  if (isa<spore::CastOp>(op)) {
    const Tensor &x = in[0];
    for (int64_t k = 0; k < n; ++k) {
      if (et.isInteger(1))
        out.i[k] = x.isFloat() ? (x.f[k] != 0) : (x.i[k] != 0);
      else if (out.isFloat())
        out.f[k] = roundTo(et, getF(x, k));
      else if (x.isFloat())
        out.i[k] = wrapTo(et, (int64_t)std::trunc(x.f[k]));
      else
        out.i[k] = wrapTo(et, x.i[k]);
    }
    return Results{out};
  }
  if (out.isFloat() && in.size() == 1) {
    FloatUnary f = floatUnary(op);
    if (!f)
      return fail("no float kernel for " + op.getName().getStringRef());
    for (int64_t k = 0; k < n; ++k)
      out.f[k] = roundTo(et, f(in[0].f[k]));
    return Results{out};
  }
  if (out.isFloat()) {
    FloatBinary f = floatBinary(op);
    if (!f)
      return fail("no float kernel for " + op.getName().getStringRef());
    for (int64_t k = 0; k < n; ++k)
      out.f[k] = roundTo(et, f(in[0].f[k], in[1].f[k]));
    return Results{out};
  }
  IntFn f = intKernel(op);
  if (!f)
    return fail("no integer kernel for " + op.getName().getStringRef());
  bool isBool = et.isInteger(1);
  for (int64_t k = 0; k < n; ++k)
    out.i[k] =
        wrapTo(et, f(in[0].i[k], in.size() > 1 ? in[1].i[k] : 0, isBool));
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::MatmulOp op, ArrayRef<Tensor> in) {
  // Promote 1-D operands, broadcast batch dimensions, multiply.
  Tensor a = in[0], b = in[1];
  if (a.shape.size() == 1)
    a.shape.insert(a.shape.begin(), 1);
  if (b.shape.size() == 1)
    b.shape.push_back(1);
  int64_t M = a.shape[a.shape.size() - 2], K = a.shape.back(),
          N = b.shape.back();
  llvm::SmallVector<int64_t> batch(resultType(op).getShape());
  Tensor out = make(resultType(op).getElementType(), resultType(op).getShape());
  int64_t batches = out.numel() / std::max<int64_t>(M * N, 1);
  auto aBatch = ArrayRef<int64_t>(a.shape).drop_back(2);
  auto bBatch = ArrayRef<int64_t>(b.shape).drop_back(2);
  int64_t rank = std::max(aBatch.size(), bBatch.size());
  llvm::SmallVector<int64_t> bshape(rank, 1);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t x = d - (rank - (int64_t)aBatch.size()),
            y = d - (rank - (int64_t)bBatch.size());
    bshape[d] = std::max(x >= 0 ? aBatch[x] : 1, y >= 0 ? bBatch[y] : 1);
  }
  for (int64_t bi = 0; bi < batches; ++bi) {
    auto idx = unravel(bi, bshape);
    auto offset = [&](ArrayRef<int64_t> own) {
      int64_t flat = 0;
      for (size_t d = 0; d < own.size(); ++d) {
        int64_t i = idx[rank - own.size() + d];
        flat = flat * own[d] + (own[d] == 1 ? 0 : i);
      }
      return flat;
    };
    int64_t ao = offset(aBatch) * M * K, bo = offset(bBatch) * K * N;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += getF(a, ao + i * K + k) * getF(b, bo + k * N + j);
        int64_t o = bi * M * N + i * N + j;
        if (out.isFloat())
          out.f[o] = roundTo(out.elementType, s);
        else
          out.i[o] = wrapTo(out.elementType, (int64_t)s);
      }
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::MeanOp r, ArrayRef<Tensor> in) {
  Operation *op = r;
  auto reduction = [&](ArrayRef<int64_t> axes, double init,
                       std::function<double(double, double)> f) {
    return reduce(in[0], axes, resultType(op), init, f);
  };
  Tensor s = reduction(r.getAxes(), 0, std::plus<double>());
  int64_t count = 1;
  for (int64_t a : r.getAxes())
    count *= in[0].shape[a];
  for (double &v : s.f)
    v = roundTo(s.elementType, count ? v / count : NAN);
  return Results{s};
}

FailureOr<Results> Machine::visit(spore::ReshapeOp op, ArrayRef<Tensor> in) {
  Tensor t = in[0];
  t.shape.assign(resultType(op).getShape().begin(),
                 resultType(op).getShape().end());
  return Results{t};
}

FailureOr<Results> Machine::visit(spore::TransposeOp t, ArrayRef<Tensor> in) {
  Operation *op = t;
  Tensor out = make(in[0].elementType, resultType(op).getShape());
  auto inStrides = stridesOf(in[0].shape);
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto idx = unravel(k, out.shape);
    llvm::SmallVector<int64_t> src(idx.size());
    for (size_t d = 0; d < idx.size(); ++d)
      src[t.getPermutation()[d]] = idx[d];
    copyElement(out, k, in[0], ravel(src, inStrides));
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::BroadcastToOp op,
                                  ArrayRef<Tensor> in) {
  Tensor out = make(in[0].elementType, resultType(op).getShape());
  auto inStrides = stridesOf(in[0].shape);
  int64_t offset = out.shape.size() - in[0].shape.size();
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto idx = unravel(k, out.shape);
    int64_t src = 0;
    for (size_t d = 0; d < in[0].shape.size(); ++d)
      src += (in[0].shape[d] == 1 ? 0 : idx[d + offset]) * inStrides[d];
    copyElement(out, k, in[0], src);
  }
  return Results{out};
}

Tensor Machine::softmax(const Tensor &x, int64_t axis, bool log) {
  Tensor out = make(x.elementType, x.shape);
  auto strides = stridesOf(x.shape);
  int64_t n = x.shape[axis];
  for (int64_t k = 0; k < x.numel(); ++k) {
    auto idx = unravel(k, x.shape);
    if (idx[axis] != 0)
      continue;
    double m = -INFINITY, s = 0;
    for (int64_t j = 0; j < n; ++j)
      m = std::max(m, x.f[k + j * strides[axis]]);
    for (int64_t j = 0; j < n; ++j)
      s += std::exp(x.f[k + j * strides[axis]] - m);
    for (int64_t j = 0; j < n; ++j) {
      double v = x.f[k + j * strides[axis]] - m;
      out.f[k + j * strides[axis]] =
          roundTo(x.elementType, log ? v - std::log(s) : std::exp(v) / s);
    }
  }
  return out;
}

Tensor Machine::updateSlice(Tensor out, const Tensor &u,
                            ArrayRef<int64_t> starts, ArrayRef<int64_t> steps) {
  auto strides = stridesOf(out.shape);
  for (int64_t k = 0; k < u.numel(); ++k) {
    auto idx = unravel(k, u.shape);
    for (size_t d = 0; d < idx.size(); ++d)
      idx[d] = starts[d] + idx[d] * steps[d];
    copyElement(out, ravel(idx, strides), u, k);
  }
  return out;
}

FailureOr<Results> Machine::visit(spore::SliceOp s, ArrayRef<Tensor> in) {
  Operation *op = s;
  Tensor out = make(in[0].elementType, resultType(op).getShape());
  auto inStrides = stridesOf(in[0].shape);
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto idx = unravel(k, out.shape);
    for (size_t d = 0; d < idx.size(); ++d)
      idx[d] = s.getStarts()[d] + idx[d] * s.getSteps()[d];
    copyElement(out, k, in[0], ravel(idx, inStrides));
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::DynamicSliceOp op,
                                  ArrayRef<Tensor> in) {
  Tensor out = make(in[0].elementType, resultType(op).getShape());
  auto starts =
      clampedStarts(ArrayRef<Tensor>(in).drop_front(), in[0].shape, out.shape);
  auto inStrides = stridesOf(in[0].shape);
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto idx = unravel(k, out.shape);
    for (size_t d = 0; d < idx.size(); ++d)
      idx[d] += starts[d];
    copyElement(out, k, in[0], ravel(idx, inStrides));
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::GatherOp g, ArrayRef<Tensor> in) {
  Operation *op = g;
  Tensor out = make(in[0].elementType, resultType(op).getShape());
  int64_t axis = g.getAxis(), r = in[1].shape.size();
  auto inStrides = stridesOf(in[0].shape), idxStrides = stridesOf(in[1].shape);
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto idx = unravel(k, out.shape);
    llvm::SmallVector<int64_t> src(idx.begin(), idx.begin() + axis);
    int64_t j = ravel(ArrayRef<int64_t>(idx).slice(axis, r), idxStrides);
    src.push_back(normalised(in[1].i[j], in[0].shape[axis]));
    src.append(idx.begin() + axis + r, idx.end());
    copyElement(out, k, in[0], ravel(src, inStrides));
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::ScatterAddOp s, ArrayRef<Tensor> in) {
  Tensor out = in[0];
  const Tensor &u = in[2];
  int64_t axis = s.getAxis(), r = in[1].shape.size();
  auto strides = stridesOf(out.shape), idxStrides = stridesOf(in[1].shape);
  for (int64_t k = 0; k < u.numel(); ++k) {
    auto idx = unravel(k, u.shape);
    llvm::SmallVector<int64_t> dst(idx.begin(), idx.begin() + axis);
    int64_t j = ravel(ArrayRef<int64_t>(idx).slice(axis, r), idxStrides);
    dst.push_back(normalised(in[1].i[j], out.shape[axis]));
    dst.append(idx.begin() + axis + r, idx.end());
    int64_t o = ravel(dst, strides);
    if (out.isFloat())
      out.f[o] = roundTo(out.elementType, out.f[o] + u.f[k]);
    else
      out.i[o] = wrapTo(out.elementType, out.i[o] + u.i[k]);
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::ConcatenateOp c, ArrayRef<Tensor> in) {
  Operation *op = c;
  Tensor out = make(resultType(op).getElementType(), resultType(op).getShape());
  int64_t axis = c.getAxis(), offset = 0;
  auto strides = stridesOf(out.shape);
  for (const Tensor &t : in) {
    for (int64_t k = 0; k < t.numel(); ++k) {
      auto idx = unravel(k, t.shape);
      idx[axis] += offset;
      copyElement(out, ravel(idx, strides), t, k);
    }
    offset += t.shape[axis];
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::CumsumOp c, ArrayRef<Tensor> in) {
  Tensor out = in[0];
  int64_t axis = c.getAxis();
  auto strides = stridesOf(out.shape);
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto idx = unravel(k, out.shape);
    if (idx[axis] == 0)
      continue;
    int64_t prev = k - strides[axis];
    if (out.isFloat())
      out.f[k] = roundTo(out.elementType, out.f[k] + out.f[prev]);
    else
      out.i[k] = wrapTo(out.elementType, out.i[k] + out.i[prev]);
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::Conv2DOp c, ArrayRef<Tensor> in) {
  Operation *op = c;
  const Tensor &x = in[0], &w = in[1];
  Tensor out = make(x.elementType, resultType(op).getShape());
  int64_t groups = c.getGroups(), cg = w.shape[2], f = w.shape[3],
          fg = f / groups;
  auto pad = c.getPadding();
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto o = unravel(k, out.shape); // n, oh, ow, co
    int64_t g = o[3] / fg;
    double s = 0;
    for (int64_t i = 0; i < w.shape[0]; ++i)
      for (int64_t j = 0; j < w.shape[1]; ++j) {
        int64_t h = o[1] * c.getStrides()[0] + i * c.getDilations()[0] - pad[0];
        int64_t v = o[2] * c.getStrides()[1] + j * c.getDilations()[1] - pad[2];
        if (h < 0 || h >= x.shape[1] || v < 0 || v >= x.shape[2])
          continue;
        for (int64_t ci = 0; ci < cg; ++ci)
          s += x.f[((o[0] * x.shape[1] + h) * x.shape[2] + v) * x.shape[3] +
                   g * cg + ci] *
               w.f[((i * w.shape[1] + j) * cg + ci) * f + o[3]];
      }
    out.f[k] = roundTo(out.elementType, s);
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::Pool2DOp p, ArrayRef<Tensor> in) {
  Operation *op = p;
  const Tensor &x = in[0];
  Tensor out = make(x.elementType, resultType(op).getShape());
  bool isMax = p.getKind() == spore::PoolKind::max;
  auto pad = p.getPadding();
  for (int64_t k = 0; k < out.numel(); ++k) {
    auto o = unravel(k, out.shape);
    double s = isMax ? -INFINITY : 0;
    for (int64_t i = 0; i < p.getWindow()[0]; ++i)
      for (int64_t j = 0; j < p.getWindow()[1]; ++j) {
        int64_t h = o[1] * p.getStrides()[0] + i - pad[0];
        int64_t v = o[2] * p.getStrides()[1] + j - pad[2];
        if (h < 0 || h >= x.shape[1] || v < 0 || v >= x.shape[2])
          continue; // padding: never the max, zero in the sum
        double e =
            x.f[((o[0] * x.shape[1] + h) * x.shape[2] + v) * x.shape[3] + o[3]];
        s = isMax ? std::max(s, e) : s + e;
      }
    if (!isMax)
      s /= (double)(p.getWindow()[0] * p.getWindow()[1]);
    out.f[k] = roundTo(out.elementType, s);
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::RandomOp op, ArrayRef<Tensor> in) {
  Tensor out = make(resultType(op).getElementType(), resultType(op).getShape());
  uint32_t k0 = (uint32_t)in[0].i[0], k1 = (uint32_t)in[0].i[1];
  for (int64_t k = 0; k < out.numel(); ++k) {
    uint32_t counter[4] = {(uint32_t)k, (uint32_t)((uint64_t)k >> 32), 0, 0};
    uint32_t key[2] = {k0, k1}, block[4];
    spore_philox4x32(counter, key, block);
    uint32_t word = block[0];
    if (out.isFloat())
      out.f[k] =
          roundTo(out.elementType, (float)(word >> 8) * (1.0f / 16777216.0f));
    else
      out.i[k] = (int32_t)word;
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(spore::AssertOp a, ArrayRef<Tensor> in) {
  if (in[0].i[0])
    return Results{};
  // The message the compiled code composes (spore-lower-to-linalg).
  std::string message;
  StringRef rest = a.getMessage();
  for (size_t k = 1;; ++k) {
    auto [text, after] =
        in.size() == 1 ? std::pair(rest, StringRef()) : rest.split("{}");
    message += text.str();
    if (k >= in.size())
      break;
    message += std::to_string(in[k].i[0]);
    rest = after;
  }
  return fail(message);
}

FailureOr<Results> Machine::visit(spore::PrintOp p, ArrayRef<Tensor> in) {
  // The runtime's printer, so that both modes print alike.
  auto text = [](StringRef s) {
    for (char c : s)
      spore_print_text(c);
  };
  for (auto [k, t] : llvm::enumerate(in)) {
    text(cast<StringAttr>(p.getText()[k]).getValue());
    for (int64_t d : t.shape)
      spore_print_shape(d);
    for (int64_t e = 0; e < t.numel(); ++e) {
      if (t.isFloat())
        spore_print_f64(t.f[e]);
      else if (t.elementType.isInteger(1))
        spore_print_bool((int32_t)t.i[e]);
      else
        spore_print_i64(t.i[e]);
    }
    spore_print_end_tensor();
  }
  text(cast<StringAttr>(p.getText().getValue().back()).getValue());
  spore_print_end();
  return Results{};
}

FailureOr<Results> Machine::visit(scf::IfOp op, ArrayRef<Tensor> in,
                                  Frame &frame) {
  Region &r = in[0].i[0] ? op.getThenRegion() : op.getElseRegion();
  if (r.empty())
    return Results{};
  return runRegion(r, frame, {});
}

FailureOr<Results> Machine::visit(scf::ForOp op, ArrayRef<Tensor> in,
                                  Frame &frame) {
  Results carried(in.begin() + 3, in.end());
  for (int64_t i = in[0].i[0]; i < in[1].i[0]; i += in[2].i[0]) {
    Tensor iv = make(IndexType::get(op.getContext()), {});
    iv.i[0] = i;
    Results args{iv};
    args.insert(args.end(), carried.begin(), carried.end());
    FailureOr<Results> next = runRegion(op.getRegion(), frame, args);
    if (failed(next))
      return failure();
    carried = std::move(*next);
  }
  return carried;
}

FailureOr<Results> Machine::visit(scf::WhileOp op, ArrayRef<Tensor> in,
                                  Frame &frame) {
  Results carried(in.begin(), in.end());
  while (true) {
    FailureOr<Results> cond = runRegion(op.getBefore(), frame, carried);
    if (failed(cond))
      return failure();
    Results forwarded(cond->begin() + 1, cond->end());
    if (!(*cond)[0].i[0])
      return forwarded;
    FailureOr<Results> next = runRegion(op.getAfter(), frame, forwarded);
    if (failed(next))
      return failure();
    carried = std::move(*next);
  }
}

FailureOr<Results> Machine::visit(tensor::ExtractOp op, ArrayRef<Tensor> in) {
  const Tensor &t = in[0];
  llvm::SmallVector<int64_t> idx;
  for (size_t k = 1; k < in.size(); ++k)
    idx.push_back(in[k].i[0]);
  Tensor s = make(t.elementType, {});
  copyElement(s, 0, t, ravel(idx, stridesOf(t.shape)));
  return Results{s};
}

FailureOr<Results> Machine::emptyTensor(Operation *op, ArrayRef<Tensor> in) {
  // Sizes: the result type's, the dynamic ones from the operands.
  auto type = resultType(op);
  llvm::SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t d : type.getShape())
    shape.push_back(ShapedType::isDynamic(d) ? in[next++].i[0] : d);
  return Results{make(type.getElementType(), shape)};
}

FailureOr<Results> Machine::visit(tensor::InsertOp op, ArrayRef<Tensor> in) {
  Tensor t = in[1];
  llvm::SmallVector<int64_t> idx;
  for (size_t k = 2; k < in.size(); ++k)
    idx.push_back(in[k].i[0]);
  copyElement(t, ravel(idx, stridesOf(t.shape)), in[0], 0);
  return Results{t};
}

FailureOr<Results> Machine::visit(tensor::DimOp op, ArrayRef<Tensor> in) {
  Tensor t = make(IndexType::get(op->getContext()), {});
  t.i[0] = in[0].shape[in[1].i[0]];
  return Results{t};
}

FailureOr<Results> Machine::tensorSlice(Operation *op, ArrayRef<Tensor> in) {
  // Element by element over the slice: source index `idx` maps to
  // offsets + idx * strides in the full tensor.
  auto slice = cast<OffsetSizeAndStrideOpInterface>(op);
  llvm::SmallVector<int64_t> offsets, sizes, steps;
  for (OpFoldResult r : slice.getMixedOffsets())
    offsets.push_back(indexOf(op, r, in));
  for (OpFoldResult r : slice.getMixedSizes())
    sizes.push_back(indexOf(op, r, in));
  for (OpFoldResult r : slice.getMixedStrides())
    steps.push_back(indexOf(op, r, in));
  bool extract = isa<tensor::ExtractSliceOp>(op);
  const Tensor &full = extract ? in[0] : in[1];
  Tensor out =
      extract ? make(resultType(op).getElementType(), resultType(op).getShape())
              : full;
  auto fullStrides = stridesOf(full.shape);
  int64_t count = 1;
  for (int64_t n : sizes)
    count *= n;
  for (int64_t k = 0; k < count; ++k) {
    auto idx = unravel(k, sizes);
    for (size_t a = 0; a < idx.size(); ++a)
      idx[a] = offsets[a] + idx[a] * steps[a];
    int64_t at = ravel(idx, fullStrides);
    if (at < 0 || at >= full.numel())
      return fail("a slice out of bounds");
    if (extract)
      copyElement(out, k, full, at);
    else
      copyElement(out, at, in[0], k);
  }
  return Results{out};
}

FailureOr<Results> Machine::visit(tensor::FromElementsOp op,
                                  ArrayRef<Tensor> in) {
  Tensor t = make(resultType(op).getElementType(), resultType(op).getShape());
  for (size_t k = 0; k < in.size(); ++k)
    copyElement(t, k, in[k], 0);
  return Results{t};
}

FailureOr<Results> Machine::visit(arith::ConstantOp c, ArrayRef<Tensor>) {
  // A tensor constant (folding makes them, e.g. of tensor.from_elements).
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue()))
    return Results{fromElements(dense)};
  Type type = c.getType();
  Tensor t = make(type, {});
  if (auto f = dyn_cast<FloatAttr>(c.getValue()))
    t.f[0] = f.getValueAsDouble();
  else if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
    t.i[0] = type.isInteger(1) ? (int64_t)i.getValue().getZExtValue()
                               : i.getValue().getSExtValue();
  else
    return fail("an arith.constant that is not a scalar");
  return Results{t};
}

FailureOr<Results> Machine::intCast(Operation *op, ArrayRef<Tensor> in) {
  Tensor t = make(op->getResult(0).getType(), {});
  t.i[0] = wrapTo(t.elementType, in[0].i[0]);
  return Results{t};
}

FailureOr<Results> Machine::intBinary(Operation *op, ArrayRef<Tensor> in) {
  int64_t a = in[0].i[0], b = in[1].i[0], r;
  if (isa<arith::AddIOp>(op))
    r = a + b;
  else if (isa<arith::SubIOp>(op))
    r = a - b;
  else if (isa<arith::MulIOp>(op))
    r = a * b;
  else if (isa<arith::CeilDivSIOp>(op))
    r = b == 0 ? 0 : -floorDiv(-a, b);
  else if (isa<arith::DivUIOp>(op))
    r = b == 0 ? 0 : (int64_t)((uint64_t)a / (uint64_t)b);
  else if (isa<arith::MaxSIOp>(op))
    r = std::max(a, b);
  else
    r = std::min(a, b);
  Tensor t = make(op->getResult(0).getType(), {});
  t.i[0] = wrapTo(t.elementType, r);
  return Results{t};
}

FailureOr<Results> Machine::visit(arith::CmpIOp cmp, ArrayRef<Tensor> in) {
  int64_t a = in[0].i[0], b = in[1].i[0];
  spore::ComparePredicate p;
  switch (cmp.getPredicate()) {
  case arith::CmpIPredicate::eq:
    p = spore::ComparePredicate::eq;
    break;
  case arith::CmpIPredicate::ne:
    p = spore::ComparePredicate::ne;
    break;
  case arith::CmpIPredicate::slt:
    p = spore::ComparePredicate::lt;
    break;
  case arith::CmpIPredicate::sle:
    p = spore::ComparePredicate::le;
    break;
  case arith::CmpIPredicate::sgt:
    p = spore::ComparePredicate::gt;
    break;
  case arith::CmpIPredicate::sge:
    p = spore::ComparePredicate::ge;
    break;
  default:
    return fail("an unsigned arith.cmpi");
  }
  bool r = holds(p, a, b);
  Tensor t = make(cmp.getType(), {});
  t.i[0] = r;
  return Results{t};
}

} // namespace

bool spore::interp::run(ModuleOp module, llvm::StringRef name,
                        const std::vector<Tensor> &args,
                        std::vector<Tensor> &results, std::string &error) {
  auto fn = module.lookupSymbol<spore::FuncOp>(name);
  if (!fn) {
    error = "no function '" + name.str() + "' in the module";
    return false;
  }
  if (args.size() != fn.getNumArguments()) {
    error = "'" + name.str() + "' takes " +
            std::to_string(fn.getNumArguments()) + " arguments, got " +
            std::to_string(args.size());
    return false;
  }
  // LLVM's new-handler ends the process when memory runs out; the program
  // being interpreted gets an error instead.
  struct ThrowingNew {
    std::new_handler previous = std::set_new_handler(nullptr);
    ~ThrowingNew() { std::set_new_handler(previous); }
  } throwing;
  Machine machine(module);
  FailureOr<std::vector<Tensor>> out = failure();
  try {
    out = machine.call(fn, args);
  } catch (const std::bad_alloc &) { // outside any op: copying arguments
    error = "out of memory";
    return false;
  }
  if (failed(out)) {
    error = machine.error;
    return false;
  }
  results = std::move(*out);
  return true;
}
