// RUN: spore-opt %s -verify-each --spore-math-to-libm | FileCheck %s

// Math without an LLVM intrinsic becomes a libm call (vectors unrolled);
// everything else, math.isfinite included, is left to convert-math-to-llvm.
// CHECK-DAG: func.func private @erf(f64) -> f64
// CHECK-DAG: func.func private @tanf(f32) -> f32
// CHECK-LABEL: func.func @f
// CHECK: call @erf(%{{.*}}) : (f64) -> f64
// CHECK: math.exp
// CHECK: math.isfinite
// CHECK-COUNT-2: call @tanf
// CHECK-NOT: math.tan
func.func @f(%x: f64, %v: vector<2xf32>) -> (f64, f64, i1, vector<2xf32>) {
  %0 = math.erf %x : f64
  %1 = math.exp %x : f64
  %2 = math.isfinite %x : f64
  %3 = math.tan %v : vector<2xf32>
  return %0, %1, %2, %3 : f64, f64, i1, vector<2xf32>
}
