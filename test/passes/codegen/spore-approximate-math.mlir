// RUN: spore-opt %s -verify-each --spore-approximate-math | FileCheck %s

// f32 transcendental functions become plain arithmetic; f64 keeps libm.
// CHECK-LABEL: func.func @f32_math
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.log
// CHECK: arith.mulf
// CHECK-LABEL: func.func @f64_math
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.tanh %{{.*}} : f64
func.func @f32_math(%x: f32, %v: vector<8xf32>) -> (f32, f32, vector<8xf32>) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %l = math.log %v : vector<8xf32>
  return %e, %t, %l : f32, f32, vector<8xf32>
}
func.func @f64_math(%x: f64) -> (f64, f64) {
  %e = math.exp %x : f64
  %t = math.tanh %x : f64
  return %e, %t : f64, f64
}
