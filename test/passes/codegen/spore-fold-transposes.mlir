// RUN: spore-opt %s -verify-each -split-input-file --pass-pipeline='builtin.module(func.func(spore-fold-transposes))' | FileCheck %s

// The adjoints of x @ w: g @ w^T and x^T @ g read w and x in place through
// transposed indexing maps (both products are packed: their packing copies
// read either layout), and the transposes go.
// CHECK-DAG: #[[MK:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[NK:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[MN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[KM:.*]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[KN:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-LABEL: func.func @adjoints
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[MK]], #[[NK]], #[[MN]]]
// CHECK-SAME: ins(%arg1, %arg2 : tensor<256x1024xf32>, tensor<512x1024xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[KM]], #[[KN]], #[[MN]]]
// CHECK-SAME: ins(%arg0, %arg1 : tensor<256x512xf32>, tensor<256x1024xf32>)
// CHECK-NOT: linalg.transpose
func.func @adjoints(%x: tensor<256x512xf32>, %g: tensor<256x1024xf32>,
                    %w: tensor<512x1024xf32>)
    -> (tensor<256x512xf32>, tensor<512x1024xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1024x512xf32>
  %wt = linalg.transpose ins(%w : tensor<512x1024xf32>) outs(%e0 : tensor<1024x512xf32>) permutation = [1, 0]
  %e1 = tensor.empty() : tensor<256x512xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<256x512xf32>) -> tensor<256x512xf32>
  %dx = linalg.matmul ins(%g, %wt : tensor<256x1024xf32>, tensor<1024x512xf32>) outs(%z1 : tensor<256x512xf32>) -> tensor<256x512xf32>
  %e2 = tensor.empty() : tensor<512x256xf32>
  %xt = linalg.transpose ins(%x : tensor<256x512xf32>) outs(%e2 : tensor<512x256xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<512x1024xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<512x1024xf32>) -> tensor<512x1024xf32>
  %dw = linalg.matmul ins(%xt, %g : tensor<512x256xf32>, tensor<256x1024xf32>) outs(%z3 : tensor<512x1024xf32>) -> tensor<512x1024xf32>
  return %dx, %dw : tensor<256x512xf32>, tensor<512x1024xf32>
}

// -----

// A contraction generic over a batch of activations ([2, 128, 768] times
// a transposed [3072, 768] weight: rows (b, t)) reads the weight in place.
// CHECK-DAG: #[[G:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @batched_rows
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic {indexing_maps = [#[[G]], #[[W]], #[[O]]]
// CHECK-SAME: ins(%arg0, %arg1 : tensor<2x128x3072xf32>, tensor<768x3072xf32>)
func.func @batched_rows(%g: tensor<2x128x3072xf32>, %w: tensor<768x3072xf32>,
                        %init: tensor<2x128x768xf32>) -> tensor<2x128x768xf32> {
  %e = tensor.empty() : tensor<3072x768xf32>
  %wt = linalg.transpose ins(%w : tensor<768x3072xf32>) outs(%e : tensor<3072x768xf32>) permutation = [1, 0]
  %r = linalg.generic {indexing_maps = [affine_map<(b, t, n, k) -> (b, t, k)>,
                                        affine_map<(b, t, n, k) -> (k, n)>,
                                        affine_map<(b, t, n, k) -> (b, t, n)>],
                       iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%g, %wt : tensor<2x128x3072xf32>, tensor<3072x768xf32>)
      outs(%init : tensor<2x128x768xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x128x768xf32>
  return %r : tensor<2x128x768xf32>
}

// -----

// 16 rows times a transposed 512x1024 weight: too few rows to be packed,
// so it is computed as (w g^T)^T: w is read as it is, and only g (16 x
// 1024) and the result (16 x 512) are transposed.
// CHECK-LABEL: func.func @few_rows
// CHECK-NOT: linalg.transpose ins(%arg1
// CHECK: %[[GT:.*]] = linalg.transpose ins(%arg0 : tensor<16x1024xf32>) outs(%{{.*}} : tensor<1024x16xf32>) permutation = [1, 0]
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<512x16xf32>)
// CHECK: %[[D:.*]] = linalg.matmul ins(%arg1, %[[GT]] : tensor<512x1024xf32>, tensor<1024x16xf32>) outs(%[[INIT]] : tensor<512x16xf32>)
// CHECK: %[[C:.*]] = linalg.transpose ins(%[[D]] : tensor<512x16xf32>) outs(%{{.*}} : tensor<16x512xf32>) permutation = [1, 0]
// CHECK: return %[[C]]
func.func @few_rows(%g: tensor<16x1024xf32>, %w: tensor<512x1024xf32>) -> tensor<16x512xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1024x512xf32>
  %wt = linalg.transpose ins(%w : tensor<512x1024xf32>) outs(%e0 : tensor<1024x512xf32>) permutation = [1, 0]
  %e1 = tensor.empty() : tensor<16x512xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<16x512xf32>) -> tensor<16x512xf32>
  %r = linalg.matmul ins(%g, %wt : tensor<16x1024xf32>, tensor<1024x512xf32>) outs(%z1 : tensor<16x512xf32>) -> tensor<16x512xf32>
  return %r : tensor<16x512xf32>
}

// -----

// Left alone: a product of few rows that accumulates onto an argument
// (not a fill), one with a short reduction, and a transpose with another
// use, which stays for it while a packed product reads the weight in
// place.
// CHECK-LABEL: func.func @left_alone
// CHECK: %[[T:.*]] = linalg.transpose ins(%arg2
// CHECK: linalg.matmul ins(%arg0, %[[T]] : tensor<16x1024xf32>, tensor<1024x512xf32>) outs(%arg3 :
// CHECK: %[[S:.*]] = linalg.transpose ins(%arg4
// CHECK: linalg.matmul ins(%arg5, %[[S]] : tensor<16x64xf32>, tensor<64x512xf32>)
// CHECK: %[[T2:.*]] = linalg.transpose ins(%arg2
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg1, %arg2 : tensor<256x1024xf32>, tensor<512x1024xf32>)
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %[[T2]]
func.func @left_alone(%small: tensor<16x1024xf32>, %g: tensor<256x1024xf32>,
                      %w: tensor<512x1024xf32>, %acc: tensor<16x512xf32>,
                      %v: tensor<512x64xf32>, %short: tensor<16x64xf32>)
    -> (tensor<16x512xf32>, tensor<16x512xf32>, tensor<256x512xf32>, tensor<1024x512xf32>) {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1024x512xf32>
  %wt = linalg.transpose ins(%w : tensor<512x1024xf32>) outs(%e0 : tensor<1024x512xf32>) permutation = [1, 0]
  %a = linalg.matmul ins(%small, %wt : tensor<16x1024xf32>, tensor<1024x512xf32>) outs(%acc : tensor<16x512xf32>) -> tensor<16x512xf32>
  %e4 = tensor.empty() : tensor<64x512xf32>
  %vt = linalg.transpose ins(%v : tensor<512x64xf32>) outs(%e4 : tensor<64x512xf32>) permutation = [1, 0]
  %e5 = tensor.empty() : tensor<16x512xf32>
  %z5 = linalg.fill ins(%zero : f32) outs(%e5 : tensor<16x512xf32>) -> tensor<16x512xf32>
  %c = linalg.matmul ins(%short, %vt : tensor<16x64xf32>, tensor<64x512xf32>) outs(%z5 : tensor<16x512xf32>) -> tensor<16x512xf32>
  %e2 = tensor.empty() : tensor<1024x512xf32>
  %wt2 = linalg.transpose ins(%w : tensor<512x1024xf32>) outs(%e2 : tensor<1024x512xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<256x512xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<256x512xf32>) -> tensor<256x512xf32>
  %b = linalg.matmul ins(%g, %wt2 : tensor<256x1024xf32>, tensor<1024x512xf32>) outs(%z3 : tensor<256x512xf32>) -> tensor<256x512xf32>
  return %a, %c, %b, %wt2 : tensor<16x512xf32>, tensor<16x512xf32>, tensor<256x512xf32>, tensor<1024x512xf32>
}
