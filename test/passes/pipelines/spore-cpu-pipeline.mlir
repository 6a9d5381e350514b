// RUN: spore-opt %s --spore-cpu-pipeline="prefix=m" | FileCheck %s --check-prefix=STACK
// RUN: spore-opt %s --spore-cpu-pipeline="prefix=m stack-budget=1500" | FileCheck %s --check-prefix=BUDGET
// RUN: spore-opt %s --spore-cpu-pipeline="prefix=m opt-level=0" | FileCheck %s --check-prefix=O0

// Static intermediates live on the stack: a call never mallocs. The result
// is the caller's buffer. Calls are inlined and the helper is dropped.
// STACK-NOT: llvm.call @spore_buffer_alloc
// STACK-LABEL: llvm.func internal @__spore_f(
// STACK-COUNT-3: llvm.alloca
// STACK-NOT: llvm.call @spore_buffer_alloc
// STACK-NOT: @__spore_twice
// STACK-LABEL: llvm.func @m_f(

// The budget bounds the sum of a function's stack buffers: the first
// 1024-byte intermediate fits in 1500 bytes, the other two go to the heap
// and are freed.
// BUDGET-LABEL: llvm.func internal @__spore_f(
// BUDGET: llvm.alloca
// BUDGET-NOT: llvm.alloca
// BUDGET-COUNT-2: llvm.call @spore_buffer_alloc
// BUDGET-NOT: llvm.alloca
// BUDGET-COUNT-2: llvm.call @spore_buffer_free

// Without optimisation nothing is tiled or vectorised (calls are still
// inlined after bufferisation, see buildCpuPipeline).
// O0-LABEL: llvm.func internal @__spore_f(
// O0-NOT: vector<
// O0: llvm.func @m_f(
spore.func @f(%a: tensor<16x16xf32>, %b: tensor<16x16xf32>) -> tensor<16x16xf32> attributes {spore.export} {
  %0 = spore.matmul %a, %b : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  %1 = spore.call @twice(%0) : (tensor<16x16xf32>) -> tensor<16x16xf32>
  %2 = spore.matmul %1, %b : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  %3 = spore.matmul %2, %a : tensor<16x16xf32>, tensor<16x16xf32> -> tensor<16x16xf32>
  spore.return %3 : tensor<16x16xf32>
}
spore.func private @twice(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %0 = spore.add %x, %x : tensor<16x16xf32>
  spore.return %0 : tensor<16x16xf32>
}
