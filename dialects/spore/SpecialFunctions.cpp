//===- SpecialFunctions.cpp - lgamma, digamma and polygamma ---------------===//
//
// The scalar bodies of spore.lgamma, spore.digamma and spore.polygamma:
// plain arith and math ops (so loops over them vectorise, and they are
// thread-safe, unlike libm's lgamma and its global signgam), computed in
// f64 whatever the element type. Each shifts its argument up by the
// recurrence Gamma(x + 1) = x Gamma(x) until the asymptotic (Stirling)
// series is accurate to about 1e-15, and reflects negative arguments.
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace spore;

namespace {

/// f64 arithmetic on scalars, for the series below.
struct F64 {
  OpBuilder &b;
  Location loc;

  Value c(double v) {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value log(Value x) { return math::LogOp::create(b, loc, x); }
  Value lt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  /// sum_k coefficients[k] * w^k by Horner's rule.
  Value poly(Value w, ArrayRef<double> coefficients) {
    Value acc = c(coefficients.back());
    for (double k : llvm::reverse(coefficients.drop_back()))
      acc = add(c(k), mul(w, acc));
    return acc;
  }
};

constexpr double kPi = 3.14159265358979323846;
/// Below this the argument is shifted up before the asymptotic series.
constexpr int kShift = 8;

/// The value in f64, and a function that brings an f64 back to its type.
std::pair<Value, std::function<Value(Value)>> inF64(OpBuilder &b, Location loc,
                                                    Value x) {
  auto type = cast<FloatType>(x.getType());
  if (type.isF64())
    return {x, [](Value v) { return v; }};
  Value wide = arith::ExtFOp::create(b, loc, b.getF64Type(), x);
  return {wide, [&b, loc, type](Value v) -> Value {
            return arith::TruncFOp::create(b, loc, type, v);
          }};
}

/// For a negative x, 1 - x (the reflection's argument); else x.
Value reflected(F64 &f, Value x, Value negative) {
  return f.select(negative, f.sub(f.c(1), x), x);
}

Value lgammaOf(F64 &f, Value x) {
  Value negative = f.lt(x, f.c(0));
  Value z = reflected(f, x, negative);
  Value small = f.lt(z, f.c(kShift));
  // log Gamma(z) = log Gamma(z + 8) - log(z (z + 1) ... (z + 7)).
  Value product = z;
  for (int k = 1; k < kShift; ++k)
    product = f.mul(product, f.add(z, f.c(k)));
  Value y = f.select(small, f.add(z, f.c(kShift)), z);
  Value w = f.div(f.c(1), y);
  // Stirling: (y - 1/2) log y - y + log(2 pi) / 2 + sum B2k / (2k (2k-1)
  // y^(2k-1)).
  Value series = f.mul(
      w, f.poly(f.mul(w, w), {1.0 / 12, -1.0 / 360, 1.0 / 1260, -1.0 / 1680,
                              1.0 / 1188, -691.0 / 360360, 1.0 / 156}));
  Value stirling = f.add(f.sub(f.mul(f.sub(y, f.c(0.5)), f.log(y)), y),
                         f.add(f.c(0.91893853320467274178), series));
  Value positive = f.select(small, f.sub(stirling, f.log(product)), stirling);
  // log Gamma(x) = log(pi / |sin(pi x)|) - log Gamma(1 - x).
  Value sine = math::AbsFOp::create(
      f.b, f.loc, math::SinOp::create(f.b, f.loc, f.mul(f.c(kPi), x)));
  Value reflection = f.sub(f.log(f.div(f.c(kPi), sine)), positive);
  return f.select(negative, reflection, positive);
}

Value digammaOf(F64 &f, Value x) {
  Value negative = f.lt(x, f.c(0));
  Value z = reflected(f, x, negative);
  Value small = f.lt(z, f.c(kShift));
  // psi(z) = psi(z + 8) - sum 1 / (z + k).
  Value correction = f.div(f.c(1), z);
  for (int k = 1; k < kShift; ++k)
    correction = f.add(correction, f.div(f.c(1), f.add(z, f.c(k))));
  Value y = f.select(small, f.add(z, f.c(kShift)), z);
  Value w = f.div(f.c(1), y);
  Value w2 = f.mul(w, w);
  // log y - 1 / (2y) - sum B2k / (2k y^2k).
  Value series =
      f.mul(w2, f.poly(w2, {1.0 / 12, -1.0 / 120, 1.0 / 252, -1.0 / 240,
                            1.0 / 132, -691.0 / 32760, 1.0 / 12}));
  Value asymptotic = f.sub(f.sub(f.log(y), f.mul(f.c(0.5), w)), series);
  Value positive = f.select(small, f.sub(asymptotic, correction), asymptotic);
  // psi(x) = psi(1 - x) - pi / tan(pi x).
  Value tangent = math::TanOp::create(f.b, f.loc, f.mul(f.c(kPi), x));
  return f.select(negative, f.sub(positive, f.div(f.c(kPi), tangent)),
                  positive);
}

/// The n-th derivative of digamma for x > 0 (NaN elsewhere).
Value polygammaOf(F64 &f, Value x, int64_t n) {
  // psi^(n)(x) = psi^(n)(x + N) + (-1)^(n+1) n! sum 1 / (x + k)^(n+1); the
  // asymptotic series needs a larger N as n grows.
  int64_t shift = kShift + 2 * n;
  auto power = [&](Value v, int64_t e) {
    Value p = v;
    for (int64_t i = 1; i < e; ++i)
      p = f.mul(p, v);
    return p;
  };
  Value sum = f.c(0);
  for (int64_t k = 0; k < shift; ++k)
    sum = f.add(sum, f.div(f.c(1), power(f.add(x, f.c(k)), n + 1)));
  double factorial = 1; // n!
  for (int64_t i = 2; i <= n; ++i)
    factorial *= i;
  // (-1)^(n+1) psi^(n)(y) ~ (n-1)! / y^n + n! / (2 y^(n+1))
  //                         + sum B2k (2k+n-1)! / ((2k)! y^(2k+n)).
  static const double bernoulli[] = {1.0 / 6,   -1.0 / 30, 1.0 / 42,
                                     -1.0 / 30, 5.0 / 66,  -691.0 / 2730,
                                     7.0 / 6};
  SmallVector<double> coefficients = {factorial / n, factorial / 2};
  for (auto [i, b2k] : llvm::enumerate(bernoulli)) {
    int64_t k = (int64_t)i + 1;
    double ratio = 1; // (2k + n - 1)! / (2k)!
    for (int64_t j = 2 * k + 1; j <= 2 * k + n - 1; ++j)
      ratio *= j;
    coefficients.push_back(b2k * ratio); // of w^(2k)
    if (k < (int64_t)std::size(bernoulli))
      coefficients.push_back(0);
  }
  Value y = f.add(x, f.c(shift));
  Value w = f.div(f.c(1), y);
  Value asymptotic = f.mul(power(w, n), f.poly(w, coefficients));
  Value magnitude = f.add(asymptotic, f.mul(f.c(factorial), sum));
  Value value = n % 2 ? magnitude : f.mul(f.c(-1), magnitude);
  return f.select(f.lt(f.c(0), x), value,
                  f.c(std::numeric_limits<double>::quiet_NaN()));
}

} // namespace

double spore::polygammaValue(int64_t n, double x) {
  if (n == 0 && x < 0)
    return polygammaValue(0, 1 - x) - M_PI / std::tan(M_PI * x);
  if (n > 0 && !(x > 0))
    return std::nan("");
  double factorial = 1;
  for (int64_t i = 2; i <= n; ++i)
    factorial *= i;
  double sign = n % 2 ? 1 : -1, shifted = 0;
  for (; x < 16 + 2 * n; x += 1)
    shifted += n == 0 ? -1 / x : sign * factorial / std::pow(x, n + 1);
  const double bernoulli[] = {1.0 / 6,  -1.0 / 30,     1.0 / 42, -1.0 / 30,
                              5.0 / 66, -691.0 / 2730, 7.0 / 6};
  double series;
  if (n == 0) {
    series = std::log(x) - 0.5 / x;
    for (int k = 1; k <= 7; ++k)
      series -= bernoulli[k - 1] / (2 * k * std::pow(x, 2 * k));
  } else {
    series =
        factorial / n / std::pow(x, n) + factorial / 2 / std::pow(x, n + 1);
    for (int k = 1; k <= 7; ++k) {
      double ratio = 1;
      for (int64_t j = 2 * k + 1; j <= 2 * k + n - 1; ++j)
        ratio *= j;
      series += bernoulli[k - 1] * ratio / std::pow(x, 2 * k + n);
    }
    series *= sign;
  }
  return series + shifted;
}

Value LgammaOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  auto [x, back] = inF64(b, loc, operands[0]);
  F64 f{b, loc};
  return back(lgammaOf(f, x));
}

Value DigammaOp::buildScalar(OpBuilder &b, Location loc, ValueRange operands) {
  auto [x, back] = inF64(b, loc, operands[0]);
  F64 f{b, loc};
  return back(digammaOf(f, x));
}

Value PolygammaOp::buildScalar(OpBuilder &b, Location loc,
                               ValueRange operands) {
  auto [x, back] = inF64(b, loc, operands[0]);
  F64 f{b, loc};
  return back(polygammaOf(f, x, getOrder()));
}

LogicalResult PolygammaOp::verify() {
  if (getOrder() < 1 || getOrder() > 16)
    return emitOpError("order must be in [1, 16], got ") << getOrder();
  return success();
}
