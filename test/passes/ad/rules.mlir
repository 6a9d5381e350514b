// RUN: spore-opt %s -verify-each --spore-differentiate | FileCheck %s
// RUN: spore-opt %s -verify-each --spore-differentiate --canonicalize --cse --symbol-dce | FileCheck %s --check-prefix=SIMPLE

// The reverse rule of every elementwise primitive, seeded with a
// cotangent argument (spore.vjp), raw: each CHECK line is the formula
// of docs/differentiation.md (g is %arg1, or %arg2 for binary ops).
// floor, ceil and round are piecewise constant: zeros, no adjoint ops.
// Simplified, each still differentiates (the SIMPLE lines).

// CHECK-LABEL: spore.func private @u_neg.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.neg %arg0 : tensor<4xf32>
// CHECK: spore.neg %arg1
// SIMPLE-LABEL: spore.func private @u_neg.vjp
spore.func private @u_neg(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.neg %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_neg(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_neg(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_exp.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.exp %arg0 : tensor<4xf32>
// CHECK: spore.mul %arg1, %[[Y]]
// SIMPLE-LABEL: spore.func private @u_exp.vjp
spore.func private @u_exp(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.exp %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_exp(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_exp(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_log.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.log %arg0 : tensor<4xf32>
// CHECK: spore.div %arg1, %arg0
// SIMPLE-LABEL: spore.func private @u_log.vjp
spore.func private @u_log(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.log %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_log(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_log(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_tanh.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.tanh %arg0 : tensor<4xf32>
// CHECK: %[[S:.*]] = spore.mul %[[Y]], %[[Y]]
// CHECK: %[[D:.*]] = spore.sub %{{.*}}, %[[S]]
// CHECK: spore.mul %arg1, %[[D]]
// SIMPLE-LABEL: spore.func private @u_tanh.vjp
spore.func private @u_tanh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.tanh %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_tanh(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_tanh(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_sigmoid.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.sigmoid %arg0 : tensor<4xf32>
// CHECK: %[[A:.*]] = spore.mul %arg1, %[[Y]]
// CHECK: %[[B:.*]] = spore.sub %{{.*}}, %[[Y]]
// CHECK: spore.mul %[[A]], %[[B]]
// SIMPLE-LABEL: spore.func private @u_sigmoid.vjp
spore.func private @u_sigmoid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.sigmoid %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_sigmoid(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_sigmoid(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_relu.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.relu %arg0 : tensor<4xf32>
// CHECK: %[[P:.*]] = spore.compare gt, %arg0, %{{.*}}
// CHECK: spore.select %[[P]], %arg1, %{{.*}}
// SIMPLE-LABEL: spore.func private @u_relu.vjp
spore.func private @u_relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.relu %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_relu(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_relu(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_abs.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.abs %arg0 : tensor<4xf32>
// CHECK: %[[P:.*]] = spore.compare gt, %arg0
// CHECK: %[[N:.*]] = spore.compare lt, %arg0
// CHECK: %[[M:.*]] = spore.neg %arg1
// CHECK: %[[I:.*]] = spore.select %[[N]], %[[M]]
// CHECK: spore.select %[[P]], %arg1, %[[I]]
// SIMPLE-LABEL: spore.func private @u_abs.vjp
spore.func private @u_abs(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.abs %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_abs(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_abs(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_sqrt.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.sqrt %arg0 : tensor<4xf32>
// CHECK: %[[T:.*]] = spore.mul %[[Y]], %{{.*}}
// CHECK: spore.div %arg1, %[[T]]
// SIMPLE-LABEL: spore.func private @u_sqrt.vjp
spore.func private @u_sqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.sqrt %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_sqrt(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_sqrt(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_rsqrt.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.rsqrt %arg0 : tensor<4xf32>
// CHECK: %[[H:.*]] = spore.mul %arg1, %{{.*}}
// CHECK: %[[S:.*]] = spore.mul %[[Y]], %[[Y]]
// CHECK: %[[C:.*]] = spore.mul %[[Y]], %[[S]]
// CHECK: spore.mul %[[H]], %[[C]]
// SIMPLE-LABEL: spore.func private @u_rsqrt.vjp
spore.func private @u_rsqrt(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.rsqrt %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_rsqrt(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_rsqrt(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_expm1.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.expm1 %arg0 : tensor<4xf32>
// CHECK: %[[P:.*]] = spore.add %[[Y]], %{{.*}}
// CHECK: spore.mul %arg1, %[[P]]
// SIMPLE-LABEL: spore.func private @u_expm1.vjp
spore.func private @u_expm1(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.expm1 %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_expm1(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_expm1(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_log1p.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.log1p %arg0 : tensor<4xf32>
// CHECK: %[[P:.*]] = spore.add %arg0, %{{.*}}
// CHECK: spore.div %arg1, %[[P]]
// SIMPLE-LABEL: spore.func private @u_log1p.vjp
spore.func private @u_log1p(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.log1p %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_log1p(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_log1p(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_sin.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.sin %arg0 : tensor<4xf32>
// CHECK: %[[C:.*]] = spore.cos %arg0
// CHECK: spore.mul %arg1, %[[C]]
// SIMPLE-LABEL: spore.func private @u_sin.vjp
spore.func private @u_sin(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.sin %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_sin(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_sin(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_cos.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.cos %arg0 : tensor<4xf32>
// CHECK: %[[S:.*]] = spore.sin %arg0
// CHECK: %[[M:.*]] = spore.mul %arg1, %[[S]]
// CHECK: spore.neg %[[M]]
// SIMPLE-LABEL: spore.func private @u_cos.vjp
spore.func private @u_cos(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.cos %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_cos(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_cos(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_tan.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.tan %arg0 : tensor<4xf32>
// CHECK: %[[S:.*]] = spore.mul %[[Y]], %[[Y]]
// CHECK: %[[P:.*]] = spore.add %{{.*}}, %[[S]]
// CHECK: spore.mul %arg1, %[[P]]
// SIMPLE-LABEL: spore.func private @u_tan.vjp
spore.func private @u_tan(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.tan %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_tan(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_tan(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_sinh.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.sinh %arg0 : tensor<4xf32>
// CHECK: %[[C:.*]] = spore.cosh %arg0
// CHECK: spore.mul %arg1, %[[C]]
// SIMPLE-LABEL: spore.func private @u_sinh.vjp
spore.func private @u_sinh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.sinh %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_sinh(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_sinh(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_cosh.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.cosh %arg0 : tensor<4xf32>
// CHECK: %[[S:.*]] = spore.sinh %arg0
// CHECK: spore.mul %arg1, %[[S]]
// SIMPLE-LABEL: spore.func private @u_cosh.vjp
spore.func private @u_cosh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.cosh %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_cosh(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_cosh(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_asin.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.asin %arg0 : tensor<4xf32>
// CHECK: %[[S:.*]] = spore.mul %arg0, %arg0
// CHECK: %[[D:.*]] = spore.sub %{{.*}}, %[[S]]
// CHECK: %[[R:.*]] = spore.rsqrt %[[D]]
// CHECK: spore.mul %arg1, %[[R]]
// SIMPLE-LABEL: spore.func private @u_asin.vjp
spore.func private @u_asin(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.asin %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_asin(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_asin(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_acos.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.acos %arg0 : tensor<4xf32>
// CHECK: %[[S:.*]] = spore.mul %arg0, %arg0
// CHECK: %[[D:.*]] = spore.sub %{{.*}}, %[[S]]
// CHECK: %[[R:.*]] = spore.rsqrt %[[D]]
// CHECK: %[[M:.*]] = spore.mul %arg1, %[[R]]
// CHECK: spore.neg %[[M]]
// SIMPLE-LABEL: spore.func private @u_acos.vjp
spore.func private @u_acos(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.acos %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_acos(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_acos(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_atan.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.atan %arg0 : tensor<4xf32>
// CHECK: %[[S:.*]] = spore.mul %arg0, %arg0
// CHECK: %[[P:.*]] = spore.add %{{.*}}, %[[S]]
// CHECK: spore.div %arg1, %[[P]]
// SIMPLE-LABEL: spore.func private @u_atan.vjp
spore.func private @u_atan(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.atan %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_atan(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_atan(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_erf.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.erf %arg0 : tensor<4xf32>
// CHECK: %[[K:.*]] = spore.mul %arg1, %{{.*}}
// CHECK: %[[S:.*]] = spore.mul %arg0, %arg0
// CHECK: %[[N:.*]] = spore.neg %[[S]]
// CHECK: %[[E:.*]] = spore.exp %[[N]]
// CHECK: spore.mul %[[K]], %[[E]]
// SIMPLE-LABEL: spore.func private @u_erf.vjp
spore.func private @u_erf(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.erf %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_erf(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_erf(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// The log-gamma family: each derivative is the next function of it.
// CHECK-LABEL: spore.func private @u_gamma.vjp(%arg0: tensor<4xf64>, %arg1: tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>)
// CHECK-DAG: spore.polygamma %arg0 order = 3 : tensor<4xf64>
// CHECK-DAG: spore.polygamma %arg0 order = 1 : tensor<4xf64>
// CHECK-DAG: spore.digamma %arg0 : tensor<4xf64>
// SIMPLE-LABEL: spore.func private @u_gamma.vjp
spore.func private @u_gamma(%x: tensor<4xf64>) -> tensor<4xf64> {
  %0 = spore.lgamma %x : tensor<4xf64>
  %1 = spore.digamma %x : tensor<4xf64>
  %2 = spore.polygamma %x order = 2 : tensor<4xf64>
  %3 = spore.add %0, %1 : tensor<4xf64>
  %4 = spore.add %3, %2 : tensor<4xf64>
  spore.return %4 : tensor<4xf64>
}
spore.func @v_gamma(%x: tensor<4xf64>, %g: tensor<4xf64>) -> tensor<4xf64> {
  %0:2 = spore.vjp @u_gamma(%x) cotangents(%g) wrt = [0] : (tensor<4xf64>), (tensor<4xf64>) -> (tensor<4xf64>, tensor<4xf64>)
  spore.return %0#1 : tensor<4xf64>
}

// CHECK-LABEL: spore.func private @u_floor.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.floor %arg0 : tensor<4xf32>
// CHECK-NOT: spore.floor
// CHECK: spore.return %[[Y]], %{{.*}}
// SIMPLE-LABEL: spore.func private @u_floor.vjp
spore.func private @u_floor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.floor %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_floor(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_floor(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_ceil.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.ceil %arg0 : tensor<4xf32>
// CHECK-NOT: spore.ceil
// CHECK: spore.return %[[Y]], %{{.*}}
// SIMPLE-LABEL: spore.func private @u_ceil.vjp
spore.func private @u_ceil(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.ceil %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_ceil(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_ceil(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @u_round.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.round %arg0 : tensor<4xf32>
// CHECK-NOT: spore.round
// CHECK: spore.return %[[Y]], %{{.*}}
// SIMPLE-LABEL: spore.func private @u_round.vjp
spore.func private @u_round(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.round %x : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @v_round(%x: tensor<4xf32>, %g: tensor<4xf32>) -> tensor<4xf32> {
  %0:2 = spore.vjp @u_round(%x) cotangents(%g) wrt = [0] : (tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1 : tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_add.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.add %arg0, %arg1 : tensor<4xf32>
// CHECK: spore.return %[[Y]], %arg2, %arg2
// SIMPLE-LABEL: spore.func private @b_add.vjp
spore.func private @b_add(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.add %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_add(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_add(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_sub.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.sub %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[N:.*]] = spore.neg %arg2
// CHECK: spore.return %[[Y]], %arg2, %[[N]]
// SIMPLE-LABEL: spore.func private @b_sub.vjp
spore.func private @b_sub(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.sub %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_sub(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_sub(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_mul.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.mul %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[GX:.*]] = spore.mul %arg2, %arg1
// CHECK: %[[GZ:.*]] = spore.mul %arg2, %arg0
// CHECK: spore.return %[[Y]], %[[GX]], %[[GZ]]
// SIMPLE-LABEL: spore.func private @b_mul.vjp
spore.func private @b_mul(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.mul %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_mul(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_mul(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_div.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.div %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[GX:.*]] = spore.div %arg2, %arg1
// CHECK: %[[A:.*]] = spore.mul %arg2, %[[Y]]
// CHECK: %[[B:.*]] = spore.div %[[A]], %arg1
// CHECK: %[[GZ:.*]] = spore.neg %[[B]]
// CHECK: spore.return %[[Y]], %[[GX]], %[[GZ]]
// SIMPLE-LABEL: spore.func private @b_div.vjp
spore.func private @b_div(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.div %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_div(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_div(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_maximum.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.maximum %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[H:.*]] = spore.mul %arg2, %{{.*}}
// CHECK: %[[GT:.*]] = spore.compare gt, %arg0, %arg1
// CHECK: %[[EQ:.*]] = spore.compare eq, %arg0, %arg1
// CHECK: %[[T:.*]] = spore.select %[[EQ]], %[[H]]
// CHECK: %[[GX:.*]] = spore.select %[[GT]], %arg2, %[[T]]
// CHECK: %[[GZ:.*]] = spore.sub %arg2, %[[GX]]
// CHECK: spore.return %[[Y]], %[[GX]], %[[GZ]]
// SIMPLE-LABEL: spore.func private @b_maximum.vjp
spore.func private @b_maximum(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.maximum %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_maximum(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_maximum(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_minimum.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.minimum %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[H:.*]] = spore.mul %arg2, %{{.*}}
// CHECK: %[[LT:.*]] = spore.compare lt, %arg0, %arg1
// CHECK: %[[EQ:.*]] = spore.compare eq, %arg0, %arg1
// CHECK: %[[T:.*]] = spore.select %[[EQ]], %[[H]]
// CHECK: %[[GX:.*]] = spore.select %[[LT]], %arg2, %[[T]]
// CHECK: %[[GZ:.*]] = spore.sub %arg2, %[[GX]]
// CHECK: spore.return %[[Y]], %[[GX]], %[[GZ]]
// SIMPLE-LABEL: spore.func private @b_minimum.vjp
spore.func private @b_minimum(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.minimum %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_minimum(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_minimum(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_pow.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.pow %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[ZM1:.*]] = spore.sub %arg1, %{{.*}}
// CHECK: %[[GZ0:.*]] = spore.mul %arg2, %arg1
// CHECK: %[[P:.*]] = spore.pow %arg0, %[[ZM1]]
// CHECK: %[[GX:.*]] = spore.mul %[[GZ0]], %[[P]]
// CHECK: %[[X0:.*]] = spore.compare eq, %arg0, %{{.*}}
// CHECK: %[[SAFE:.*]] = spore.select %[[X0]], %{{.*}}, %arg0
// CHECK: %[[L:.*]] = spore.log %[[SAFE]]
// CHECK: %[[GZ:.*]] = spore.select %[[X0]]
// CHECK: spore.return %[[Y]], %[[GX]], %[[GZ]]
// SIMPLE-LABEL: spore.func private @b_pow.vjp
spore.func private @b_pow(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.pow %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_pow(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_pow(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_atan2.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.atan2 %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[XX:.*]] = spore.mul %arg0, %arg0
// CHECK: %[[ZZ:.*]] = spore.mul %arg1, %arg1
// CHECK: %[[D:.*]] = spore.add %[[XX]], %[[ZZ]]
// CHECK: %[[A:.*]] = spore.mul %arg2, %arg1
// CHECK: %[[GX:.*]] = spore.div %[[A]], %[[D]]
// CHECK: %[[B:.*]] = spore.mul %arg2, %arg0
// CHECK: %[[C:.*]] = spore.div %[[B]], %[[D]]
// CHECK: %[[GZ:.*]] = spore.neg %[[C]]
// CHECK: spore.return %[[Y]], %[[GX]], %[[GZ]]
// SIMPLE-LABEL: spore.func private @b_atan2.vjp
spore.func private @b_atan2(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.atan2 %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_atan2(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_atan2(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: spore.func private @b_mod.vjp(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>, %arg2: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = spore.mod %arg0, %arg1 : tensor<4xf32>
// CHECK: %[[Q:.*]] = spore.floordiv %arg0, %arg1
// CHECK: %[[M:.*]] = spore.mul %arg2, %[[Q]]
// CHECK: %[[GZ:.*]] = spore.neg %[[M]]
// CHECK: spore.return %[[Y]], %arg2, %[[GZ]]
// SIMPLE-LABEL: spore.func private @b_mod.vjp
spore.func private @b_mod(%x: tensor<4xf32>, %z: tensor<4xf32>) -> tensor<4xf32> {
  %0 = spore.mod %x, %z : tensor<4xf32>
  spore.return %0 : tensor<4xf32>
}
spore.func @w_mod(%x: tensor<4xf32>, %z: tensor<4xf32>, %g: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0:3 = spore.vjp @b_mod(%x, %z) cotangents(%g) wrt = [0, 1] : (tensor<4xf32>, tensor<4xf32>), (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  spore.return %0#1, %0#2 : tensor<4xf32>, tensor<4xf32>
}
