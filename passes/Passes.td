//===- Passes.td - Spore's passes --------------------------*- tablegen -*-===//
//
// Every pass of Spore, one per .cpp file named after it. Flags carry the
// `spore-` prefix.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_PASSES_TD
#define SPORE_PASSES_TD

include "mlir/Pass/PassBase.td"

def SporeShareFunctions : Pass<"spore-share-functions", "::mlir::ModuleOp"> {
  let summary = "merges identical functions; marks those compiled once and called";
  let description = [{
    Runs before differentiation, so that a model of N identical blocks has
    one function per block type (docs/ir.md, "Functions"). To a fixed
    point, it drops the arguments a private function does not read (the
    frontend passes every Parameter to each method of each Cell instance)
    where every use of the function is a call, and merges private
    functions identical but for their name (type, attributes and body,
    locations aside), so that the instances of one Cell class share their
    methods and their callers become twins in turn.

    Then it marks `spore.separate` each private function with at least two
    call sites and at least three ops besides constants whose results are
    float tensors, which neither prints, checks nor assigns (nor calls a
    function that does), and which is not recursive, checkpointed or a
    @custom_vjp function; its calls get `spore.no_inline`. Such a function
    is compiled once: spore-differentiate calls its derivatives instead of
    inlining it, and the CPU pipeline's inliner leaves its calls alone.
  }];
}

def SporeDifferentiate : Pass<"spore-differentiate", "::mlir::ModuleOp"> {
  let summary = "expands spore.grad, spore.vjp and spore.jvp into generated functions";
  let description = [{
    Source-to-source reverse mode (docs/differentiation.md). Each
    `spore.grad @f(...) wrt = [...]` becomes a call of a generated function
    `@f.grad` that computes f's results and the gradients: a copy of `f`
    with every call inlined but those of recursive, checkpointed,
    @custom_vjp and separate (spore-share-functions) functions, followed
    by its adjoint, built from the rules
    of the primitives (DifferentiableOp) in reverse order, accumulating
    cotangents and skipping values that do not depend on a differentiated
    argument. Transforms nest: a `spore.grad` whose callee reaches another
    is expanded after it (innermost first), so `grad(grad(f))` works. The
    adjoint is ordinary spore IR.

    A run-time branch (scf.if) is reversed by an scf.if on the same
    condition whose branches recompute the forward branch and reverse it.
    Loops with a constant trip count of at most 16 are unrolled first.
    Other loops (scf.for, scf.while) are rewritten to push the state they
    carry into each iteration onto a value stack (`tensor<?x...>`, sized
    at entry for scf.for, doubled when full for scf.while); the reverse
    loop reads it from the last row to the first, recomputing and
    reversing one iteration per step.

    Forward mode: each `spore.jvp @f(...) tangents(...)` becomes a call of
    a generated `@f.jvp` (Tangent.h) that computes each tangent after its
    value through the primitives' `buildJVP` rules; branches yield
    tangents and loops carry them.

    A call of a recursive function becomes a call of its derivative
    (`@g.vjp`, `@g.jvp`), generated the same way and recursive in turn;
    reverse mode evaluates the callee again at each level instead of
    keeping a tape.

    A call of a separate function becomes a call of its forward function
    `@g.fwd`, which also returns the residuals (the forward values the
    backward part reads), and its adjoint a call of `@g.bwd` (arguments,
    residuals, cotangents -> gradients), one pair per set of
    differentiated operands; both are cut from g's seeded adjoint. Where
    the residuals include a loop's value stack, the call is reversed as a
    checkpoint. Forward mode calls `@g.jvp`.

    An adjoint that a later transform differentiates again in reverse mode
    keeps no stacks: its reverse loops replay the forward iterations
    (`@f.grad.replay`).

    Located errors: a primitive without a rule on an active path, a value
    stack on an active path (hand-written IR), forward mode through
    a @custom_vjp function.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def SporeDeadLoopState : Pass<"spore-dead-loop-state"> {
  let summary = "makes loop-carried state that nothing reads loop-invariant";
  let description = [{
    For each `scf.for` and `scf.while`, finds the values of its regions
    that its used results, its condition and its side effects need, closed
    over the loop's back edges. A carried position that is not needed then
    carries its initial value unchanged, so that canonicalisation removes
    the position and the code that computed it: a value stack that the
    reverse sweep of a loop never reads, or primal state that only an
    unused result needed. Run `canonicalize` after it.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def SporeLowerToLinalg : Pass<"spore-lower-to-linalg", "::mlir::ModuleOp"> {
  let summary = "lowers the spore dialect to func, linalg, tensor, arith and math";
  let description = [{
    Rewrites every spore op into upstream dialects on tensors:
    `spore.func`/`call`/`return` become `func.func`/`call`/`return`;
    elementwise primitives become one `linalg.generic` each, whose body the
    op builds itself (ScalarElementwiseOpInterface); `matmul` becomes
    `linalg.matmul` for 2-D operands and a contraction `linalg.generic`
    otherwise; reductions become `linalg.reduce`; `softmax` and
    `log_softmax` become a max-subtracted, numerically stable sequence of
    reductions and generics; shape ops become `tensor`/`linalg` shape ops.
    Functions are renamed `__spore_<name>` (no model function can clash
    with a C library symbol); an exported one stays public and keeps its
    source name as the value of its `spore.export` attribute, the others
    are private.
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect", "::mlir::scf::SCFDialect",
    "::mlir::bufferization::BufferizationDialect"];
}

def SporeThreadState : Pass<"spore-thread-state", "::mlir::ModuleOp"> {
  let summary = "turns spore.assign into arguments and results";
  let description = [{
    State updates as values (training.md §1). A function that assigns a
    Parameter, itself or through its calls, takes the current value of
    each Parameter it writes as an extra argument and returns the new
    value as an extra result, in slot order; scf.if, scf.for and
    scf.while that write get one more result (and iteration argument)
    per Parameter. An export starts from the Parameters it receives, the
    state at the call's entry, returns the final values after its own
    results, and lists their slots in `spore.state_writes`; the C entry
    point writes them to spare buffers of the state object and swaps them
    in when the call succeeds. Runs after differentiation, which refuses
    to differentiate a function that assigns.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def SporeStripChecks : Pass<"spore-strip-checks"> {
  let summary = "removes the run-time checks of language rules";
  let description = [{
    Erases every `spore.assert` marked `precondition`: the checks that the
    frontend adds for rules of the language that only run-time values can
    break (an index out of bounds, a range step of 0). Without them such a
    value is clamped into bounds silently, as in XLA. Users' own `assert`
    statements stay. `sporec --no-runtime-checks` runs this pass.
  }];
}

def SporeOutlineLoops : Pass<"spore-outline-loops", "::mlir::ModuleOp"> {
  let summary = "outlines the loop nests of long functions, sharing identical ones";
  let description = [{
    In a function with at least `min-nests` loop nests (`scf.for`) at its
    top level, each nest becomes a call of a private, `no_inline` function
    of the values it reads from outside (constants are copied in). Nests
    that are equal but for those values, such as the elementwise work
    after each of N identical blocks or the update of each of N
    Parameters of one shape, share one function. A nest that returns a
    buffer, reads a buffer of dynamic shape or non-identity layout, or
    holds a `spore.parallel` (outlined later for the runtime's threads)
    stays where it is.

    A training step inlines this work for every block of the model; kept
    in one function, it made upstream's convert-scf-to-cf and LLVM's loop
    passes take time that grows with the square of the depth. An argument
    that is, at every call, an allocation of the caller passed with no
    view of it is `llvm.noalias`, as LLVM knew before outlining (else each
    outlined loop checks its buffers for overlap at run time). Small
    functions are left alone: a call costs a few nanoseconds, and LLVM
    sees more inside one function.
  }];
  let options = [
    Option<"minNests", "min-nests", "unsigned", "16",
           "the fewest top-level loop nests of a function whose nests are outlined">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def SporeBufferAlignment : Pass<"spore-buffer-alignment"> {
  let summary = "drops the alignment of heap buffers that the runtime gives anyway";
  let description = [{
    The heap buffers of the runtime (`spore-runtime-buffers`) are aligned
    to SPORE_BUFFER_ALIGNMENT (64) bytes. A `memref.alloc` of scalars that
    asks for at most that much loses its `alignment`, so that it lowers to
    a plain call whose pointer is used as it is. With the attribute, the
    lowering allocates 64 bytes more (a 4 KiB buffer then takes 8 KiB of
    the runtime) and rounds the pointer up by integer arithmetic, after
    which LLVM no longer knows that the buffer is a new allocation: it
    adds run-time overlap checks, with scalar fallback loops, to every
    vectorised loop that writes one buffer and reads another.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def SporeRuntimeBuffers : Pass<"spore-runtime-buffers", "::mlir::ModuleOp"> {
  let summary = "allocates heap buffers through the Spore runtime";
  let description = [{
    Runs on the LLVM dialect: the `malloc` and `free` that memref
    allocations lower to become `spore_buffer_alloc_at` and
    `spore_buffer_free` from libspore_runtime, which keeps large freed
    buffers for the next call instead of returning them to the kernel
    (every call of a large model page-faulted its intermediates afresh).
    Each allocation passes a constant string with the source position of
    its call (`m.py:3:7`): when it fails, the call returns
    SPORE_ERROR_MEMORY with "m.py:3:7: out of memory allocating N bytes"
    (spore-emit-c-abi guards the call). Each function that calls itself
    starts with `spore_stack_check` and the position of its definition: a
    recursion deep enough to use up the native stack fails the same way
    ("m.py:1:5: recursion too deep: ...") instead of overflowing it.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def SporeEmitCABI : Pass<"spore-emit-c-abi", "::mlir::ModuleOp"> {
  let summary = "adds the C entry points of language.md §8 to lowered exports";
  let description = [{
    Runs on the LLVM dialect, after the functions were lowered with the
    bare-pointer memref calling convention and results became
    out-parameters. For each function marked `spore.export = "name"` it makes
    the function internal (as every other defined function) and adds two
    entry points:

    - `<prefix>_<name>(ptr, ..., ptr) -> i32`: the documented C ABI, one
      pointer per argument and per result, returning 0 on success;
    - `__spore_packed_<prefix>_<name>(ptr) -> i32`: the same call with the
      pointers in one array, which `spore-run` uses to call any export
      through one signature.

    When the module carries `spore.exports` (spore-lower-to-linalg), it
    also adds `<prefix>_model() -> ptr`, a constant `spore_model`
    (runtime.h): the module's name, its state descriptor, the exports'
    descriptor and their packed entry points, which generic callers (the
    Trainer, spore-train) use to find and check an export by name.
  }];
  let options = [
    Option<"prefix", "prefix", "std::string", /*default=*/"\"model\"",
           "the module name that prefixes every exported symbol">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def SporeVectorizeContractions
    : Pass<"spore-vectorize-contractions", "::mlir::func::FuncOp"> {
  let summary = "tiles matmul-like contractions and transposes into register "
                "tiles and vectorises them";
  let description = [{
    Runs on linalg on memrefs, after bufferisation (tiling on tensors would
    hide the result buffer from buffer-results-to-out-params behind loop
    results). Each contraction with static shapes (`linalg.matmul`,
    `batch_matmul`, and contraction generics of the same form) is tiled with
    `scf.for` loops into register tiles of `tile-m x tile-n` outputs and one
    step of the reduction, and each tile is vectorised to a
    `vector.contract`. Tile sizes are shrunk to divisors of the dimensions,
    so every tile is full and needs no mask. `spore-lower-vectors` then
    keeps the output tile in registers across the reduction loop. A
    product of at most 4 row tiles (a small batch) loops over its column
    tiles outside its row tiles, so that each column panel of B is read
    from memory once. A `linalg.fill` of the whole output just before the
    product (the zeros a product on tensors starts from), when no input may
    be the output's buffer, becomes a vector write of each tile just before
    its reduction loop, from which `spore-lower-vectors` starts the
    registers: the output is written once instead of filled, read and
    written. A copy of another buffer of the same type into the output
    (a product accumulated onto a value, `spore-accumulate-updates`)
    becomes a copy of each tile the same way.

    A `linalg.transpose` that moves the innermost dimension (the transposed
    weights and activations of matmul adjoints) is tiled into 8x8 blocks
    over the two dimensions that swap, each read and written by rows
    through registers; as loops it accessed memory with a large
    power-of-two stride at every step (3.9 ms against 0.5 ms for a
    1024x1024 f32 matrix). A transpose that keeps rows in place (the heads
    of attention; the packing of a transposed operand, whose rows are 8
    elements) copies each row, up to 64 elements at a time, through a
    vector: as loops, LLVM copied 8-element rows element by element.
  }];
  let options = [
    Option<"tileM", "tile-m", "int64_t", /*default=*/"::spore::kRegisterTileM",
           "rows of the output in a register tile">,
    Option<"tileN", "tile-n", "int64_t", /*default=*/"::spore::kRegisterTileN",
           "columns of the output in a register tile">,
  ];
  let dependentDialects = [
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::mlir::memref::MemRefDialect", "::mlir::arith::ArithDialect"];
}

def SporeLowerVectors : Pass<"spore-lower-vectors", "::mlir::func::FuncOp"> {
  let summary = "hoists loop-invariant vector transfers and lowers vector "
                "contractions to FMAs";
  let description = [{
    Runs on memrefs after bufferisation. Moves the read and write of an
    accumulator tile out of the reduction loop (so it stays in registers)
    when nothing else in the loop touches its buffer; upstream's
    hoistRedundantVectorTransfers, which runs after, refuses any buffer
    that has a view anywhere (the Q, K and V projections, reshaped into
    heads, loaded and stored their accumulators at every step). A tile
    written just before the loop (the fill that
    `spore-vectorize-contractions` gives each tile of a filled output) is
    the accumulator's start instead of a read, and that write goes. Then it
    lowers `vector.contract` to outer products and FMAs, and vector
    transfers to 1-D loads, stores and broadcasts, ready for
    `convert-vector-to-scf` and `convert-vector-to-llvm`.
  }];
  let dependentDialects = [
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect"];
}

def SporeMathToLibm : Pass<"spore-math-to-libm", "::mlir::ModuleOp"> {
  let summary = "calls libm for math that LLVM has no intrinsic for";
  let description = [{
    Rewrites `math.erf`, `erfc`, `tan`, `atan`, `atan2`, `asin`, `acos`,
    `sinh`, `cosh`, `tanh`, their inverse hyperbolic relatives and `cbrt`
    on f32 and f64 (vectors unrolled) into calls of the C library's
    functions, and leaves every other math op to convert-math-to-llvm.
    Upstream's convert-math-to-libm marks the whole math dialect illegal
    and so fails on ops it has no call for (`math.isfinite`); this pass
    applies the same upstream patterns to these ops only.
  }];
  let dependentDialects = [
    "::mlir::func::FuncDialect", "::mlir::vector::VectorDialect",
    "::mlir::arith::ArithDialect"];
}

def SporeHoistInvariants : Pass<"spore-hoist-invariants"> {
  let summary = "moves loop-invariant tensor code out of loops, filling "
                "in the loop what the loop overwrites";
  let description = [{
    Upstream's loop-invariant code motion (side-effect-free, speculatable
    ops whose operands are defined outside the loop), from inner loops
    out; then each op in a loop that writes into a `linalg.fill` made
    outside it (as the `outs` of a linalg op, or the tensor an
    `insert_slice` writes into) gets a copy of the fill right before it.
    Otherwise bufferisation would copy the filled buffer on every
    iteration before writing it, where the loop filled one in place.

    The primal of a `jvp` in a loop that seeds a new tangent per iteration
    (a Jacobian built column by column, `J[:, :, j] = col`) is then
    computed once, before the loop.
  }];
}

def SporeFuseElementwise : Pass<"spore-fuse-elementwise"> {
  let summary = "fuses elementwise linalg ops, recomputing only cheap ones";
  let description = [{
    Upstream's elementwise fusion (`populateElementwiseOpsFusionPatterns`)
    with a cost rule: a producer is fused into its consumer only when that
    is its only use (or its other uses are the function's results, which
    the fused op then also computes) and the consumer reads each of its
    elements once (the operand's indexing map is a permutation). Upstream's
    linalg-fuse-elementwise-ops fuses any single-use producer, also into a
    contraction that reads each element N times, so that a LayerNorm
    feeding a batched matmul was recomputed for every output column (a
    GPT block's forward pass ran 18x slower than its gradient).

    A cheap producer (one result, at most one input read in full, the
    others broadcasts, and at most 6 additions, multiplications,
    comparisons or selects: `x + b`, `x * x`, `0.5 * x`) is computed again
    in each elementwise op that reads it, so that it is not stored for
    them: the values that reverse mode keeps for the backward pass are
    recomputed there from the one tensor they come from (the GELU adjoint
    of a GPT block read 7 stored tensors, now 3; its value_and_grad
    touches 262 instead of 325 MB outside the products).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::affine::AffineDialect",
                           "::mlir::tensor::TensorDialect"];
}

def SporeScalarize : Pass<"spore-scalarize"> {
  let summary = "computes on 0-d tensors as scalars, and loops carry them as "
                "scalars";
  let description = [{
    On linalg on tensors, before bufferisation. A `linalg.generic` whose
    operands are all 0-d tensors becomes its body's ops on the elements
    (`tensor.extract`, then `tensor.from_elements` of the result), and an
    `scf.for` that carries a 0-d tensor carries its element instead; the
    extracts and from_elements between them fold away. Bufferised as
    tensors, each scalar was a buffer written and read back at every step,
    and a loop-carried one a new buffer per iteration (a scalar recurrence
    of four flops took 360 ns per iteration); as values they stay in
    registers.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect",
                           "::mlir::scf::SCFDialect"];
}

def SporeApproximateMath : Pass<"spore-approximate-math"> {
  let summary = "replaces f32 transcendental functions with polynomial "
                "approximations";
  let description = [{
    Rewrites `math.exp`, `log`, `tanh`, `erf` and their relatives on f32
    with upstream's polynomial approximations (accurate to a few ulp), which
    are plain arithmetic: loops over them vectorise, where libm calls would
    not. f64 and other types keep the libm calls.
  }];
  let dependentDialects = [
    "::mlir::math::MathDialect", "::mlir::arith::ArithDialect",
    "::mlir::vector::VectorDialect"];
}

def SporeConstantGlobals
    : Pass<"spore-constant-globals", "::mlir::ModuleOp"> {
  let summary = "makes the globals of tensor constants in program order";
  let description = [{
    Before one-shot bufferisation, each `arith.constant` of a ranked tensor
    type gets its `memref.global` (upstream's bufferization::getGlobalFor:
    one global per value and alignment, named `__constant_<shape>_<n>`),
    walking the module in program order. Bufferisation reuses these. Left
    to it, the globals were made in an order of functions that depends on
    pointer values (MLIR 22.1), so the names and order of the globals, and
    the bytes of the object, changed from one run of sporec to the next.
  }];
  let options = [
    Option<"alignment", "alignment", "uint64_t", /*default=*/"64",
           "alignment of the globals: one-shot bufferisation's "
           "buffer-alignment, so that it finds them">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def SporeFoldTransposes
    : Pass<"spore-fold-transposes", "::mlir::func::FuncOp"> {
  let summary = "reads a transposed operand of a large matrix product in "
                "place";
  let description = [{
    Before bufferisation, a `linalg.matmul` on tensors whose operand is a
    2-d `linalg.transpose` becomes a contraction `linalg.generic` that reads
    the transpose's input through a transposed indexing map, when
    `spore-pack-contractions` will pack the product (`spore::packsProduct`):
    its packing copy reads either layout at the same speed. The transpose,
    left without uses, goes: the adjoints of `x @ w` (`g @ w^T` and
    `x^T @ g`) no longer copy every weight and activation they transpose
    (2 x 4 MB of memory traffic per 1024x1024 weight). A product of at
    most 32 rows times a transposed operand of at least 128 x 128 whose
    init is a fill (`g @ w^T` at a small batch) becomes `(w g^T)^T`: the
    weight is read as it is, and only the small `g` and the result are
    transposed (the MLP-S step at batch 16: 2.03 -> 1.60 ms). Other
    products keep the transpose: their register tiles read a transposed
    operand with a large stride.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def SporeAccumulateUpdates
    : Pass<"spore-accumulate-updates", "::mlir::func::FuncOp"> {
  let summary = "accumulates a product onto the value it updates: p - s * "
                "(A @ B) as (-s * A) @ B onto p";
  let description = [{
    Before bufferisation, a 2-d `linalg.generic` computing `p - s * g`
    (an SGD step: the Parameter, a 0-d learning rate, the gradient), whose
    `g` is a `linalg.matmul` from zeros with no other use, becomes a
    `linalg.matmul` of the same operands, the smaller one scaled by `-s`
    (before its transpose, if it is a `linalg.transpose`), into `p`.
    Bufferisation copies `p` into the product's output, and
    `spore-pack-contractions`, `spore-parallelize` and
    `spore-vectorize-contractions` take that copy into the product's
    register tiles (`spore::initBefore`), as they do a fill: the gradient
    of a weight is no longer written and read back (the MLP-S step at
    batch 16: its weight gradients are two thirds of its memory traffic
    beside the weights). The sum is reassociated, as an FMA contraction
    would.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def SporeFillsAtUses : Pass<"spore-fills-at-uses", "::mlir::func::FuncOp"> {
  let summary = "gives each op that writes into a filled tensor its own fill, "
                "just before it";
  let description = [{
    Before bufferisation, a `linalg.fill` of a `tensor.empty` that is the
    destination (DPS init) of ops is cloned, with its `tensor.empty`, just
    before each such op. Canonicalisation and CSE make one zero tensor
    the init of every matrix product of a function (the Q, K, V and output
    projections of an attention block, the weight gradients of its
    backward pass); one-shot bufferisation then wrote the fill into one
    buffer and copied it for every other product (a 786 KB copy per
    projection of a GPT block). Each product now has its own buffer,
    filled just before it, where `spore-vectorize-contractions` and
    `spore-pack-contractions` fold the fill into the product's registers.
    Other uses (a loop's initial value, an input) keep the original fill.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def SporeDistinctResults
    : Pass<"spore-distinct-results", "::mlir::func::FuncOp"> {
  let summary = "gives each returned tensor its own value";
  let description = [{
    Before bufferisation, a `func.return` that returns one tensor value more
    than once (`return b, b`; an adjoint whose two gradients are equal)
    returns a `linalg.copy` of it for each repetition. Upstream's
    buffer-results-to-out-params with hoisted allocations crashes on a
    repeated allocation (MLIR 22.1), and each result needs its own
    out-parameter anyway. A returned `tensor.empty` that has other uses
    (the result of an op on a tensor without elements) is replaced by a new
    one: its contents are undefined, so bufferization would let another op
    write into its buffer in place, and two results would share it.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def SporeLowerStridedCopies
    : Pass<"spore-lower-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "turns copies of strided memrefs into linalg.copy";
  let description = [{
    After bufferisation, a `memref.copy` whose source or target is not
    contiguous becomes a `linalg.copy` (and so loops): upstream lowers it to
    a call of `memrefCopy` from MLIR's runtime library, which Spore's
    libraries do not link. Contiguous copies stay `memref.copy` (a memcpy).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def SporePackContractions
    : Pass<"spore-pack-contractions", "::mlir::func::FuncOp"> {
  let summary = "packs the operands of large f32 matrix products into "
                "panels and blocks the product for the caches";
  let description = [{
    A statically shaped f32 product `C[m, n] += A * B` on buffers (a
    `linalg.matmul` or contraction generic, either operand possibly
    transposed; rows, columns or reduction may each be several loops that
    every operand holds together, as in a [B, T, D] activation times a
    [D, E] weight) with at least `min-work` multiply-adds, whose rows and
    columns divide into whole register tiles (8 x 32) and are at least 32
    and 128, copies A into `Ap[M/8][K][8]` and B into `Bp[N/32][K][32]` (a
    transposed operand by the same copy with another permutation) and runs
    BLIS's loops `(n2, k1, m1, n1)` over the panels inside a
    `spore.parallel` that gives each thread a contiguous range of B's
    panels (or of A's when M > N). Each step is an 8 x 32 contraction over
    a slice of up to 512 of the reduction: each 512 x 8 micro-panel of A
    (16 KiB) stays in L1 while a block of B's panels (512 KiB at most)
    streams past it from L2 (BLIS's loops; IREE's data tiling), and each
    step prefetches the next step's tile of C, which comes from beyond L2
    at every slice. A fill of C just before the product (or a copy into
    it) becomes a fill (copy) of each tile just before its first slice. The packed copies are heap buffers
    freed after the product. Runs before `spore-parallelize` (which splits
    the packing copies) and `spore-vectorize-contractions` (which tiles
    each step into registers).
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"::spore::kPackMinWork",
           "the least multiply-adds (M x N x K) of a product worth packing">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect", "::spore::SporeDialect"];
}

def SporeParallelize : Pass<"spore-parallelize", "::mlir::func::FuncOp"> {
  let summary = "splits large linalg ops on buffers into scf.forall chunks";
  let description = [{
    Every statically shaped linalg op on buffers whose work (iterations
    times the ops of its body; multiply-adds for a contraction) reaches
    `min-work` becomes an `scf.forall` over chunks of one of its parallel
    dimensions: the outermost one that splits into at least two chunks,
    each a multiple of the register tile that
    `spore-vectorize-contractions` gives that dimension (8 rows and 32
    columns of a matrix product, 16 elements of an innermost dimension),
    at most `max-chunks` of them. Each chunk is the same op on subviews.
    Ops whose body calls a function, ops that read a part of their output
    buffer other than the element they write, and ops inside an
    `scf.forall` or `spore.parallel` stay whole. The fill of (or
    copy into) a contraction's output just before it
    (`spore::initBefore`) goes into each chunk, next to that chunk's
    product, instead of being split on its own. Smaller work stays serial: starting threads costs a few
    microseconds.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"1 << 17",
           "the least work (iterations x body ops) split across threads">,
    Option<"maxChunks", "max-chunks", "int64_t", /*default=*/"16",
           "the most chunks an op is split into">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::affine::AffineDialect"];
}

def SporeForallToParallel
    : Pass<"spore-forall-to-parallel", "::mlir::func::FuncOp"> {
  let summary = "turns scf.forall loops into spore.parallel or scf.for";
  let description = [{
    An outermost `scf.forall` without results whose body neither allocates
    on the heap nor calls a function becomes a `spore.parallel` over its
    iterations (linearised), whose body runs a range of them as an
    `scf.for`. Every other `scf.forall` (one nested in a parallel loop,
    one that could fail or unwind on a worker thread) becomes a serial
    `scf.for` nest.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::spore::SporeDialect"];
}

def SporeOutlineParallel
    : Pass<"spore-outline-parallel", "::mlir::ModuleOp"> {
  let summary = "outlines spore.parallel bodies into calls of the runtime";
  let description = [{
    Runs on the LLVM dialect. The body of each `spore.parallel` moves into
    a new internal function `void <function>_parallel<N>(ptr context, i64
    begin, i64 end)`; the values it uses from outside are stored in a
    struct on the caller's stack (constants are cloned instead), and the
    op becomes a call of `spore_parallel_for(body, context, iterations)`
    (runtime.h), which runs the ranges on the runtime's threads. Bodies
    that are equal but for locations become one function: the packed
    kernels of the matrix products of one shape (the Q, K, V and output
    projections of a transformer block, in each export) were generated
    once per product.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::spore::SporeDialect"];
}

def SporePlanStack : Pass<"spore-plan-stack", "::mlir::func::FuncOp"> {
  let summary = "chooses the heap buffers that may move to the stack";
  let description = [{
    Marks `spore.stack` on each statically shaped `memref.alloc` that may
    become a stack buffer, in program order while the function's stack
    buffers (those already there and those marked) stay within `budget`
    bytes; a function that calls itself (`spore.recursive`) gets at most
    16 KiB, since each level of recursion has a frame. A buffer that is
    carried across the iterations of a loop around it, or returned, is not
    marked: spore-hoist-allocas gives each stack buffer one slot per call.
    The CPU pipeline then runs upstream's promote-buffers-to-stack on the
    marked buffers only.

    Upstream's own heuristic bounds each buffer alone, so that many could
    overflow the native stack together; summing the function's buffers in
    its decision function, called once per buffer, was quadratic in the
    size of the function.
  }];
  let options = [
    Option<"budget", "budget", "uint64_t", /*default=*/"1 << 20",
           "bytes of stack buffers per function">,
  ];
}

def SporeFreeAfterLastUse
    : Pass<"spore-free-after-last-use", "::mlir::func::FuncOp"> {
  let summary = "frees each heap buffer after the last op that uses it";
  let description = [{
    Runs inside the CPU pipeline's buffer deallocation, right before
    upstream's ownership-based-buffer-deallocation. A `memref.alloc`
    whose aliases (views, results of ops and regions that take it, region
    arguments it enters) are all used inside its block, before the block's
    terminator, gets a `memref.dealloc` right after the last op of the block
    that uses one of them. Both ops are marked
    `bufferization.manual_deallocation`, so that
    ownership-based-buffer-deallocation leaves them alone. Buffers that
    leave their block (returned, yielded out of a loop or branch) are left
    to upstream.

    Upstream frees the buffers a block owns in one `bufferization.dealloc`
    at the block's end: in the straight-line step of a deep model, every
    intermediate stayed live until the step returned, and
    buffer-deallocation-simplification, quadratic in the operands of one
    dealloc, took most of the MLIR pipeline's time.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect"];
}

def SporeArenaBuffers : Pass<"spore-arena-buffers", "::mlir::func::FuncOp"> {
  let summary = "puts the heap buffers that only calls use into one "
                "allocation per call";
  let description = [{
    In a function of one block, each statically shaped `memref.alloc` of
    the entry block whose every use is a `func.call` operand (directly or
    through a view: collapse, expand, reshape, subview, cast) and whose one
    `memref.dealloc` is in the entry block becomes a `memref.view` at a
    fixed offset into one `memref.alloc` of i8 made at the function's entry
    and freed before its return. Offsets come from the buffers' lifetimes
    in the entry block (allocation to free): buffers never live at once
    share bytes, placed first fit by decreasing size, each at a multiple
    of 64 bytes. The step of a deep model, whose blocks' residuals and
    gradients pass between calls, then makes one allocation per call
    instead of one per buffer (the step of 32 transformer blocks: 1,826).
    Scalar (0-d) buffers may also be stored and loaded outside loops (the
    learning rate passed to each update). Buffers that the function's own
    loops read keep their allocations, which LLVM knows not to overlap.
    Runs after `spore-outline-loops`.
  }];
  let options = [
    Option<"minBuffers", "min-buffers", "int64_t", /*default=*/"2",
           "the fewest such buffers worth an arena">,
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

def SporeHoistAllocas : Pass<"spore-hoist-allocas", "::mlir::func::FuncOp"> {
  let summary = "moves stack buffers to the function's entry block";
  let description = [{
    Every statically sized `memref.alloca` moves to the entry block of its
    function (or of the body of an `scf.parallel`, `scf.forall` or
    `spore.parallel`, whose
    iterations run at once), so that a call reserves its stack once,
    whatever the trip counts of its loops. Upstream's convert-scf-to-cf
    releases nothing at the end of an iteration, so an alloca in a loop
    body took new stack at every iteration (a gradient of a loop of 10^5
    iterations overflowed an 8 MiB stack).

    A buffer may be hoisted when no view or other alias of it reaches the
    terminator of a loop around it or a return: then its value is dead at
    the end of each iteration and one slot serves them all. The CPU
    pipeline promotes only such buffers to the stack; an alloca in a loop
    that outlives its iteration, or whose size is known only at run time,
    is an error of this pass.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

#endif // SPORE_PASSES_TD
