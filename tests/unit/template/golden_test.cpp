// Every template in testdata/templates, rendered on the four conversations of expected.jsonl,
// must match Python jinja2 byte for byte, and fail exactly where jinja2 fails.
//
// expected.jsonl rows carry only (template, case, rendered|error). The contexts live in
// cases.json next to this file; oracle.py renders all templates through jinja2 with them (as
// Hugging Face does) and reproduces every row of expected.jsonl (196/196), which is how they were
// derived and how they can be re-checked: `python3 tests/unit/template/oracle.py`.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "gguf/gguf.h"
#include "template/template.h"
#include "test_util.h"

namespace hearth::tmpl {
namespace {

using Json = nlohmann::ordered_json;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string cases_path() {
  return std::string(HEARTH_SOURCE_DIR) + "/tests/unit/template/cases.json";
}

Json context_for(const Json& spec, const std::string& name, const char* group = "cases") {
  Json ctx = spec["globals"];
  for (auto it = spec[group][name].begin(); it != spec[group][name].end(); ++it)
    ctx[it.key()] = it.value();
  return ctx;
}

std::string first_difference(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  size_t from = i > 40 ? i - 40 : 0;
  return "at byte " + std::to_string(i) + "\n  want: " + Json(want.substr(from, 120)).dump() +
         "\n  got:  " + Json(got.substr(from, 120)).dump();
}

// Renders every row of `rows_path` (contexts from spec[group]); returns {passed, total} and
// reports each mismatch.
std::pair<int, int> check_rows(const std::string& rows_path, const char* group) {
  std::string dir = hearth::testing::testdata_path("templates");
  Json spec = Json::parse(slurp(cases_path()));
  RenderOptions options;
  options.now = *parse_time(spec["now"].get<std::string>());
  std::istringstream rows(slurp(rows_path));
  std::string line;
  int total = 0, passed = 0;
  while (std::getline(rows, line)) {
    if (line.empty()) continue;
    Json row = Json::parse(line);
    ++total;
    std::string name = row["template"].get<std::string>() + " / " + row["case"].get<std::string>();
    auto parsed = Template::parse(slurp(dir + "/" + row["template"].get<std::string>()));
    Result<std::string> out = parsed.ok()
                                  ? parsed->render(context_for(spec, row["case"], group), options)
                                  : Result<std::string>(parsed.status());
    if (row.contains("error")) {
      if (out.ok()) {
        ADD_FAILURE() << name << ": jinja2 fails (" << row["error"].get<std::string>()
                      << ") but hearth rendered";
        continue;
      }
    } else if (!out.ok()) {
      ADD_FAILURE() << name << ": " << out.status().message();
      continue;
    } else if (*out != row["rendered"].get<std::string>()) {
      ADD_FAILURE() << name << ": rendering differs "
                    << first_difference(row["rendered"].get<std::string>(), *out);
      continue;
    }
    ++passed;
  }
  return {passed, total};
}

TEST(TemplateGolden, EveryTemplateMatchesJinja2) {
  HEARTH_REQUIRE_TESTDATA();
  auto [passed, total] =
      check_rows(hearth::testing::testdata_path("templates/expected.jsonl"), "cases");
  std::printf("template golden rows (expected.jsonl): %d/%d match jinja2\n", passed, total);
  EXPECT_EQ(total, 196);
  EXPECT_EQ(passed, total);
}

// More conversations (several tools and calls, string arguments, thinking flags, multimodal
// content, no add_generation_prompt), rendered by oracle.py --write-extra.
TEST(TemplateGolden, ExtraContextsMatchJinja2) {
  HEARTH_REQUIRE_TESTDATA();
  auto [passed, total] = check_rows(
      std::string(HEARTH_SOURCE_DIR) + "/tests/unit/template/extra_expected.jsonl", "extra_cases");
  std::printf("template golden rows (extra_expected.jsonl): %d/%d match jinja2\n", passed, total);
  EXPECT_GT(total, 250);
  EXPECT_EQ(passed, total);
}

// The error rows fail with jinja2's own error class.
TEST(TemplateGolden, ErrorsNameJinja2sErrorClassAndLocation) {
  HEARTH_REQUIRE_TESTDATA();
  std::string dir = hearth::testing::testdata_path("templates");
  Json spec = Json::parse(slurp(cases_path()));
  std::istringstream rows(slurp(dir + "/expected.jsonl"));
  std::string line;
  while (std::getline(rows, line)) {
    Json row = Json::parse(line);
    if (!row.contains("error")) continue;
    auto parsed = Template::parse(slurp(dir + "/" + row["template"].get<std::string>()));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    auto out = parsed->render(context_for(spec, row["case"]));
    ASSERT_FALSE(out.ok());
    std::string want = row["error"].get<std::string>();
    std::string cls = want.substr(0, want.find(':'));
    EXPECT_NE(out.status().message().find("line "), std::string::npos) << out.status().message();
    EXPECT_NE(out.status().message().find(cls + ":"), std::string::npos)
        << row["template"] << " " << row["case"] << ": " << out.status().message() << " vs "
        << want;
  }
}

TEST(TemplateCli, RendersWithNowAndFailsWithExitCode1) {
  HEARTH_REQUIRE_TESTDATA();
  std::string dir = hearth::testing::testdata_path("templates");
  std::string ctx = ::testing::TempDir() + "/hearth_template_ctx.json";
  {
    std::ofstream f(ctx);
    f << context_for(Json::parse(slurp(cases_path())), "single").dump();
  }
  auto r = hearth::testing::run_hearth("template --template '" + dir +
                                       "/meta-llama-Llama-3.2-3B-Instruct.jinja' --context '" +
                                       ctx + "' --now 2026-01-02T03:04:05");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Today Date: 02 Jan 2026\n"), std::string::npos) << r.out;
  // Exactly the rendering: it ends with the generation prompt, nothing appended.
  const std::string tail = "assistant<|end_header_id|>\n\n";
  ASSERT_GE(r.out.size(), tail.size());
  EXPECT_EQ(r.out.substr(r.out.size() - tail.size()), tail);
  EXPECT_TRUE(r.err.empty()) << r.err;

  auto bad = hearth::testing::run_hearth(
      "template --template '" + dir + "/fireworks-ai-llama-3-firefunction-v2.jinja' --context '" +
      ctx + "'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(bad.out.empty());
  EXPECT_NE(bad.err.find("line 21, column"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("UndefinedError: 'functions' is undefined"), std::string::npos) << bad.err;

  auto usage = hearth::testing::run_hearth("template --context '" + ctx + "'");
  EXPECT_EQ(usage.exit_code, 2);
}

// -m MODEL: the model's own tokenizer.chat_template, with bos/eos defaulting to its tokens.
TEST(TemplateCli, UsesTheModelsOwnTemplate) {
  HEARTH_REQUIRE_TESTDATA();
  std::string dir = hearth::testing::testdata_path("templates");
  auto vocab = gguf::File::open(hearth::testing::testdata_path("vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  gguf::Writer writer;
  writer.copy_metadata_from(*vocab);
  writer.set("tokenizer.chat_template",
             gguf::Value::str(slurp(dir + "/meta-llama-Llama-3.1-8B-Instruct.jinja")));
  std::string model = ::testing::TempDir() + "/hearth_template_model.gguf";
  ASSERT_TRUE(writer.write_file(model).ok());
  // The context leaves bos_token / eos_token out: they come from the vocabulary (<s>, </s>).
  Json ctx = Json::parse(slurp(cases_path()))["cases"]["system-multi"];
  std::string ctx_path = ::testing::TempDir() + "/hearth_template_ctx_m.json";
  {
    std::ofstream f(ctx_path);
    f << ctx.dump();
  }
  auto r = hearth::testing::run_hearth("template -m '" + model + "' --context '" + ctx_path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream rows(slurp(dir + "/expected.jsonl"));
  std::string line, want;
  while (std::getline(rows, line)) {
    Json row = Json::parse(line);
    if (row["template"] == "meta-llama-Llama-3.1-8B-Instruct.jinja" &&
        row["case"] == "system-multi")
      want = row["rendered"];
  }
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(r.out, want);

  auto both = hearth::testing::run_hearth("template -m '" + model + "' --template x --context '" +
                                          ctx_path + "'");
  EXPECT_EQ(both.exit_code, 2);
  auto missing = hearth::testing::run_hearth(
      "template -m '" + hearth::testing::testdata_path("vocab/ggml-vocab-gpt-2.gguf") +
      "' --context '" + ctx_path + "'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("has no chat template"), std::string::npos) << missing.err;
  std::remove(model.c_str());
}

}  // namespace
}  // namespace hearth::tmpl
