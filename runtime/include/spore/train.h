/* spore/train.h: the training loop of libspore_runtime (training.md §3),
 * C ABI. The C twin of spore/train.hpp, which documents the behaviour:
 * how exports bind to batch fields, the files of a run folder,
 * checkpoints and resuming.
 *
 *   spore_trainer_options o;
 *   spore_trainer_options_default(&o);
 *   o.epochs = 10;
 *   o.metrics = "accuracy";
 *   o.run_dir = "runs/mlp";
 *   spore_trainer *t;
 *   spore_trainer_create(&t, fashion_model(), (spore_state *)state, train,
 *                        test, &o);
 *   spore_trainer_fit(t);
 *
 * A <model>_state* of a generated header is a spore_state*. Functions
 * return 0 or a spore_status with the message in spore_last_error(). */
#ifndef SPORE_TRAIN_H
#define SPORE_TRAIN_H

#include "spore/data.h"
#include "spore/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum spore_progress {
  SPORE_PROGRESS_AUTO, /* a bar on a terminal, plain lines otherwise */
  SPORE_PROGRESS_BAR,
  SPORE_PROGRESS_LINES,
  SPORE_PROGRESS_NONE,
} spore_progress;

typedef struct spore_trainer_options {
  int64_t epochs;            /* 0: bounded by steps only */
  int64_t steps;             /* 0: bounded by epochs only */
  int64_t eval_every;        /* steps; 0: at the end of every epoch */
  int64_t log_every;         /* steps between rows of metrics.csv */
  int64_t checkpoint_every;  /* steps; 0: at the end of every epoch */
  const char *run_dir;       /* NULL: no files */
  const char *train_export;  /* "train_step" */
  const char *eval_export;   /* "eval_step" */
  const char *train_outputs; /* comma-separated names; NULL: loss, out1.. */
  const char *metrics;       /* comma-separated; NULL: eval0, eval1.. */
  const char *valid_param;   /* "valid" */
  spore_progress progress;
  const char *early_stop_metric; /* NULL: never stop early */
  int early_stop_maximize;
  int64_t early_stop_patience;
  double early_stop_min_delta;
} spore_trainer_options;

/* The defaults of spore::train::Options. */
void spore_trainer_options_default(spore_trainer_options *options);

typedef enum spore_train_event_kind {
  SPORE_EVENT_STEP,
  SPORE_EVENT_EVALUATION,
  SPORE_EVENT_EPOCH,
  SPORE_EVENT_CHECKPOINT,
  SPORE_EVENT_END,
} spore_train_event_kind;

typedef struct spore_train_event {
  spore_train_event_kind kind;
  int64_t step, epoch, batch, batches_per_epoch;
  double loss;
  int32_t count; /* values: a step's results, or the last metrics */
  const char *const *names;
  const double *values;
  const char *path; /* SPORE_EVENT_CHECKPOINT: the .npz written */
} spore_train_event;

/* Return non-zero to stop training after the current step. */
typedef int (*spore_train_callback)(const spore_train_event *event, void *user);

typedef struct spore_trainer spore_trainer;

/* `state` may be NULL only for a model without state, `eval` may be
 * NULL; the state and loaders must outlive the trainer. */
int spore_trainer_create(spore_trainer **out, const spore_model *model,
                         spore_state *state, spore_loader *train,
                         spore_loader *eval,
                         const spore_trainer_options *options);
int spore_trainer_add_callback(spore_trainer *t, spore_train_callback fn,
                               void *user);
/* Adds member `key` to run.json with `json` as its value, verbatim. */
int spore_trainer_add_run_info(spore_trainer *t, const char *key,
                               const char *json);
/* A checkpoint's .npz, or a run folder (its newest checkpoint). */
int spore_trainer_resume(spore_trainer *t, const char *checkpoint);
int spore_trainer_fit(spore_trainer *t);
/* Runs the evaluation export over the evaluation data alone (no
 * training); its metrics are then the last evaluation's. */
int spore_trainer_evaluate(spore_trainer *t);
/* The last evaluation's metric `name` (fails when there is none). */
int spore_trainer_metric(const spore_trainer *t, const char *name,
                         double *value);
void spore_trainer_destroy(spore_trainer *t);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPORE_TRAIN_H */
