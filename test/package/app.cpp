// The package test's application: runs the MLP through the generated C++
// wrapper (mlp.hpp) on .npy inputs, and the second model through its C
// header.
//
//   app IN_DIR OUT.npy   reads w1 b1 w2 b2 x .npy from IN_DIR, writes the
//                        probabilities to OUT.npy, prints scale([1, 2, 3])
#include "mlp.hpp"
#include "my_model.h"

#include <cstdio>
#include <string>

namespace {
struct Tensor {
  spore_tensor t{};
  ~Tensor() { spore_tensor_free(&t); }
};

bool load(const std::string &dir, const char *name, int64_t numel,
          Tensor &out) {
  std::string path = dir + "/" + name + ".npy";
  if (spore_npy_read(path.c_str(), &out.t) != 0) {
    std::fprintf(stderr, "app: %s\n", spore_last_error());
    return false;
  }
  if (out.t.dtype != SPORE_F32 || spore_tensor_numel(&out.t) != numel) {
    std::fprintf(stderr, "app: %s: expected %lld f32 values\n", path.c_str(),
                 (long long)numel);
    return false;
  }
  return true;
}
} // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: app IN_DIR OUT.npy\n");
    return 2;
  }
  using shapes = mlp::predict_t;
  Tensor w1, b1, w2, b2, x;
  if (!load(argv[1], "w1", shapes::w1_numel, w1) ||
      !load(argv[1], "b1", shapes::b1_numel, b1) ||
      !load(argv[1], "w2", shapes::w2_numel, w2) ||
      !load(argv[1], "b2", shapes::b2_numel, b2) ||
      !load(argv[1], "x", shapes::x_numel, x))
    return 1;

  Tensor out;
  out.t.dtype = SPORE_F32;
  out.t.rank = (int32_t)shapes::out0_shape.size();
  for (size_t i = 0; i < shapes::out0_shape.size(); ++i)
    out.t.shape[i] = shapes::out0_shape[i];
  out.t.data = spore_aligned_alloc(64, shapes::out0_numel * sizeof(float));
  if (!out.t.data ||
      mlp::predict(static_cast<const float *>(w1.t.data),
                   static_cast<const float *>(b1.t.data),
                   static_cast<const float *>(w2.t.data),
                   static_cast<const float *>(b2.t.data),
                   static_cast<const float *>(x.t.data),
                   static_cast<float *>(out.t.data)) != 0 ||
      spore_npy_write(argv[2], &out.t) != 0) {
    std::fprintf(stderr, "app: %s\n", spore_last_error());
    return 1;
  }

  const float v[3] = {1, 2, 3};
  float scaled[3];
  if (my_model_scale(v, scaled) != 0)
    return 1;
  std::printf("scale: %g %g %g\n", scaled[0], scaled[1], scaled[2]);
  return 0;
}
