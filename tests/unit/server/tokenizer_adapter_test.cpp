#include "server/tokenizer_adapter.h"

#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "test_util.h"

namespace hearth::testing {
namespace {

TEST(GgufTokenizer, RoundTripsThroughTheServerInterface) {
  HEARTH_REQUIRE_TESTDATA();
  auto file = gguf::File::open(testdata_path("models/brown-6m-Q8_0.gguf"));
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.status().message();
  server::GgufTokenizer adapter(**tok);
  std::vector<int32_t> ids = adapter.encode("The jury said it was fine.", true);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids[0], (*tok)->bos());
  EXPECT_EQ(adapter.n_vocab(), 4096);
  EXPECT_TRUE(adapter.is_eog((*tok)->eos()));
  std::vector<int32_t> body(ids.begin() + 1, ids.end());
  EXPECT_EQ(adapter.decode(body), "The jury said it was fine.");
  std::string pieces;
  for (int32_t t : body) pieces += adapter.token_piece(t);
  EXPECT_NE(pieces.find("jury"), std::string::npos);
}

}  // namespace
}  // namespace hearth::testing
