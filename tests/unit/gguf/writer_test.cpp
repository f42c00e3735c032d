// GGUF writing: Writer API, atomic files, and read + write reproducing real files byte for byte.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/gguf.h"
#include "gguf_builder.h"
#include "quant/type_traits.h"
#include "test_util.h"

namespace hearth::gguf {
namespace {

using ::hearth::testing::small_valid_gguf;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

TEST(GgufWrite, RewriteOfSmallFileIsIdentical) {
  std::vector<uint8_t> bytes = small_valid_gguf();
  auto file = File::parse(bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto out = rewrite(*file);
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_EQ(*out, bytes);
}

TEST(GgufWrite, WriterOutputParsesBack) {
  Writer w;
  w.set("general.architecture", Value::str("llama"));
  w.set("general.alignment", Value::u32(64));
  w.set("x.count", Value::u64(5));
  w.set("x.count", Value::i32(-5));  // replaces, keeping the position
  w.set("x.flag", Value::boolean(true));
  w.set("x.list", Value::array(ValueType::kInt32, {Value::i32(1), Value::i32(-2)}));
  w.set("x.gone", Value::f32(1.0f));
  w.remove("x.gone");
  std::vector<float> weights = {1, 2, 3, 4, 5, 6};  // (3, 2) F32
  std::span<const uint8_t> weight_bytes(reinterpret_cast<const uint8_t*>(weights.data()), 24);
  int64_t ne[] = {3, 2};
  ASSERT_TRUE(w.add_tensor("w", 0, ne, weight_bytes).ok());
  int64_t ne_b[] = {2};
  ASSERT_TRUE(w.add_tensor_copy("b", 1, ne_b, {1, 2, 3, 4}).ok());
  auto bytes = w.to_bytes();
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();

  auto file = File::parse(*bytes);
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_EQ(file->metadata().size(), 5u);
  EXPECT_EQ(file->metadata()[2].key, "x.count");
  EXPECT_EQ(*file->get_int("x.count"), -5);
  EXPECT_TRUE(*file->get_bool("x.flag"));
  EXPECT_EQ((*file->get_array("x.list"))->items[1].as_int(), -2);
  EXPECT_FALSE(file->has("x.gone"));
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->data_offset() % 64, 0u);
  const TensorInfo* t = file->find_tensor("w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(std::memcmp(t->data, weights.data(), 24), 0);
  const TensorInfo* b = file->find_tensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->offset, 64u);  // 24 bytes padded to the 64-byte alignment
  EXPECT_EQ(b->data[3], 4);
  EXPECT_EQ(bytes->size(), file->data_offset() + 128);  // the last tensor is padded too
  EXPECT_EQ(bytes->back(), 0);
}

TEST(GgufWrite, AddTensorRejectsBadInput) {
  Writer w;
  std::vector<uint8_t> data(16);
  int64_t ne[] = {4};
  ASSERT_TRUE(w.add_tensor("t", 0, ne, data).ok());
  EXPECT_THAT(w.add_tensor("t", 0, ne, data).message(), HasSubstr("duplicate tensor name 't'"));
  EXPECT_THAT(w.add_tensor("", 0, ne, data).message(), HasSubstr("tensor name is empty"));
  EXPECT_THAT(w.add_tensor("u", 1, ne, data).message(),
              HasSubstr("16 bytes of data, but F16 with shape [4] needs 8"));
  EXPECT_THAT(w.add_tensor("u", 99, ne, data).message(), HasSubstr("unknown tensor type id 99"));
  int64_t bad[] = {4, 0};
  EXPECT_THAT(w.add_tensor("u", 0, bad, data).message(), HasSubstr("dimension 1 is 0"));
  int64_t five[] = {1, 1, 1, 1, 16};
  EXPECT_THAT(w.add_tensor("u", 0, five, data).message(), HasSubstr("at most 4"));
}

TEST(GgufWrite, BadAlignmentKeyIsAnError) {
  Writer w;
  w.set("general.alignment", Value::u32(24));
  auto out = w.to_bytes();
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("not a power of two"));
}

TEST(GgufWrite, WriteFileIsAtomicAndReadable) {
  fs::path dir = fs::temp_directory_path() / str_cat("hearth_gguf_write_", ::getpid());
  fs::create_directories(dir);
  std::string path = (dir / "out.gguf").string();
  std::vector<uint8_t> bytes = small_valid_gguf();
  auto file = File::parse(bytes);
  ASSERT_TRUE(file.ok());
  Writer w;
  w.copy_metadata_from(*file);
  for (const TensorInfo& t : file->tensors()) {
    ASSERT_TRUE(
        w.add_tensor(t.name, t.ggml_type, {t.ne, size_t(t.n_dims)}, {t.data, t.n_bytes}).ok());
  }
  ASSERT_TRUE(w.write_file(path).ok());
  auto reread = File::open(path);
  ASSERT_TRUE(reread.ok()) << reread.status().message();
  EXPECT_EQ(std::vector<uint8_t>(reread->bytes().begin(), reread->bytes().end()), bytes);
  // Only the final file is left behind, no temporary.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1);
  // An unwritable destination is an error, not a crash.
  Status bad = w.write_file((dir / "no_such_dir" / "x.gguf").string());
  EXPECT_EQ(bad.code(), StatusCode::kIoError);
  EXPECT_THAT(bad.message(), HasSubstr("no_such_dir"));
  fs::remove_all(dir);
}

TEST(GgufWrite, FloatNanPayloadsSurviveARewrite) {
  testing::GgufBuilder b;
  b.header(0, 2).str("snan").u32(6).u32(0x7f800001u).str("neg").u32(6).u32(0xffc01234u);
  auto file = File::parse(b.bytes);
  ASSERT_TRUE(file.ok());
  auto out = rewrite(*file);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, b.bytes);
}

TEST(GgufWrite, TensorlessFileKeepsItsHeaderPadding) {
  testing::GgufBuilder b;
  b.header(0, 1).kv_str("k", "v").pad_to(32);  // as llama.cpp writes a tensor-less file
  auto file = File::parse(b.bytes);
  ASSERT_TRUE(file.ok());
  auto out = rewrite(*file);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, b.bytes);
}

std::vector<std::string> testdata_gguf_files() {
  std::vector<std::string> files;
  for (const char* sub : {"models", "vocab"}) {
    fs::path dir = testing::testdata_path(sub);
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() == ".gguf") files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(GgufTestdata, EveryFileParsesAndRewritesByteIdentical) {
  HEARTH_REQUIRE_TESTDATA();
  std::vector<std::string> files = testdata_gguf_files();
  ASSERT_GE(files.size(), 20u);
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    auto file = File::open(path);
    ASSERT_TRUE(file.ok()) << file.status().message();
    EXPECT_TRUE(file->has("general.architecture"));
    auto out = rewrite(*file);
    ASSERT_TRUE(out.ok()) << out.status().message();
    ASSERT_EQ(out->size(), file->file_size());
    EXPECT_EQ(std::memcmp(out->data(), file->bytes().data(), out->size()), 0);
  }
}

TEST(GgufTestdata, Brown6mFigures) {
  HEARTH_REQUIRE_TESTDATA();
  auto file = File::open(testing::testdata_path("models/brown-6m-Q4_K_M.gguf"));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(*file->get_string("general.architecture"), "llama");
  EXPECT_EQ(*file->get_int("llama.context_length"), 256);
  EXPECT_EQ(*file->get_int("llama.embedding_length"), 256);
  EXPECT_EQ(*file->get_int("llama.block_count"), 6);
  EXPECT_EQ((*file->get_array("tokenizer.ggml.tokens"))->items.size(), 4096u);
  int64_t params = 0;
  bool saw_q4_k = false;
  for (const TensorInfo& t : file->tensors()) {
    params += t.n_elements();
    saw_q4_k |= t.ggml_type == static_cast<uint32_t>(quant::GgmlType::kQ4_K);
    EXPECT_GE(t.data, file->bytes().data() + file->data_offset());
    EXPECT_LE(t.data + t.n_bytes, file->bytes().data() + file->file_size());
  }
  EXPECT_TRUE(saw_q4_k);
  EXPECT_GT(params, 6'500'000);
  EXPECT_LT(params, 7'100'000);
  const TensorInfo* emb = file->find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->ne[0], 256);
  EXPECT_EQ(emb->ne[1], 4096);
}

}  // namespace
}  // namespace hearth::gguf
