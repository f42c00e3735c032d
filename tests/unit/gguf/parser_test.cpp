// The GGUF reader on hand-crafted files: a valid one, and one broken file per kind of corruption,
// each of which must give its own clear error (never a crash).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "gguf/gguf.h"
#include "gguf_builder.h"

namespace hearth::gguf {
namespace {

using ::hearth::testing::GgufBuilder;
using ::hearth::testing::small_valid_gguf;
using ::testing::HasSubstr;

Status parse_status(const std::vector<uint8_t>& bytes) {
  auto file = File::parse(bytes, "crafted.gguf");
  return file.ok() ? Status::Ok() : file.status();
}

#define EXPECT_PARSE_ERROR(bytes, expected_code, text)      \
  do {                                                      \
    Status s_ = parse_status(bytes);                        \
    ASSERT_FALSE(s_.ok()) << "parsed without error";        \
    EXPECT_EQ(s_.code(), expected_code) << s_.message();    \
    EXPECT_THAT(s_.message(), HasSubstr(text));             \
    EXPECT_THAT(s_.message(), HasSubstr("crafted.gguf: ")); \
  } while (0)

TEST(GgufParse, SmallValidFile) {
  std::vector<uint8_t> bytes = small_valid_gguf();
  auto file = File::parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->alignment(), 32u);
  EXPECT_EQ(file->file_size(), bytes.size());
  ASSERT_EQ(file->metadata().size(), 4u);
  EXPECT_EQ(file->metadata()[0].key, "general.architecture");
  EXPECT_EQ(*file->get_string("general.architecture"), "llama");
  EXPECT_EQ(*file->get_int("llama.context_length"), 256);
  EXPECT_EQ(*file->get_uint("llama.context_length"), 256u);
  EXPECT_DOUBLE_EQ(*file->get_float("llama.rope.freq_base"), 10000.0);
  auto tokens = file->get_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ((*tokens)->items.size(), 3u);
  EXPECT_EQ((*tokens)->items[2].as_string(), "bc");

  ASSERT_EQ(file->tensors().size(), 2u);
  const TensorInfo* a = file->find_tensor("a");
  const TensorInfo* b = file->find_tensor("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(file->find_tensor("c"), nullptr);
  EXPECT_EQ(a->n_dims, 2);
  EXPECT_EQ(a->ne[0], 4);
  EXPECT_EQ(a->ne[1], 2);
  EXPECT_EQ(a->ne[2], 1);
  EXPECT_EQ(a->n_elements(), 8);
  EXPECT_EQ(a->n_bytes, 32u);
  EXPECT_EQ(b->n_bytes, 32u);
  EXPECT_EQ(file->data_offset() % 32, 0u);
  EXPECT_EQ(a->data, bytes.data() + file->data_offset());
  EXPECT_EQ(a->data[0], 1);
  EXPECT_EQ(b->data[0], 33);
  EXPECT_EQ(b->data + 32, bytes.data() + bytes.size());
}

TEST(GgufParse, TypedGettersNameTheProblem) {
  std::vector<uint8_t> bytes = small_valid_gguf();
  auto file = File::parse(bytes);
  ASSERT_TRUE(file.ok());
  auto missing = file->get_string("general.name");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("general.name"));
  auto wrong = file->get_int("general.architecture");
  EXPECT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("is a string, expected an integer"));
  EXPECT_FALSE(file->get_bool("llama.context_length").ok());
  EXPECT_FALSE(file->get_array("llama.context_length").ok());
  EXPECT_EQ(file->get_int_or("missing.key", 7), 7);
  EXPECT_EQ(file->get_int_or("llama.context_length", 7), 256);
  EXPECT_EQ(file->get_string_or("general.name", "x"), "x");
  EXPECT_TRUE(file->get_bool_or("missing.bool", true));
  EXPECT_DOUBLE_EQ(file->get_float_or("llama.context_length", 1.0), 256.0);
}

TEST(GgufParse, VersionTwoIsRead) {
  GgufBuilder b;
  b.header(0, 1, 2).kv_u32("x", 1);
  auto file = File::parse(b.bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->version(), 2u);
}

TEST(GgufParse, EmptyAndTinyFiles) {
  EXPECT_PARSE_ERROR(std::vector<uint8_t>{}, StatusCode::kCorruptFile, "the file is empty");
  EXPECT_PARSE_ERROR((std::vector<uint8_t>{'G', 'G'}), StatusCode::kCorruptFile, "too short");
}

TEST(GgufParse, BadMagic) {
  GgufBuilder b;
  b.raw("GGML", 4).u32(3).u64(0).u64(0);
  EXPECT_PARSE_ERROR(b.bytes, StatusCode::kCorruptFile, "starts with 'GGML' instead of 'GGUF'");
}

TEST(GgufParse, UnsupportedVersions) {
  GgufBuilder v1, v4, v0, big_endian;
  v1.header(0, 0, 1);
  v4.header(0, 0, 4);
  v0.header(0, 0, 0);
  big_endian.header(0, 0, 0x03000000);
  EXPECT_PARSE_ERROR(v1.bytes, StatusCode::kUnsupported, "version 1 is no longer supported");
  EXPECT_PARSE_ERROR(v4.bytes, StatusCode::kUnsupported, "version 4 is not supported");
  EXPECT_PARSE_ERROR(v0.bytes, StatusCode::kUnsupported, "version 0 is not supported");
  EXPECT_PARSE_ERROR(big_endian.bytes, StatusCode::kUnsupported, "big-endian");
}

TEST(GgufParse, AbsurdCounts) {
  GgufBuilder tensors, kvs;
  tensors.header(uint64_t{1} << 60, 0).zeros(64);
  kvs.header(0, std::numeric_limits<uint64_t>::max()).zeros(64);
  EXPECT_PARSE_ERROR(tensors.bytes, StatusCode::kCorruptFile,
                     "the header says 1,152,921,504,606,846,976 tensors but only 64 bytes");
  EXPECT_PARSE_ERROR(kvs.bytes, StatusCode::kCorruptFile, "metadata entries but only 64 bytes");
}

TEST(GgufParse, TruncatedKeyAndString) {
  GgufBuilder key, value;
  key.header(0, 1).u64(100).raw("general.", 8);
  value.header(0, 1).str("general.name").u32(8).u64(50).raw("short", 5);
  EXPECT_PARSE_ERROR(key.bytes, StatusCode::kCorruptFile,
                     "metadata entry 1 of 1: truncated metadata key at byte 24: its length is 100 "
                     "but only 8 bytes remain");
  EXPECT_PARSE_ERROR(value.bytes, StatusCode::kCorruptFile,
                     "metadata key 'general.name': truncated string at byte 48");
}

TEST(GgufParse, EmptyAndDuplicateKeys) {
  GgufBuilder empty, dup;
  empty.header(0, 1).str("").u32(4).u32(1);
  dup.header(0, 3).kv_u32("a", 1).kv_u32("b", 2).kv_u32("a", 3);
  EXPECT_PARSE_ERROR(empty.bytes, StatusCode::kCorruptFile, "has an empty key");
  EXPECT_PARSE_ERROR(dup.bytes, StatusCode::kCorruptFile,
                     "duplicate metadata key 'a' (entries 1 and 3)");
}

TEST(GgufParse, UnknownValueTypes) {
  GgufBuilder scalar, element;
  scalar.header(0, 1).str("k").u32(13).u32(0);
  element.header(0, 1).str("k").u32(9).u32(77).u64(1).u32(0);
  EXPECT_PARSE_ERROR(scalar.bytes, StatusCode::kCorruptFile,
                     "metadata key 'k': unknown value type 13");
  EXPECT_PARSE_ERROR(element.bytes, StatusCode::kCorruptFile, "unknown element type 77");
}

TEST(GgufParse, ArrayLongerThanTheFile) {
  GgufBuilder b;
  b.header(0, 1).str("k").u32(9).u32(8).u64(uint64_t{1} << 40).str("x");
  EXPECT_PARSE_ERROR(b.bytes, StatusCode::kCorruptFile,
                     "says it holds 1,099,511,627,776 string items but only 9 bytes remain");
}

TEST(GgufParse, NestedArrays) {
  // [[1, 2], []] as an array of u32 arrays: readable, and written back unchanged.
  GgufBuilder ok;
  ok.header(0, 1).str("nested").u32(9).u32(9).u64(2);
  ok.u32(4).u64(2).u32(1).u32(2);
  ok.u32(4).u64(0);
  auto file = File::parse(ok.bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  const Array& outer = **file->get_array("nested");
  ASSERT_EQ(outer.items.size(), 2u);
  EXPECT_EQ(outer.items[0].as_array().items[1].as_uint(), 2u);
  EXPECT_EQ(outer.items[1].as_array().items.size(), 0u);
  EXPECT_EQ(file->find("nested")->to_display_string(), "[[1, 2], []]");
  auto again = rewrite(*file);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, ok.bytes);

  // Nesting deeper than the parser's limit is refused (bounded recursion).
  GgufBuilder deep;
  deep.header(0, 1).str("deep").u32(9);
  for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(0);
  EXPECT_PARSE_ERROR(deep.bytes, StatusCode::kCorruptFile, "arrays nested more than 8 deep");
}

GgufBuilder with_alignment_value(uint32_t type, uint64_t value) {
  GgufBuilder b;
  b.header(0, 1).str("general.alignment").u32(type);
  return type == 10 ? b.u64(value) : b.u32(static_cast<uint32_t>(value));
}

TEST(GgufParse, BadAlignment) {
  EXPECT_PARSE_ERROR(with_alignment_value(4, 0).bytes, StatusCode::kCorruptFile,
                     "general.alignment is 0, which is not a power of two");
  EXPECT_PARSE_ERROR(with_alignment_value(4, 48).bytes, StatusCode::kCorruptFile,
                     "general.alignment is 48, which is not a power of two");
  EXPECT_PARSE_ERROR(with_alignment_value(10, 32).bytes, StatusCode::kCorruptFile,
                     "general.alignment must be a u32 but is a u64");
  auto good = File::parse(with_alignment_value(4, 64).bytes);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->alignment(), 64u);
}

// One tensor entry with the given shape/type/offset followed by `data_bytes` of data.
std::vector<uint8_t> one_tensor(const std::vector<int64_t>& ne, uint32_t type, uint64_t offset,
                                size_t data_bytes, const char* name = "blk.3.attn_q.weight") {
  GgufBuilder b;
  b.header(1, 0).tensor(name, ne, type, offset).pad_to(32).zeros(data_bytes);
  return b.bytes;
}

TEST(GgufParse, TooManyDimensions) {
  EXPECT_PARSE_ERROR(one_tensor({1, 1, 1, 1, 1}, 0, 0, 4), StatusCode::kCorruptFile,
                     "tensor blk.3.attn_q.weight: 5 dimensions, but GGUF allows at most 4");
}

TEST(GgufParse, ZeroNegativeAndOverflowingDimensions) {
  EXPECT_PARSE_ERROR(one_tensor({4, 0}, 0, 0, 32), StatusCode::kCorruptFile, "dimension 1 is 0");
  EXPECT_PARSE_ERROR(one_tensor({-4, 2}, 0, 0, 32), StatusCode::kCorruptFile,
                     "dimension 0 is negative (-4)");
  EXPECT_PARSE_ERROR(one_tensor({1 << 20, int64_t{1} << 40, 1 << 10}, 0, 0, 32),
                     StatusCode::kCorruptFile, "element count overflows 64 bits");
  EXPECT_PARSE_ERROR(one_tensor({std::numeric_limits<int64_t>::max(), 2}, 0, 0, 32),
                     StatusCode::kCorruptFile, "element count overflows 64 bits");
}

TEST(GgufParse, ByteCountOverflow) {
  // 2^62 F32 elements fit in an int64 but their bytes (2^64) do not.
  EXPECT_PARSE_ERROR(one_tensor({int64_t{1} << 31, int64_t{1} << 31}, 0, 0, 32),
                     StatusCode::kCorruptFile, "overflows 64 bits");
}

TEST(GgufParse, UnknownTensorTypeAndBadRowLength) {
  EXPECT_PARSE_ERROR(one_tensor({32}, 77, 0, 32), StatusCode::kUnsupported,
                     "tensor blk.3.attn_q.weight: unknown tensor type id 77");
  EXPECT_PARSE_ERROR(one_tensor({33}, 2, 0, 32), StatusCode::kCorruptFile,
                     "type Q4_0 with shape [33]: row length 33 is not a multiple");
}

TEST(GgufParse, MisalignedOffset) {
  EXPECT_PARSE_ERROR(
      one_tensor({4}, 0, 8, 64), StatusCode::kCorruptFile,
      "tensor blk.3.attn_q.weight: data offset 8 is not a multiple of the alignment 32");
}

TEST(GgufParse, TensorDataPastEndOfFile) {
  // 64 x 4096 F32 = 1 MiB of data, but only 1,000 bytes are present.
  std::vector<uint8_t> bytes = one_tensor({4096, 64}, 0, 0, 1000);
  size_t data_start = bytes.size() - 1000;
  EXPECT_PARSE_ERROR(bytes, StatusCode::kCorruptFile,
                     str_cat("tensor blk.3.attn_q.weight: data ends at byte ",
                             with_commas(data_start + 4096 * 64 * 4), " but the file has ",
                             with_commas(bytes.size()), " bytes"));
  EXPECT_PARSE_ERROR(one_tensor({4}, 0, uint64_t{1} << 63, 16), StatusCode::kCorruptFile,
                     "data ends at byte");
  EXPECT_PARSE_ERROR(one_tensor({4}, 0, ~uint64_t{31}, 16), StatusCode::kCorruptFile,
                     "data ends at byte past 2^64");
}

TEST(GgufParse, DataSectionStartPastEndOfFile) {
  GgufBuilder b;
  b.header(1, 0).tensor("t", {1}, 0, 0);  // no padding, no data
  EXPECT_PARSE_ERROR(b.bytes, StatusCode::kCorruptFile, "the data section starts at byte 64");
}

TEST(GgufParse, DuplicateAndEmptyTensorNames) {
  GgufBuilder dup, empty;
  dup.header(2, 0).tensor("w", {8}, 0, 0).tensor("w", {8}, 0, 32).pad_to(32).zeros(64);
  empty.header(1, 0).tensor("", {8}, 0, 0).pad_to(32).zeros(32);
  EXPECT_PARSE_ERROR(dup.bytes, StatusCode::kCorruptFile,
                     "duplicate tensor name 'w' (tensor entries 1 and 2)");
  EXPECT_PARSE_ERROR(empty.bytes, StatusCode::kCorruptFile, "empty tensor name at byte 24");
}

TEST(GgufParse, TruncatedAtEveryBytePosition) {
  std::vector<uint8_t> whole = small_valid_gguf();
  for (size_t n = 0; n < whole.size(); ++n) {
    // An exact-size heap copy so that ASan catches any read past the end.
    std::vector<uint8_t> prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
    auto file = File::parse(prefix);
    ASSERT_FALSE(file.ok()) << "a prefix of " << n << " bytes parsed";
    EXPECT_EQ(file.status().code(), StatusCode::kCorruptFile) << file.status().message();
  }
}

TEST(GgufParse, MetadataOnlyFileTruncatedAtEveryBytePosition) {
  GgufBuilder b;
  b.header(0, 3).kv_str("a", "xyz").kv_str_array("b", {"p", "", "qr"}).kv_f32("c", 1.5f);
  ASSERT_TRUE(File::parse(b.bytes).ok());
  for (size_t n = 0; n < b.bytes.size(); ++n) {
    std::vector<uint8_t> prefix(b.bytes.begin(), b.bytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(File::parse(prefix).ok()) << "a prefix of " << n << " bytes parsed";
  }
}

TEST(GgufParse, OpenNamesTheFile) {
  auto missing = File::open("/nonexistent/dir/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/dir/model.gguf"));
}

TEST(GgufParse, LargeVocabularyParsesQuickly) {
  // 150k strings, as in a Qwen-sized vocabulary: must not be quadratic.
  GgufBuilder b;
  const uint64_t n = 150000;
  b.header(0, 1).str("tokenizer.ggml.tokens").u32(9).u32(8).u64(n);
  for (uint64_t i = 0; i < n; ++i) b.str(str_cat("tok", i));
  auto file = File::parse(b.bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  const Array& tokens = **file->get_array("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.items.size(), n);
  EXPECT_EQ(tokens.items[n - 1].as_string(), "tok149999");
  EXPECT_EQ(file->find("tokenizer.ggml.tokens")->to_display_string(2),
            "[150,000 x string: \"tok0\", \"tok1\", ...]");
}

}  // namespace
}  // namespace hearth::gguf
