// Importance matrices: the .dat format round trip, `hearth imatrix` on brown-6m, and that
// quantizing with an imatrix from brown text lowers the activation-weighted error of every
// quantized matrix (what the imatrix is for) and the output error of the model.
#include "quantize/imatrix.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fit/quant_scheme.h"
#include "quantize/quantize.h"
#include "quantize_test_util.h"

namespace hearth::quantize {
namespace {

using namespace hearth::quantize::testing;

TEST(Imatrix, DatRoundTrip) {
  TempDir tmp;
  Imatrix m;
  m.chunks = 3;
  m.dataset = "brown.txt";
  m.entries["blk.0.attn_q.weight"] = {{1.0, 4.0, 9.0, 0.5}, 2, 3};
  m.entries["blk.0.ffn_down.weight"] = {{2.0, 0.0}, 4, 1};
  ASSERT_TRUE(write_imatrix_dat(m, tmp.path("m.dat")).ok());
  // i32 count + 2 x (i32 len, name, i32 ncall, i32 nval, values) + i32 chunks + i32 len + name
  EXPECT_EQ(slurp(tmp.path("m.dat")).size(), 4u + (4 + 19 + 8 + 16) + (4 + 21 + 8 + 8) + 8 + 9);
  auto back = read_imatrix_dat(tmp.path("m.dat"));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->chunks, 3);
  EXPECT_EQ(back->dataset, "brown.txt");
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries.at("blk.0.attn_q.weight").ncall, 3);
  const std::vector<float> w = back->weights_for("blk.0.attn_q.weight");
  const std::vector<float> want = m.weights_for("blk.0.attn_q.weight");  // sums / count
  ASSERT_EQ(w.size(), 4u);
  for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(w[i], want[i], 1e-6f * want[i]);
  EXPECT_FLOAT_EQ(want[1], 2.0f);
  EXPECT_TRUE(back->weights_for("blk.9.attn_q.weight").empty());
}

TEST(Imatrix, GgufRoundTrip) {
  TempDir tmp;
  Imatrix m;
  m.chunks = 5;
  m.chunk_size = 256;
  m.dataset = "calib.txt";
  m.entries["blk.0.attn_q.weight"] = {{1.0, 4.0, 9.0, 0.5}, 8, 3};
  m.entries["blk.1.ffn_down.weight"] = {{2.0, 0.0, 6.0}, 2, 1};
  const std::string path = tmp.path("m.gguf");
  ASSERT_TRUE(write_imatrix(m, path).ok());  // .gguf: the GGUF format
  gguf::File f = open_or_die(path);
  EXPECT_EQ(f.get_string_or("general.type", ""), "imatrix");
  EXPECT_EQ(f.get_int_or("imatrix.chunk_count", 0), 5);
  EXPECT_EQ(f.get_int_or("imatrix.chunk_size", 0), 256);
  ASSERT_EQ(f.tensors().size(), 4u);
  const gguf::TensorInfo* sums = f.find_tensor("blk.0.attn_q.weight.in_sum2");
  const gguf::TensorInfo* counts = f.find_tensor("blk.0.attn_q.weight.counts");
  ASSERT_TRUE(sums && counts);
  EXPECT_EQ(sums->ne[0], 4);
  EXPECT_EQ(sums->ne[1], 1);
  EXPECT_EQ(reinterpret_cast<const float*>(counts->data)[0], 8.0f);
  EXPECT_EQ(reinterpret_cast<const float*>(sums->data)[2], 9.0f);  // sums, not means

  auto back = read_imatrix(path);  // told apart by the magic
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->chunks, 5);
  EXPECT_EQ(back->chunk_size, 256);
  EXPECT_EQ(back->dataset, "calib.txt");
  ASSERT_EQ(back->entries.size(), 2u);
  for (const auto& [name, e] : m.entries) EXPECT_EQ(back->weights_for(name), m.weights_for(name));
  // Written again, the same bytes; and the legacy reader still answers for .dat files.
  ASSERT_TRUE(write_imatrix(*back, tmp.path("again.gguf")).ok());
  EXPECT_EQ(slurp(path), slurp(tmp.path("again.gguf")));
  ASSERT_TRUE(write_imatrix(m, tmp.path("m.dat")).ok());
  auto dat = read_imatrix(tmp.path("m.dat"));
  ASSERT_TRUE(dat.ok()) << dat.status().to_string();
  EXPECT_EQ(dat->entries.size(), 2u);
}

TEST(Imatrix, GgufThatIsNotAnImatrixIsAClearError) {
  HEARTH_REQUIRE_TESTDATA();
  auto r = read_imatrix(model_path("Q8_0"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not an imatrix"), std::string::npos) << r.status().message();
}

TEST(Imatrix, BadFilesAreClearErrors) {
  TempDir tmp;
  auto missing = read_imatrix_dat(tmp.path("none.dat"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.dat"), std::string::npos);
  { std::ofstream(tmp.path("text.dat")) << "this is not an imatrix"; }
  auto text = read_imatrix_dat(tmp.path("text.dat"));
  ASSERT_FALSE(text.ok());
  Imatrix m;
  m.entries["blk.0.attn_q.weight"] = {{1.0, 2.0, 3.0}, 1, 1};
  ASSERT_TRUE(write_imatrix_dat(m, tmp.path("m.dat")).ok());
  std::string bytes = slurp(tmp.path("m.dat"));
  std::ofstream(tmp.path("cut.dat"), std::ios::binary) << bytes.substr(0, bytes.size() - 14);
  auto cut = read_imatrix_dat(tmp.path("cut.dat"));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("ends"), std::string::npos) << cut.status().message();
}

// sum over rows and columns of imp_j * (w - q)^2 for one tensor.
double weighted_error(const std::vector<float>& w, const std::vector<float>& q,
                      const std::vector<float>& imp) {
  double e = 0;
  for (size_t i = 0; i < w.size(); ++i) e += imp[i % imp.size()] * (w[i] - q[i]) * (w[i] - q[i]);
  return e;
}

TEST(Imatrix, BrownImatrixLowersWeightedError) {
  HEARTH_REQUIRE_TESTDATA();
  TempDir tmp;
  const std::string dat = tmp.path("brown.dat");
  // Calibration: the start of brown-val (a test only needs some brown text).
  auto r =
      hearth::testing::run_hearth("imatrix -m '" + model_path("f32") + "' -f '" +
                                  hearth::testing::testdata_path("brown-val.txt") + "' -o '" + dat +
                                  "' -c 64 --chunks " + (sanitized() ? "2" : "8") + " -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto m = read_imatrix_dat(dat);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->entries.size(), 6u * 7u);
  {  // the same run written as GGUF holds the same statistics
    const std::string gg = tmp.path("brown.gguf");
    auto rg = hearth::testing::run_hearth("imatrix -m '" + model_path("f32") + "' -f '" +
                                          hearth::testing::testdata_path("brown-val.txt") +
                                          "' -o '" + gg + "' -c 64 --chunks 2 -t 1");
    ASSERT_EQ(rg.exit_code, 0) << rg.err;
    auto g = read_imatrix(gg);
    ASSERT_TRUE(g.ok()) << g.status().to_string();
    EXPECT_EQ(g->entries.size(), 42u);
    EXPECT_EQ(g->chunks, 2);
    EXPECT_EQ(g->chunk_size, 64);
    EXPECT_EQ(g->weights_for("blk.0.ffn_down.weight").size(), 768u);
  }  // q, k, v, output, gate, up, down per layer
  EXPECT_EQ(m->weights_for("blk.0.ffn_down.weight").size(), 768u);
  EXPECT_EQ(m->weights_for("blk.3.attn_q.weight").size(), 256u);
  gguf::File f32 = open_or_die(model_path("f32"));
  for (const std::string type : {"Q4_K_M", "Q3_K_S", "Q2_K"}) {
    if (sanitized() && type == "Q3_K_S") continue;
    QuantizeOptions o;
    o.scheme = *fit::find_scheme(type);
    o.threads = 2;
    auto plain = quantize_file(f32, tmp.path("plain.gguf"), o);
    ASSERT_TRUE(plain.ok()) << plain.status().to_string();
    o.imatrix = &*m;
    o.imatrix_path = dat;
    auto weighted = quantize_file(f32, tmp.path("weighted.gguf"), o);
    ASSERT_TRUE(weighted.ok()) << weighted.status().to_string();
    EXPECT_EQ(weighted->n_imatrix_used, 42);
    gguf::File a = open_or_die(tmp.path("plain.gguf")), b = open_or_die(tmp.path("weighted.gguf"));
    EXPECT_EQ(b.get_int_or("quantize.imatrix.entries_count", 0), 42);
    double err_plain = 0, err_weighted = 0;
    for (const auto& [name, e] : m->entries) {
      const std::vector<float> imp = m->weights_for(name), w = decode(*f32.find_tensor(name));
      const double ep = weighted_error(w, decode(*a.find_tensor(name)), imp);
      const double ew = weighted_error(w, decode(*b.find_tensor(name)), imp);
      EXPECT_LE(ew, 1.005 * ep) << type << " " << name;
      err_plain += ep;
      err_weighted += ew;
    }
    // Measured: Q4_K_M -2.3%, every tensor lower; Q3_K_S and Q2_K more.
    EXPECT_LT(err_weighted, 0.99 * err_plain) << type;
  }
}

}  // namespace
}  // namespace hearth::quantize
