//===- Interpreter.cpp - the reference interpreter of spore IR ------------===//
//
// One kernel per op, written for clarity rather than speed: elementwise ops
// on doubles or int64s rounded or wrapped to the dtype, reductions and
// shape ops by index arithmetic, scf by recursion over regions. Control
// flow, calls and the arith/tensor ops that the frontend puts around loops
// are interpreted too, so any module from the frontend runs.
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

/// Thrown (and caught in run()) when the program cannot be interpreted.
struct Unsupported {
  std::string message;
};

[[noreturn]] void unsupported(const llvm::Twine &message) {
  throw Unsupported{message.str()};
}

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

class Machine {
public:
  explicit Machine(ModuleOp module) : module(module) {}

  std::vector<Tensor> call(spore::FuncOp fn, const std::vector<Tensor> &args) {
    // What compiled code checks at the entry of a recursive function
    // (spore_stack_check), checked at every call.
    if (spore_stack_left() == 0)
      unsupported(spore::sourceSite(fn.getLoc()) +
                  ": recursion too deep: the native stack is used up (raise "
                  "its limit, e.g. with ulimit -s, or recurse less deeply)");
    llvm::DenseMap<Value, Tensor> frame;
    Block &entry = fn.getBody().front();
    for (auto [arg, value] : llvm::zip(entry.getArguments(), args))
      frame[arg] = value;
    return runBlock(entry, frame);
  }

private:
  ModuleOp module;

  /// Runs `block` and returns its terminator's operands.
  std::vector<Tensor> runBlock(Block &block,
                               llvm::DenseMap<Value, Tensor> &frame) {
    for (Operation &op : block) {
      if (op.hasTrait<OpTrait::IsTerminator>()) {
        std::vector<Tensor> out;
        for (Value v : op.getOperands())
          out.push_back(frame.at(v));
        return out;
      }
      std::vector<Tensor> results;
      try {
        results = execute(op, frame);
      } catch (const OutOfMemory &oom) {
        unsupported(spore::sourceSite(op.getLoc()) +
                    ": out of memory allocating " + Twine(oom.bytes) +
                    " bytes");
      } catch (const std::bad_alloc &) {
        unsupported(spore::sourceSite(op.getLoc()) + ": out of memory");
      }
      for (auto [r, t] : llvm::zip(op.getResults(), results))
        frame[r] = std::move(t);
    }
    unsupported("a block without a terminator");
  }

  std::vector<Tensor> runRegion(Region &region,
                                llvm::DenseMap<Value, Tensor> &frame,
                                const std::vector<Tensor> &args) {
    Block &block = region.front();
    for (auto [arg, value] : llvm::zip(block.getArguments(), args))
      frame[arg] = value;
    return runBlock(block, frame);
  }

  std::vector<Tensor> execute(Operation &op,
                              llvm::DenseMap<Value, Tensor> &frame);
  Tensor elementwise(Operation &op, const std::vector<Tensor> &in);
};

/// The scalar function of an elementwise spore op on floats.
double floatScalar(Operation &op, ArrayRef<double> x) {
  StringRef name = op.getName().stripDialect();
  double a = x[0], b = x.size() > 1 ? x[1] : 0;
  if (x.size() == 1)
    if (std::optional<double> v = spore::evaluateUnary(name, a))
      return *v;
  if (auto polygamma = dyn_cast<spore::PolygammaOp>(op))
    return spore::polygammaValue(polygamma.getOrder(), a);
  if (name == "add")
    return a + b;
  if (name == "sub")
    return a - b;
  if (name == "mul")
    return a * b;
  if (name == "div")
    return a / b;
  if (name == "floordiv")
    return spore::floatDivMod(a, b, /*remainder=*/false);
  if (name == "mod")
    return spore::floatDivMod(a, b, /*remainder=*/true);
  if (name == "maximum")
    return ieeeMaximum(a, b);
  if (name == "minimum")
    return ieeeMinimum(a, b);
  if (name == "pow")
    return std::pow(a, b);
  if (name == "atan2")
    return std::atan2(a, b);
  unsupported("no float kernel for spore." + name);
}

int64_t intScalar(Operation &op, ArrayRef<int64_t> x, Type et) {
  StringRef name = op.getName().stripDialect();
  int64_t a = x[0], b = x.size() > 1 ? x[1] : 0;
  bool isBool = et.isInteger(1);
  if (name == "neg")
    return -a;
  if (name == "abs")
    return a < 0 ? -a : a;
  if (name == "relu")
    return a > 0 ? a : 0;
  if (name == "not")
    return isBool ? !a : ~a;
  if (name == "add")
    return a + b;
  if (name == "sub")
    return a - b;
  if (name == "mul")
    return a * b;
  if (name == "floordiv")
    return floorDiv(a, b);
  if (name == "mod")
    return floorMod(a, b);
  if (name == "maximum")
    return std::max(a, b);
  if (name == "minimum")
    return std::min(a, b);
  if (name == "and")
    return a & b;
  if (name == "or")
    return a | b;
  if (name == "xor")
    return a ^ b;
  unsupported("no integer kernel for spore." + name);
}

Tensor Machine::elementwise(Operation &op, const std::vector<Tensor> &in) {
  auto type = cast<RankedTensorType>(op.getResult(0).getType());
  Type et = type.getElementType();
  Tensor out = make(et, type.getShape());
  int64_t n = out.numel();
  if (auto cmp = dyn_cast<spore::CompareOp>(op)) {
    for (int64_t k = 0; k < n; ++k) {
      out.i[k] = in[0].isFloat()
                     ? holds(cmp.getPredicate(), in[0].f[k], in[1].f[k])
                     : holds(cmp.getPredicate(), in[0].i[k], in[1].i[k]);
    }
    return out;
  }
  if (isa<spore::SelectOp>(op)) {
    for (int64_t k = 0; k < n; ++k)
      copyElement(out, k, in[0].i[k] ? in[1] : in[2], k);
    return out;
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
    return out;
  }
  for (int64_t k = 0; k < n; ++k) {
    if (out.isFloat()) {
      llvm::SmallVector<double, 2> xs;
      for (const Tensor &t : in)
        xs.push_back(t.f[k]);
      out.f[k] = roundTo(et, floatScalar(op, xs));
    } else {
      llvm::SmallVector<int64_t, 2> xs;
      for (const Tensor &t : in)
        xs.push_back(t.i[k]);
      out.i[k] = wrapTo(et, intScalar(op, xs, et));
    }
  }
  return out;
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

std::vector<Tensor> Machine::execute(Operation &op,
                                     llvm::DenseMap<Value, Tensor> &frame) {
  std::vector<Tensor> in;
  for (Value v : op.getOperands())
    in.push_back(frame.at(v));
  auto resultType = [&](unsigned i = 0) {
    return cast<RankedTensorType>(op.getResult(i).getType());
  };

  if (isa<spore::ScalarElementwiseOp>(op))
    return {elementwise(op, in)};
  if (auto c = dyn_cast<spore::ConstantOp>(op))
    return {fromElements(cast<DenseElementsAttr>(c.getValue()))};
  if (auto call = dyn_cast<spore::CallOp>(op)) {
    auto callee = module.lookupSymbol<spore::FuncOp>(call.getCallee());
    if (!callee)
      unsupported("call of an unknown function " + call.getCallee());
    return this->call(callee, in);
  }
  if (auto m = dyn_cast<spore::MatmulOp>(op)) {
    // Promote 1-D operands, broadcast batch dimensions, multiply.
    Tensor a = in[0], b = in[1];
    if (a.shape.size() == 1)
      a.shape.insert(a.shape.begin(), 1);
    if (b.shape.size() == 1)
      b.shape.push_back(1);
    int64_t M = a.shape[a.shape.size() - 2], K = a.shape.back(),
            N = b.shape.back();
    llvm::SmallVector<int64_t> batch(resultType().getShape());
    Tensor out = make(resultType().getElementType(), resultType().getShape());
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
    return {out};
  }
  auto reduction = [&](ArrayRef<int64_t> axes, double init,
                       std::function<double(double, double)> f) {
    return reduce(in[0], axes, resultType(), init, f);
  };
  if (auto r = dyn_cast<spore::SumOp>(op))
    return {reduction(r.getAxes(), 0, std::plus<double>())};
  if (auto r = dyn_cast<spore::ProdOp>(op))
    return {reduction(r.getAxes(), 1, std::multiplies<double>())};
  if (auto r = dyn_cast<spore::MaxOp>(op))
    return {reduction(r.getAxes(), -INFINITY, ieeeMaximum)};
  if (auto r = dyn_cast<spore::MinOp>(op))
    return {reduction(r.getAxes(), INFINITY, ieeeMinimum)};
  if (auto r = dyn_cast<spore::MeanOp>(op)) {
    Tensor s = reduction(r.getAxes(), 0, std::plus<double>());
    int64_t count = 1;
    for (int64_t a : r.getAxes())
      count *= in[0].shape[a];
    for (double &v : s.f)
      v = roundTo(s.elementType, count ? v / count : NAN);
    return {s};
  }
  if (isa<spore::StopGradientOp>(op))
    return {in[0]};
  if (isa<spore::ReshapeOp>(op)) {
    Tensor t = in[0];
    t.shape.assign(resultType().getShape().begin(),
                   resultType().getShape().end());
    return {t};
  }
  if (auto t = dyn_cast<spore::TransposeOp>(op)) {
    Tensor out = make(in[0].elementType, resultType().getShape());
    auto inStrides = stridesOf(in[0].shape);
    for (int64_t k = 0; k < out.numel(); ++k) {
      auto idx = unravel(k, out.shape);
      llvm::SmallVector<int64_t> src(idx.size());
      for (size_t d = 0; d < idx.size(); ++d)
        src[t.getPermutation()[d]] = idx[d];
      copyElement(out, k, in[0], ravel(src, inStrides));
    }
    return {out};
  }
  if (isa<spore::BroadcastToOp>(op)) {
    Tensor out = make(in[0].elementType, resultType().getShape());
    auto inStrides = stridesOf(in[0].shape);
    int64_t offset = out.shape.size() - in[0].shape.size();
    for (int64_t k = 0; k < out.numel(); ++k) {
      auto idx = unravel(k, out.shape);
      int64_t src = 0;
      for (size_t d = 0; d < in[0].shape.size(); ++d)
        src += (in[0].shape[d] == 1 ? 0 : idx[d + offset]) * inStrides[d];
      copyElement(out, k, in[0], src);
    }
    return {out};
  }
  if (isa<spore::SoftmaxOp, spore::LogSoftmaxOp>(op)) {
    int64_t axis = isa<spore::SoftmaxOp>(op)
                       ? cast<spore::SoftmaxOp>(op).getAxis()
                       : cast<spore::LogSoftmaxOp>(op).getAxis();
    const Tensor &x = in[0];
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
            roundTo(x.elementType, isa<spore::SoftmaxOp>(op) ? std::exp(v) / s
                                                             : v - std::log(s));
      }
    }
    return {out};
  }
  if (auto s = dyn_cast<spore::SliceOp>(op)) {
    Tensor out = make(in[0].elementType, resultType().getShape());
    auto inStrides = stridesOf(in[0].shape);
    for (int64_t k = 0; k < out.numel(); ++k) {
      auto idx = unravel(k, out.shape);
      for (size_t d = 0; d < idx.size(); ++d)
        idx[d] = s.getStarts()[d] + idx[d] * s.getSteps()[d];
      copyElement(out, k, in[0], ravel(idx, inStrides));
    }
    return {out};
  }
  auto clampedStarts = [&](ArrayRef<Tensor> starts, ArrayRef<int64_t> dims,
                           ArrayRef<int64_t> block) {
    llvm::SmallVector<int64_t> s;
    for (size_t d = 0; d < dims.size(); ++d)
      s.push_back(std::max<int64_t>(
          0, std::min<int64_t>(starts[d].i[0], dims[d] - block[d])));
    return s;
  };
  if (isa<spore::DynamicSliceOp>(op)) {
    Tensor out = make(in[0].elementType, resultType().getShape());
    auto starts = clampedStarts(ArrayRef<Tensor>(in).drop_front(), in[0].shape,
                                out.shape);
    auto inStrides = stridesOf(in[0].shape);
    for (int64_t k = 0; k < out.numel(); ++k) {
      auto idx = unravel(k, out.shape);
      for (size_t d = 0; d < idx.size(); ++d)
        idx[d] += starts[d];
      copyElement(out, k, in[0], ravel(idx, inStrides));
    }
    return {out};
  }
  if (isa<spore::UpdateSliceOp, spore::DynamicUpdateSliceOp>(op)) {
    Tensor out = in[0];
    const Tensor &u = in[1];
    llvm::SmallVector<int64_t> starts, steps(out.shape.size(), 1);
    if (auto us = dyn_cast<spore::UpdateSliceOp>(op)) {
      starts.assign(us.getStarts().begin(), us.getStarts().end());
      steps.assign(us.getSteps().begin(), us.getSteps().end());
    } else {
      starts =
          clampedStarts(ArrayRef<Tensor>(in).drop_front(2), out.shape, u.shape);
    }
    auto strides = stridesOf(out.shape);
    for (int64_t k = 0; k < u.numel(); ++k) {
      auto idx = unravel(k, u.shape);
      for (size_t d = 0; d < idx.size(); ++d)
        idx[d] = starts[d] + idx[d] * steps[d];
      copyElement(out, ravel(idx, strides), u, k);
    }
    return {out};
  }
  auto normalised = [](int64_t i, int64_t n) {
    if (i < 0)
      i += n;
    return std::max<int64_t>(0, std::min<int64_t>(i, n - 1));
  };
  if (auto g = dyn_cast<spore::GatherOp>(op)) {
    Tensor out = make(in[0].elementType, resultType().getShape());
    int64_t axis = g.getAxis(), r = in[1].shape.size();
    auto inStrides = stridesOf(in[0].shape),
         idxStrides = stridesOf(in[1].shape);
    for (int64_t k = 0; k < out.numel(); ++k) {
      auto idx = unravel(k, out.shape);
      llvm::SmallVector<int64_t> src(idx.begin(), idx.begin() + axis);
      int64_t j = ravel(ArrayRef<int64_t>(idx).slice(axis, r), idxStrides);
      src.push_back(normalised(in[1].i[j], in[0].shape[axis]));
      src.append(idx.begin() + axis + r, idx.end());
      copyElement(out, k, in[0], ravel(src, inStrides));
    }
    return {out};
  }
  if (auto s = dyn_cast<spore::ScatterAddOp>(op)) {
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
    return {out};
  }
  if (auto c = dyn_cast<spore::ConcatenateOp>(op)) {
    Tensor out = make(resultType().getElementType(), resultType().getShape());
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
    return {out};
  }
  if (auto c = dyn_cast<spore::CumsumOp>(op)) {
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
    return {out};
  }
  if (auto c = dyn_cast<spore::Conv2DOp>(op)) {
    const Tensor &x = in[0], &w = in[1];
    Tensor out = make(x.elementType, resultType().getShape());
    int64_t groups = c.getGroups(), cg = w.shape[2], f = w.shape[3],
            fg = f / groups;
    auto pad = c.getPadding();
    for (int64_t k = 0; k < out.numel(); ++k) {
      auto o = unravel(k, out.shape); // n, oh, ow, co
      int64_t g = o[3] / fg;
      double s = 0;
      for (int64_t i = 0; i < w.shape[0]; ++i)
        for (int64_t j = 0; j < w.shape[1]; ++j) {
          int64_t h =
              o[1] * c.getStrides()[0] + i * c.getDilations()[0] - pad[0];
          int64_t v =
              o[2] * c.getStrides()[1] + j * c.getDilations()[1] - pad[2];
          if (h < 0 || h >= x.shape[1] || v < 0 || v >= x.shape[2])
            continue;
          for (int64_t ci = 0; ci < cg; ++ci)
            s += x.f[((o[0] * x.shape[1] + h) * x.shape[2] + v) * x.shape[3] +
                     g * cg + ci] *
                 w.f[((i * w.shape[1] + j) * cg + ci) * f + o[3]];
        }
      out.f[k] = roundTo(out.elementType, s);
    }
    return {out};
  }
  if (auto p = dyn_cast<spore::Pool2DOp>(op)) {
    const Tensor &x = in[0];
    Tensor out = make(x.elementType, resultType().getShape());
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
              x.f[((o[0] * x.shape[1] + h) * x.shape[2] + v) * x.shape[3] +
                  o[3]];
          s = isMax ? std::max(s, e) : s + e;
        }
      if (!isMax)
        s /= (double)(p.getWindow()[0] * p.getWindow()[1]);
      out.f[k] = roundTo(out.elementType, s);
    }
    return {out};
  }
  if (isa<spore::RandomOp>(op)) {
    Tensor out = make(resultType().getElementType(), resultType().getShape());
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
    return {out};
  }

  if (auto a = dyn_cast<spore::AssertOp>(op)) {
    if (in[0].i[0])
      return {};
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
    unsupported(message);
  }
  if (auto p = dyn_cast<spore::PrintOp>(op)) {
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
    return {};
  }

  // Structured control flow.
  if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
    Region &r = in[0].i[0] ? ifOp.getThenRegion() : ifOp.getElseRegion();
    if (r.empty())
      return {};
    return runRegion(r, frame, {});
  }
  if (auto forOp = dyn_cast<scf::ForOp>(op)) {
    std::vector<Tensor> carried(in.begin() + 3, in.end());
    for (int64_t i = in[0].i[0]; i < in[1].i[0]; i += in[2].i[0]) {
      Tensor iv = make(IndexType::get(op.getContext()), {});
      iv.i[0] = i;
      std::vector<Tensor> args{iv};
      args.insert(args.end(), carried.begin(), carried.end());
      carried = runRegion(forOp.getRegion(), frame, args);
    }
    return carried;
  }
  if (auto whileOp = dyn_cast<scf::WhileOp>(op)) {
    std::vector<Tensor> carried = in;
    while (true) {
      std::vector<Tensor> cond = runRegion(whileOp.getBefore(), frame, carried);
      if (!cond[0].i[0])
        return std::vector<Tensor>(cond.begin() + 1, cond.end());
      carried = runRegion(whileOp.getAfter(), frame,
                          std::vector<Tensor>(cond.begin() + 1, cond.end()));
    }
  }

  // Scalars around the loops: tensor.extract/from_elements and arith.
  if (auto e = dyn_cast<tensor::ExtractOp>(op)) {
    const Tensor &t = in[0];
    llvm::SmallVector<int64_t> idx;
    for (size_t k = 1; k < in.size(); ++k)
      idx.push_back(in[k].i[0]);
    Tensor s = make(t.elementType, {});
    copyElement(s, 0, t, ravel(idx, stridesOf(t.shape)));
    return {s};
  }
  // Value stacks of differentiated loops: tensor.empty/dim and row slices.
  auto indexOf = [&](OpFoldResult r) -> int64_t {
    if (auto attr = dyn_cast<Attribute>(r))
      return cast<IntegerAttr>(attr).getInt();
    Value v = cast<Value>(r);
    for (auto [k, operand] : llvm::enumerate(op.getOperands()))
      if (operand == v)
        return in[k].i[0];
    unsupported("a slice bound that is not an operand");
  };
  if (isa<tensor::EmptyOp, bufferization::AllocTensorOp>(op)) {
    // Sizes: the result type's, the dynamic ones from the operands.
    auto type = cast<RankedTensorType>(op.getResult(0).getType());
    llvm::SmallVector<int64_t> shape;
    size_t next = 0;
    for (int64_t d : type.getShape())
      shape.push_back(ShapedType::isDynamic(d) ? in[next++].i[0] : d);
    return {make(type.getElementType(), shape)};
  }
  if (isa<tensor::InsertOp>(op)) {
    Tensor t = in[1];
    llvm::SmallVector<int64_t> idx;
    for (size_t k = 2; k < in.size(); ++k)
      idx.push_back(in[k].i[0]);
    copyElement(t, ravel(idx, stridesOf(t.shape)), in[0], 0);
    return {t};
  }
  if (isa<tensor::CastOp>(op)) // folding makes static sizes dynamic
    return {in[0]};
  if (auto d = dyn_cast<tensor::DimOp>(op)) {
    Tensor t = make(IndexType::get(op.getContext()), {});
    t.i[0] = in[0].shape[in[1].i[0]];
    return {t};
  }
  if (isa<tensor::ExtractSliceOp, tensor::InsertSliceOp>(op)) {
    // Element by element over the slice: source index `idx` maps to
    // offsets + idx * strides in the full tensor.
    auto slice = cast<OffsetSizeAndStrideOpInterface>(op);
    llvm::SmallVector<int64_t> offsets, sizes, steps;
    for (OpFoldResult r : slice.getMixedOffsets())
      offsets.push_back(indexOf(r));
    for (OpFoldResult r : slice.getMixedSizes())
      sizes.push_back(indexOf(r));
    for (OpFoldResult r : slice.getMixedStrides())
      steps.push_back(indexOf(r));
    bool extract = isa<tensor::ExtractSliceOp>(op);
    const Tensor &full = extract ? in[0] : in[1];
    Tensor out =
        extract ? make(resultType().getElementType(), resultType().getShape())
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
        unsupported("a slice out of bounds");
      if (extract)
        copyElement(out, k, full, at);
      else
        copyElement(out, at, in[0], k);
    }
    return {out};
  }
  if (isa<tensor::FromElementsOp>(op)) {
    Tensor t = make(resultType().getElementType(), resultType().getShape());
    for (size_t k = 0; k < in.size(); ++k)
      copyElement(t, k, in[k], 0);
    return {t};
  }
  if (auto c = dyn_cast<arith::ConstantOp>(op);
      c && isa<DenseElementsAttr>(c.getValue())) {
    // A tensor constant (folding makes them, e.g. of tensor.from_elements).
    return {fromElements(cast<DenseElementsAttr>(c.getValue()))};
  }
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    Type type = c.getType();
    Tensor t = make(type, {});
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      t.f[0] = f.getValueAsDouble();
    else if (auto i = dyn_cast<IntegerAttr>(c.getValue()))
      t.i[0] = type.isInteger(1) ? (int64_t)i.getValue().getZExtValue()
                                 : i.getValue().getSExtValue();
    else
      unsupported("an arith.constant that is not a scalar");
    return {t};
  }
  if (isa<arith::IndexCastOp, arith::ExtSIOp, arith::TruncIOp>(op)) {
    Tensor t = make(op.getResult(0).getType(), {});
    t.i[0] = wrapTo(t.elementType, in[0].i[0]);
    return {t};
  }
  if (isa<arith::AddIOp, arith::SubIOp, arith::MulIOp, arith::CeilDivSIOp,
          arith::DivUIOp, arith::MaxSIOp, arith::MinSIOp>(op)) {
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
    Tensor t = make(op.getResult(0).getType(), {});
    t.i[0] = wrapTo(t.elementType, r);
    return {t};
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(op)) {
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
      unsupported("an unsigned arith.cmpi");
    }
    bool r = holds(p, a, b);
    Tensor t = make(op.getResult(0).getType(), {});
    t.i[0] = r;
    return {t};
  }
  if (isa<arith::SelectOp>(op))
    return {in[0].i[0] ? in[1] : in[2]};
  unsupported("the interpreter has no kernel for '" +
              op.getName().getStringRef() + "'");
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
  try {
    Machine machine(module);
    results = machine.call(fn, args);
  } catch (const Unsupported &u) {
    error = u.message;
    return false;
  } catch (const std::bad_alloc &) {
    error = "out of memory";
    return false;
  }
  return true;
}
