// Loading the shared test vocabularies once per test binary.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "gguf/gguf.h"
#include "test_util.h"
#include "tokenizer/tokenizer.h"

namespace hearth::tokenizer::testing {

// The tokenizer of ../shared/testdata/<relative> (a GGUF file); fails the test when it does not
// load. Cached: vocabularies with 100k merges take a moment to build.
inline const Tokenizer* shared_tokenizer(const std::string& relative) {
  static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
  auto it = cache.find(relative);
  if (it != cache.end()) return it->second.get();
  auto file = gguf::File::open(hearth::testing::testdata_path(relative));
  EXPECT_TRUE(file.ok()) << file.status().to_string();
  if (!file.ok()) return nullptr;
  auto tokenizer = Tokenizer::from_gguf(*file);
  EXPECT_TRUE(tokenizer.ok()) << relative << ": " << tokenizer.status().to_string();
  if (!tokenizer.ok()) return nullptr;
  return cache.emplace(relative, std::move(tokenizer).value()).first->second.get();
}

}  // namespace hearth::tokenizer::testing
