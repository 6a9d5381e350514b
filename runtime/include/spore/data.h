/* spore/data.h: the data pipeline of libspore_runtime (training.md §2), C
 * ABI. The C++ API is spore/data.hpp; this is its twin for C and for
 * ctypes.
 *
 * A dataset is a table of named fields (tensors whose first dimension
 * indexes its records), read whole into memory from .npy/.npz, IDX (the
 * MNIST family, gzip-compressed or not) or numeric CSV files, or copied
 * from the caller's arrays. A loader cuts a dataset into batches: in a
 * seeded order that depends only on the seed and the epoch, with the last
 * partial batch dropped or padded with zeros (its `valid` count says how
 * many records are real).
 *
 * Conventions are those of spore/runtime.h: 0 on success, otherwise a
 * spore_status with the message in spore_last_error(), which names the
 * file and, for malformed data, the record. A failed call returns nothing
 * to free. */
#ifndef SPORE_DATA_H
#define SPORE_DATA_H

#include "spore/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct spore_dataset spore_dataset;

/* Every member of an .npz archive, a field each (named as the member). */
int spore_dataset_from_npz(const char *path, spore_dataset **out);
/* One .npy file as the field `field`. */
int spore_dataset_from_npy(const char *path, const char *field,
                           spore_dataset **out);
/* One IDX file (gzip or not) as the field `field`: ubyte as u8, the other
 * IDX types as i8, i32 (short and int), f32 and f64. */
int spore_dataset_from_idx(const char *path, const char *field,
                           spore_dataset **out);
/* A numeric CSV file: one field per column, of `dtype` (f32, f64, i32 or
 * i64), named by the header line when `header` is non-zero, else c0, c1,
 * ... Empty lines are skipped; `delimiter` is usually ','. */
int spore_dataset_from_csv(const char *path, char delimiter, int header,
                           spore_dtype dtype, spore_dataset **out);
/* `count` tensors of the caller, copied, as named fields. */
int spore_dataset_from_tensors(int32_t count, const char *const *names,
                               const spore_tensor *tensors,
                               spore_dataset **out);
/* The fields of `a` and then of `b`, which must have as many records and
 * no field name in common (images and labels from two IDX files). */
int spore_dataset_join(const spore_dataset *a, const spore_dataset *b,
                       spore_dataset **out);
/* `d` with field `field` converted to `dtype` as value * scale + shift (a
 * float dtype: normalisation, e.g. u8 pixels * (1 / 255.)). */
int spore_dataset_convert(const spore_dataset *d, const char *field,
                          spore_dtype dtype, double scale, double shift,
                          spore_dataset **out);
/* Records, fields, and a view of field i (its data stays owned by `d`). */
int64_t spore_dataset_size(const spore_dataset *d);
int32_t spore_dataset_field_count(const spore_dataset *d);
int spore_dataset_field(const spore_dataset *d, int32_t i, const char **name,
                        spore_tensor *view);
void spore_dataset_destroy(spore_dataset *d);

/* A loader keeps its dataset alive: the dataset may be destroyed first. */
typedef struct spore_loader spore_loader;
enum {
  SPORE_LOADER_SHUFFLE = 1,        /* a seeded permutation per epoch */
  SPORE_LOADER_DROP_REMAINDER = 2, /* else the last batch is zero-padded */
  SPORE_LOADER_NO_PREFETCH = 4,    /* else the next batch is prepared on a
                                      oneTBB task while the caller works */
};
int spore_loader_create(const spore_dataset *d, int64_t batch_size, int flags,
                        uint64_t seed, spore_loader **out);
/* Transforms, applied in the order they are added to the batches made
 * after (spore/data.hpp, Transform, says what each does). Random ones
 * depend only on the seed, the epoch and the record's place in it. */
int spore_loader_convert(spore_loader *l, const char *field, spore_dtype dtype,
                         double scale, double shift);
int spore_loader_normalize(spore_loader *l, const char *field, double mean,
                           double deviation);
int spore_loader_one_hot(spore_loader *l, const char *field, int64_t classes);
int spore_loader_random_flip(spore_loader *l, const char *field, int64_t axis);
int spore_loader_random_crop(spore_loader *l, const char *field,
                             int64_t padding);
/* A compiled export on the whole batch: `entry` is its packed entry point
 * (__spore_packed_<model>_<name>), given the data of the input fields,
 * then of the output fields (output i: dtypes[i], ranks[i] dimensions
 * after the batch's, taken in turn from `shapes`). */
int spore_loader_exported(spore_loader *l, int (*entry)(void **),
                          int32_t num_inputs, const char *const *inputs,
                          int32_t num_outputs, const char *const *outputs,
                          const spore_dtype *dtypes, const int32_t *ranks,
                          const int64_t *shapes);
/* Batches per epoch. */
int64_t spore_loader_batches(const spore_loader *l);
/* Starts epoch `epoch` (from 0): its order is a function of the seed and
 * the epoch alone, so a resumed run sees the same batches. */
int spore_loader_start_epoch(spore_loader *l, int64_t epoch);
/* The next batch of the epoch into the loader's buffers, with *valid its
 * real records (batch_size but for a padded last batch); *valid is 0 at
 * the end of the epoch. */
int spore_loader_next(spore_loader *l, int64_t *valid);
/* A view of field i of the current batch ([batch_size, ...]), valid until
 * the next call of spore_loader_next. */
int spore_loader_field(const spore_loader *l, int32_t i, const char **name,
                       spore_tensor *view);
void spore_loader_destroy(spore_loader *l);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPORE_DATA_H */
