/* spore/runtime.h: the C ABI of libspore_runtime, which every compiled Spore
 * model links against. No MLIR or LLVM dependency.
 *
 * Conventions: functions return 0 on success and a non-zero spore_status on
 * failure; the failing call's message is then in spore_last_error(), kept
 * per thread. */
#ifndef SPORE_RUNTIME_H
#define SPORE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum spore_status {
  SPORE_OK = 0,
  SPORE_ERROR_ARGUMENT = 1, /* a bad argument: shape, dtype, NULL pointer */
  SPORE_ERROR_IO = 2,       /* a file could not be read or written */
  SPORE_ERROR_FORMAT = 3,   /* a file is malformed */
  SPORE_ERROR_MEMORY = 4,   /* an allocation failed */
  SPORE_ERROR_ASSERT = 5,   /* an assert of the model failed at run time */
  SPORE_ERROR_VALUE = 6,    /* a run-time value broke a rule of the language:
                               an index out of bounds, a range step of 0 */
  SPORE_ERROR_CPU = 7,      /* the model was compiled for CPU features that
                               this machine lacks (sporec --cpu) */
} spore_status;

/* Called first by every entry point of a compiled model with the CPU and
 * features it was compiled for ("znver4:avx,avx2,avx512f,..."):
 * SPORE_ERROR_CPU with a message naming the missing features if this CPU
 * lacks one, instead of the SIGILL that running the model would raise. */
int spore_check_cpu(const char *compiled_for);

/* Options for creating state objects and running on devices (reserved). */
typedef struct spore_options spore_options;

/* The message of the last failing call on this thread ("" if none). */
const char *spore_last_error(void);

/* Sets the message returned by spore_last_error() and returns `status`. */
int spore_set_error(int status, const char *format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Memory aligned to `alignment` bytes (a power of two, at least
 * sizeof(void*)); NULL with an error on failure. Free with spore_free. */
void *spore_aligned_alloc(size_t alignment, size_t size);
void spore_free(void *ptr);

/* Element types of tensors in .npy files. */
typedef enum spore_dtype {
  SPORE_F16,
  SPORE_BF16,
  SPORE_F32,
  SPORE_F64,
  SPORE_BOOL,
  SPORE_I8,
  SPORE_I32,
  SPORE_I64,
  SPORE_U8, /* images of IDX files (spore/data.h); models take f32 or ints */
  /* Not a dtype: it makes every int a value of the enum (as Vulkan's
   * *_MAX_ENUM), so that a wrong dtype passed from C is refused by the
   * runtime rather than undefined behaviour in its C++. */
  SPORE_DTYPE_MAX_ENUM = 0x7fffffff,
} spore_dtype;

/* Size in bytes of one element, and its name ("f32", ...). */
size_t spore_dtype_size(spore_dtype dtype);
const char *spore_dtype_name(spore_dtype dtype);

#define SPORE_MAX_RANK 16

/* A dense row-major host tensor. */
typedef struct spore_tensor {
  spore_dtype dtype;
  int32_t rank;
  int64_t shape[SPORE_MAX_RANK];
  void *data; /* spore_aligned_alloc'd; owned by the tensor */
} spore_tensor;

/* Number of elements of `t`. */
int64_t spore_tensor_numel(const spore_tensor *t);

/* Reads a .npy file (format 1.0-3.0, little-endian, C order). On failure
 * `out` is left empty and the message names the problem. */
int spore_npy_read(const char *path, spore_tensor *out);

/* Writes `t` as a .npy file (format 1.0). */
int spore_npy_write(const char *path, const spore_tensor *t);

/* Frees the data of a tensor read by spore_npy_read. */
void spore_tensor_free(spore_tensor *t);

/* An .npz archive as numpy.savez writes it: members NAME.npy, stored
 * uncompressed, with zip64 records past 4 GiB. spore_npz_write writes
 * `count` named tensors (atomically: a failed write leaves the old file);
 * spore_npz_read reads every member, stored or deflated (savez_compressed),
 * into arrays of *count names and tensors that the runtime allocates (free
 * them with spore_npz_free). Reading checks offsets, sizes and CRCs; on
 * failure nothing is returned and the message names the problem. */
int spore_npz_write(const char *path, int32_t count, const char *const *names,
                    const spore_tensor *tensors);
int spore_npz_read(const char *path, int32_t *count, char ***names,
                   spore_tensor **tensors);
void spore_npz_free(int32_t count, char **names, spore_tensor *tensors);

/* The state object of a model with Parameters (language.md §6, §8). The
 * generated <model>_state_* functions forward here with the model's
 * descriptor; these are also what spore-run and tests use directly.
 *
 * create: allocates every Parameter, zero-filled, from a descriptor (one
 *   line per Parameter: "NAME DTYPE [D0,D1] KIND A B", KIND being const A,
 *   uniform on [A, B) or normal with deviation A). `options` may be NULL.
 * init: fills each Parameter from its initialiser; counter-based, so the
 *   values depend only on the seed, the Parameter's name and its shape.
 * save: writes one .npz archive, a member per Parameter named by its path
 *   (`net.fc1.weight`), which numpy.load reads.
 * load: reads such an archive; a missing, extra or mismatched member
 *   (dtype, shape) or a corrupt file is refused with a message, and the
 *   state is then left unchanged.
 * buffers: the Parameters' data in descriptor order, or NULL (with a
 *   message) when `s` is NULL or was created from another descriptor.
 * tensor: a view of Parameter i (its data stays owned by the state).
 * spares, commit: for the entry points of exports that update the state
 *   (training.md §1). spares returns a spare buffer per slot of `slots`
 *   (the array is the state's, valid until the next call), each allocated
 *   at the first call that needs it, or NULL with a message when that
 *   allocation fails; the export writes the new values there, and commit,
 *   called when it succeeds, swaps them with the Parameters' buffers. A
 *   failing call thus leaves the state as it was, and a step allocates
 *   nothing of the state's size. Calls that update a state must not run
 *   at the same time as other calls on that state. */
typedef struct spore_state spore_state;
int spore_state_create(spore_state **out, const char *descriptor,
                       const spore_options *options);
int spore_state_init(spore_state *s, uint64_t seed);
int spore_state_save(const spore_state *s, const char *path);
int spore_state_load(spore_state *s, const char *path);
void spore_state_destroy(spore_state *s);
void **spore_state_buffers(spore_state *s, const char *descriptor);
void **spore_state_spares(spore_state *s, const int64_t *slots, int32_t count);
void spore_state_commit(spore_state *s, const int64_t *slots, int32_t count);
int32_t spore_state_count(const spore_state *s);
int spore_state_tensor(const spore_state *s, int32_t i, const char **name,
                       spore_tensor *view);

/* What `<model>_model()` of a compiled model returns: a constant
 * description of its exports for generic callers (spore/train.h,
 * spore-train). `exports` has a line per export, in the order of
 * `entries`:
 *
 *   NAME IN:DTYPE[D0,D1] ... -> DTYPE[D0] ...
 *
 * its parameters by source name and its results, as the C entry point
 * takes them after the state. entries[i] is export i's packed entry
 * point: it takes the C entry point's arguments (the state first, when
 * state_descriptor is not empty) as one array of pointers. */
typedef struct spore_model {
  const char *name;             /* the module's name: "fashion" */
  const char *state_descriptor; /* as spore_state_create takes; "" if none */
  const char *exports;
  int (*const *entries)(void **);
  int32_t num_entries;
} spore_model;

/* Philox-4x32-10 (Salmon et al., SC'11): one block of four words from a
 * counter and a key. Parameter initialisers use it, and so does the
 * reference interpreter for random numbers; compiled models compute the
 * same function inline. */
void spore_philox4x32(const uint32_t counter[4], const uint32_t key[2],
                      uint32_t out[4]);

/* The heap buffers of compiled models: intermediates that do not fit in
 * the stack budget. Freed buffers of 64 KiB and more are kept and reused
 * by later calls (which allocate the same sizes), so that a call does not
 * page-fault its intermediates afresh; spore_release_buffers returns them
 * to the system and gives their total size in bytes. The environment
 * variable SPORE_BUFFER_CACHE sets the most MiB kept (1024 by default;
 * 0 turns the cache off). Every buffer is aligned to
 * SPORE_BUFFER_ALIGNMENT bytes, which compiled code relies on. */
#define SPORE_BUFFER_ALIGNMENT 64
void *spore_buffer_alloc(int64_t size);
/* The same for compiled code: on failure it sets SPORE_ERROR_MEMORY with
 * "SITE: out of memory allocating N bytes" and, inside
 * spore_call_guarded, unwinds to it. */
void *spore_buffer_alloc_at(int64_t size, const char *site);
/* Calls fn(frame); returns 0, or SPORE_ERROR_MEMORY when an allocation of
 * spore_buffer_alloc_at failed during the call (the buffers the call had
 * allocated are freed). The C entry points of compiled models call their
 * code through it. */
int spore_call_guarded(void (*fn)(void *), void *frame);
/* The bytes of the calling thread's native stack still usable by compiled
 * code and the reference interpreter (a reserve for the runtime and the C
 * library excluded; SIZE_MAX when the system does not say). Compiled
 * functions that call themselves start with spore_stack_check, which,
 * when none is left, sets SPORE_ERROR_MEMORY with "SITE: recursion too
 * deep: ..." and unwinds to spore_call_guarded, like a failed
 * allocation (outside a guarded call there is nothing to unwind to, and
 * it aborts: compiled entry points always guard code that checks). */
size_t spore_stack_left(void);
void spore_stack_check(const char *site);
void spore_buffer_free(void *ptr);
size_t spore_release_buffers(void);
/* Counts since the process started, for benchmarks (benchmarks/
 * step_alloc_bench.py): the heap buffers compiled code asked for and
 * their bytes, and of them those that the cache could not serve, which
 * came from the system. */
typedef struct spore_buffer_counts {
  uint64_t buffers;
  uint64_t bytes;
  uint64_t system_buffers;
  uint64_t system_bytes;
} spore_buffer_counts;
void spore_buffer_counts_get(spore_buffer_counts *out);

/* The threads of compiled code. Large matrix products and elementwise
 * ops run their blocks on oneTBB workers in one task arena of
 * spore_num_threads() threads: SPORE_NUM_THREADS when set to a number
 * from 1 to 4096, else every core the process may run on.
 * spore_set_num_threads changes it for the whole process (0: back to that
 * default; 1: every call runs on its caller's thread alone; above 4096:
 * SPORE_ERROR_ARGUMENT, and the count stays as it was). */
int32_t spore_num_threads(void);
int spore_set_num_threads(int32_t n);
/* Compiled code's parallel loops: calls body(context, begin, end) on
 * disjoint ranges that cover [0, n), on the calling thread and the
 * arena's workers, and returns when all have run. A body neither
 * allocates heap buffers nor fails (the compiler keeps such loops serial),
 * so nothing needs to unwind across threads. */
void spore_parallel_for(void (*body)(void *context, int64_t begin, int64_t end),
                        void *context, int64_t n);

/* Run-time failures of compiled models (a failing assert, an index out of
 * bounds): the message one character (or one decimal integer) at a time,
 * then spore_fail_code with its status (spore_fail: SPORE_ERROR_ASSERT);
 * the entry point then returns spore_take_status(), the first failure's
 * status (or 0), and clears it. */
void spore_fail_text(int32_t c);
void spore_fail_i64(int64_t value);
void spore_fail_code(int32_t status);
void spore_fail(void);
int spore_take_status(void);

/* print(...) in compiled models: one statement is a sequence of these
 * calls (text one character at a time; a tensor as its dimensions, its
 * elements in row-major order, then spore_print_end_tensor), ended by
 * spore_print_end, which writes it to stdout (the statement's `end`, a
 * newline by default, is part of the text). */
void spore_print_text(int32_t c);
void spore_print_shape(int64_t dim);
void spore_print_f64(double value);
void spore_print_i64(int64_t value);
void spore_print_bool(int32_t value);
void spore_print_end_tensor(void);
void spore_print_end(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPORE_RUNTIME_H */
