// The C++ sgemm peer of benchmarks/gemm_bench.py: oneDNN's dnnl_sgemm
// (Debian libdnnl-dev) on row-major f32 matrices, C = A B (or with A or B
// transposed), timed over repeated calls. Prints the median seconds per
// call and the checksum of C, which the script compares with NumPy's.
//
//   spore-gemm-peer M K N TRANSA(0|1) TRANSB(0|1) REPEATS
#include <dnnl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s M K N TRANSA TRANSB REPEATS\n", argv[0]);
    return 2;
  }
  long m = std::atol(argv[1]), k = std::atol(argv[2]), n = std::atol(argv[3]);
  bool ta = std::atoi(argv[4]) != 0, tb = std::atoi(argv[5]) != 0;
  int repeats = std::max(1, std::atoi(argv[6]));
  // The same inputs as the script's: a[i] = sin(i), b[i] = cos(i).
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = static_cast<float>(std::sin(static_cast<double>(i)));
  for (size_t i = 0; i < b.size(); ++i)
    b[i] = static_cast<float>(std::cos(static_cast<double>(i)));
  auto call = [&] {
    return dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a.data(),
                      ta ? m : k, b.data(), tb ? k : n, 0.0f, c.data(), n);
  };
  if (call() != dnnl_success) {
    std::fprintf(stderr, "dnnl_sgemm failed\n");
    return 1;
  }
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    call();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(times.begin(), times.end());
  double sum = 0;
  for (float v : c)
    sum += v;
  std::printf("%.9f %.9g\n", times[times.size() / 2], sum);
  return 0;
}
