#include "core/status.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("expected a positive number, got ", v);
  return v;
}

Result<int> doubled(int v) {
  HEARTH_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return 2 * x;
}

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = corrupt_file("tensor ", "blk.3.attn_q.weight", ": data ends at byte ", with_commas(91233280));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kCorruptFile);
  EXPECT_EQ(s.message(), "tensor blk.3.attn_q.weight: data ends at byte 91,233,280");
  EXPECT_EQ(s.with_context("model.gguf").message(),
            "model.gguf: tensor blk.3.attn_q.weight: data ends at byte 91,233,280");
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*doubled(21), 42);
  auto bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("-1"), std::string::npos);
}

TEST(WithCommas, Formats) {
  EXPECT_EQ(with_commas(0), "0");
  EXPECT_EQ(with_commas(999), "999");
  EXPECT_EQ(with_commas(1000), "1,000");
  EXPECT_EQ(with_commas(1234567), "1,234,567");
}

}  // namespace
}  // namespace hearth
