// Helpers for the quantize tests: the brown-6m reference files, temporary paths, decoding.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gguf/gguf.h"
#include "quant/type_traits.h"
#include "test_util.h"

namespace hearth::quantize::testing {

inline bool sanitized() {
  return std::getenv("HEARTH_SANITIZED") != nullptr;
}

// A fresh path in the temporary directory (removed by the caller or by TempDir).
struct TempDir {
  std::filesystem::path dir;
  TempDir() {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("hearth_quantize_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  size_t n_files() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                             std::filesystem::directory_iterator()));
  }
};

inline std::string model_path(const std::string& type) {
  return hearth::testing::testdata_path("models/brown-6m-" + type + ".gguf");
}

inline gguf::File open_or_die(const std::string& path) {
  auto f = gguf::File::open(path);
  EXPECT_TRUE(f.ok()) << f.status().to_string();
  return std::move(f).value();
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A tensor decoded to f32 (n_elements).
inline std::vector<float> decode(const gguf::TensorInfo& t) {
  std::vector<float> out(static_cast<size_t>(t.n_elements()));
  quant::find_type_traits(t.ggml_type)->to_float(t.data, out.data(), t.n_elements());
  return out;
}

}  // namespace hearth::quantize::testing
