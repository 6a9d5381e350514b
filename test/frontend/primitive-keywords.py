# RUN: sporec %s --emit=spore | FileCheck %s
# Every primitive binds its arguments through one table (Primitives.cpp):
# keywords in any order, the method form of reshape, and a primitive of
# each family.
@export
def f(x: f32[2, 3], w: f32[1, 1, 3, 4], idx: i64[2]):
    k1, k2 = split(rng(seed=7))
    return (sum(x=x, axis=1, keepdims=True),
            softmax(axis=0, x=x),
            x.reshape(3, 2),
            reshape(shape=(6,), x=x),
            transpose(x, axes=(1, 0)),
            zeros(dtype=f64, shape=(2,)),
            arange(stop=4, start=1),
            eye(n=2, k=1),
            split(x=x, indices_or_sections=3, axis=1),
            gather(x, axis=1, indices=idx),
            where(y=x, x=2.0, cond=x > 0.0),
            conv2d(reshape(x, (1, 2, 3, 1)) * ones((1, 1, 1, 3)), w=w, stride=1),
            random_uniform(shape=(2,), key=k2),
            maximum(y=x, x=1.0),
            cumsum(x, axis=0),
            einsum('ij->ji', x))

# CHECK: %[[KEY:.*]] = spore.constant dense<[7, 0]> : tensor<2xi32>
# CHECK: %[[BITS:.*]] = spore.random %[[KEY]] : tensor<2xi32> -> tensor<4xi32>
# CHECK: spore.slice %[[BITS]] starts = [0]
# CHECK: %[[K2:.*]] = spore.slice %[[BITS]] starts = [2]
# CHECK: spore.sum %arg0 axes = [1] keepdims : tensor<2x3xf32> -> tensor<2x1xf32>
# CHECK: spore.softmax %arg0 axis = 0
# CHECK: spore.reshape %arg0 : tensor<2x3xf32> -> tensor<3x2xf32>
# CHECK: spore.reshape %arg0 : tensor<2x3xf32> -> tensor<6xf32>
# CHECK: spore.transpose %arg0 permutation = [1, 0]
# CHECK: spore.constant dense<0.000000e+00> : tensor<2xf64>
# CHECK: spore.constant dense<[1, 2, 3]> : tensor<3xi64>
# CHECK: spore.constant dense<{{\[\[}}0.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>
# CHECK: spore.slice %arg0 starts = [0, 2] steps = [1, 1] : tensor<2x3xf32> -> tensor<2x1xf32>
# CHECK: spore.gather %arg0[%arg2] axis = 1
# CHECK: spore.constant dense<2.000000e+00> : tensor<f32>
# CHECK-NEXT: %[[TWO:.*]] = spore.broadcast_to %{{.*}} : tensor<f32> -> tensor<2x3xf32>
# CHECK: spore.select %{{.*}}, %[[TWO]], %arg0
# CHECK: spore.conv2d %{{.*}}, %arg1 strides = [1, 1]
# CHECK: spore.random %[[K2]] : tensor<2xi32> -> tensor<2xf32>
# CHECK: spore.maximum %{{.*}}, %arg0 : tensor<2x3xf32>
# CHECK: spore.cumsum %arg0 axis = 0
# CHECK: spore.transpose %arg0 permutation = [1, 0]
