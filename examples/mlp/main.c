/* The MLP demo driver: a plain C program that includes the generated mlp.h,
 * links mlp.o and libspore_runtime, and runs the forward pass.
 *
 *   mlp_demo                      deterministic inputs, prints a summary
 *   mlp_demo IN_DIR OUT.npy       reads w1 b1 w2 b2 x .npy files from IN_DIR,
 *                                 writes the probabilities to OUT.npy */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(const char *dir, const char *name, int64_t numel,
                spore_tensor *t) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s.npy", dir, name);
  if (spore_npy_read(path, t) != 0) {
    fprintf(stderr, "mlp_demo: %s\n", spore_last_error());
    return 1;
  }
  if (t->dtype != SPORE_F32 || spore_tensor_numel(t) != numel) {
    fprintf(stderr, "mlp_demo: %s must be f32 with %lld elements\n", path,
            (long long)numel);
    spore_tensor_free(t);
    return 1;
  }
  return 0;
}

/* Reads the five inputs, runs the model and writes its result; every
 * tensor read is freed on every path. */
static int runOnFiles(const char *dir, const char *outPath, float *out) {
  static const char *names[5] = {"w1", "b1", "w2", "b2", "x"};
  const int64_t numels[5] = {MLP_PREDICT_W1_NUMEL, MLP_PREDICT_B1_NUMEL,
                             MLP_PREDICT_W2_NUMEL, MLP_PREDICT_B2_NUMEL,
                             MLP_PREDICT_X_NUMEL};
  spore_tensor in[5];
  memset(in, 0, sizeof(in));
  int rc = 0;
  for (int i = 0; i < 5 && rc == 0; ++i)
    rc = load(dir, names[i], numels[i], &in[i]);
  if (rc == 0 && mlp_predict(in[0].data, in[1].data, in[2].data, in[3].data,
                             in[4].data, out) != 0) {
    fprintf(stderr, "mlp_demo: %s\n", spore_last_error());
    rc = 1;
  }
  if (rc == 0) {
    spore_tensor result = {
        SPORE_F32, 2, {MLP_PREDICT_OUT0_DIM0, MLP_PREDICT_OUT0_DIM1}, out};
    if (spore_npy_write(outPath, &result) != 0) {
      fprintf(stderr, "mlp_demo: %s\n", spore_last_error());
      rc = 1;
    }
  }
  for (int i = 0; i < 5; ++i)
    spore_tensor_free(&in[i]);
  return rc;
}

/* A small deterministic generator, so that the demo needs no input files. */
static void fill(float *data, int64_t n, uint32_t seed, float scale) {
  uint32_t s = seed;
  for (int64_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    data[i] = scale * ((float)(s >> 8) / 16777216.0f - 0.5f);
  }
}

int main(int argc, char **argv) {
  static float out[MLP_PREDICT_OUT0_NUMEL];
  if (argc == 3)
    return runOnFiles(argv[1], argv[2], out);
  if (argc != 1) {
    fprintf(stderr, "usage: mlp_demo [IN_DIR OUT.npy]\n");
    return 1;
  }
  float *w1 = malloc(sizeof(float) * MLP_PREDICT_W1_NUMEL);
  float *b1 = malloc(sizeof(float) * MLP_PREDICT_B1_NUMEL);
  float *w2 = malloc(sizeof(float) * MLP_PREDICT_W2_NUMEL);
  float *b2 = malloc(sizeof(float) * MLP_PREDICT_B2_NUMEL);
  float *x = malloc(sizeof(float) * MLP_PREDICT_X_NUMEL);
  if (!w1 || !b1 || !w2 || !b2 || !x)
    return 1;
  fill(w1, MLP_PREDICT_W1_NUMEL, 1, 0.1f);
  fill(b1, MLP_PREDICT_B1_NUMEL, 2, 0.1f);
  fill(w2, MLP_PREDICT_W2_NUMEL, 3, 0.1f);
  fill(b2, MLP_PREDICT_B2_NUMEL, 4, 0.1f);
  fill(x, MLP_PREDICT_X_NUMEL, 5, 2.0f);
  if (mlp_predict(w1, b1, w2, b2, x, out) != 0) {
    fprintf(stderr, "mlp_demo: %s\n", spore_last_error());
    return 1;
  }
  printf("MLP %d -> %d -> %d on a batch of %d (compiled by sporec)\n",
         MLP_PREDICT_W1_DIM0, MLP_PREDICT_W1_DIM1, MLP_PREDICT_W2_DIM1,
         MLP_PREDICT_X_DIM0);
  for (int row = 0; row < 3; ++row) {
    int best = 0;
    float sum = 0;
    for (int j = 0; j < MLP_PREDICT_OUT0_DIM1; ++j) {
      float p = out[row * MLP_PREDICT_OUT0_DIM1 + j];
      sum += p;
      if (p > out[row * MLP_PREDICT_OUT0_DIM1 + best])
        best = j;
    }
    printf("  sample %d: class %d with p=%.4f (probabilities sum to %.6f)\n",
           row, best, out[row * MLP_PREDICT_OUT0_DIM1 + best], sum);
  }
  free(w1);
  free(b1);
  free(w2);
  free(b2);
  free(x);
  return 0;
}
