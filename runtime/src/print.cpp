//===- print.cpp - print() in compiled models -----------------------------===//
//
// Compiled code prints one `print(...)` statement as a sequence of calls:
// text one character at a time, and each tensor as its dimensions followed
// by its elements (the statement's `end`, a newline by default, is text
// too). The pieces gather in a per-thread buffer, arrays formatted like
// NumPy's (brackets, rows on lines), and the buffer is written to stdout
// at the end under a lock, so the output of concurrent calls does not
// interleave.
//
//===----------------------------------------------------------------------===//

#include "spore/runtime.h"

#include <cinttypes>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Line {
  std::string text;
  std::vector<int64_t> shape;
  std::vector<std::string> elements;
};

thread_local Line line;

/// Eight significant digits; a whole number keeps a trailing '.', as NumPy
/// writes floats.
std::string formatFloat(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.8g", v);
  std::string s = buf;
  if (s.find_first_of(".eni") == std::string::npos)
    s += '.';
  return s;
}

/// Appends the elements [begin, begin + count) of a tensor of `shape`
/// (from dimension `d` on) with NumPy's brackets.
void appendNested(std::string &out, const std::vector<std::string> &elements,
                  const std::vector<int64_t> &shape, size_t d, size_t &next,
                  size_t indent) {
  if (d == shape.size()) {
    out += elements[next++];
    return;
  }
  out += '[';
  for (int64_t i = 0; i < shape[d]; ++i) {
    if (i > 0) {
      if (d + 1 == shape.size()) {
        out += ' ';
      } else {
        out += std::string(shape.size() - d - 1, '\n');
        out += std::string(indent + 1, ' ');
      }
    }
    appendNested(out, elements, shape, d + 1, next, indent + 1);
  }
  out += ']';
}

} // namespace

extern "C" void spore_print_text(int32_t c) { line.text += (char)c; }

extern "C" void spore_print_shape(int64_t dim) { line.shape.push_back(dim); }

extern "C" void spore_print_f64(double v) {
  line.elements.push_back(formatFloat(v));
}

extern "C" void spore_print_i64(int64_t v) {
  line.elements.push_back(std::to_string(v));
}

extern "C" void spore_print_bool(int32_t v) {
  line.elements.push_back(v ? "True" : "False");
}

extern "C" void spore_print_end_tensor(void) {
  size_t next = 0;
  if (line.shape.empty() && !line.elements.empty())
    line.text += line.elements[0];
  else
    appendNested(line.text, line.elements, line.shape, 0, next, 0);
  line.shape.clear();
  line.elements.clear();
}

extern "C" void spore_print_end(void) {
  static std::mutex lock;
  std::lock_guard<std::mutex> guard(lock);
  std::fwrite(line.text.data(), 1, line.text.size(), stdout);
  std::fflush(stdout);
  line.text.clear();
}
