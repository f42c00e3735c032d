// Broken templates and hostile contexts end in an error naming line and column, never a crash,
// a hang or unbounded memory.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "template/template.h"
#include "test_util.h"

namespace hearth::tmpl {
namespace {

using Json = nlohmann::ordered_json;

Result<std::string> render(const std::string& source, const Json& ctx = Json::object(),
                           const RenderOptions& options = {}) {
  auto t = Template::parse(source);
  if (!t.ok()) return t.status();
  return t->render(ctx, options);
}

void expect_error(const std::string& source, const std::string& needle,
                  const Json& ctx = Json::object(), const RenderOptions& options = {}) {
  auto r = render(source, ctx, options);
  ASSERT_FALSE(r.ok()) << source.substr(0, 80) << " rendered " << r->substr(0, 80);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().rfind("line ", 0), 0u) << r.status().message();
}

TEST(TemplateErrors, NameLineAndColumn) {
  auto r = render("a\nb\n  {{ x.y }}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 3, column 7: UndefinedError: 'x' is undefined");
  r = render(
      "{% for m in messages %}\n{% if m.role == 'x' %}{{ raise_exception('bad role: ' ~ m.role) "
      "}}{% endif %}{% endfor %}",
      Json::parse(R"({"messages": [{"role": "x"}]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "line 2, column 26: TemplateError: bad role: x");
  expect_error("{{ x", "TemplateSyntaxError");
  expect_error("{% if x %}", "expected 'endif'");
  expect_error("{# never closed", "unterminated comment");
  expect_error("{% raw %}abc", "endraw");
  expect_error("{{ 'abc }}", "unterminated string");
  expect_error("{% frobnicate %}", "unknown tag 'frobnicate'");
  expect_error("{{ a b }}", "expected '}}'");
  expect_error("{{ x | }}", "expected a name");
  expect_error("{% for in x %}{% endfor %}", "expected 'in'");
  expect_error("{{ [1, 2 }}", "unexpected end of template");
  expect_error("{{ 99999999999999999999 }}", "too large");
  expect_error("{{ 9223372036854775807 + 1 }}", "OverflowError");
  expect_error("{{ 'a'[1:2:0] }}", "slice step cannot be zero");
  expect_error("{{ 'x'.format(**a) }}", "TemplateSyntaxError");
}

TEST(TemplateLimits, RecursionDepth) {
  expect_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "RecursionError");
  // Legitimate recursion well under the limit works.
  auto r = render(
      "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(50) }}");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->substr(0, 6), "504948");
}

TEST(TemplateLimits, RangeRepetitionOutputAndSteps) {
  expect_error("{{ range(1000000000)|length }}", "range too big");
  expect_error("{{ ('x' * 1000000000)|length }}", "repetition too large");
  expect_error("{{ ([1] * 1000000000)|length }}", "repetition too large");
  RenderOptions small;
  small.limits.max_output = 1000;
  expect_error("{% for i in range(100) %}{{ '0123456789abcdef' }}{% endfor %}", "output exceeds",
               {}, small);
  expect_error(
      "{% set s = namespace(v='x') %}{% for i in range(40) %}{% set s.v = s.v ~ s.v %}{% endfor %}",
      "string too large", {}, small);
  RenderOptions few;
  few.limits.max_steps = 100000;
  expect_error("{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
               "step budget", {}, few);
}

TEST(TemplateLimits, DeepNesting) {
  expect_error("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}",
               "nested too deeply");
  std::string chain = "{{ 1";
  for (int i = 0; i < 5000; ++i) chain += " + 1";
  expect_error(chain + " }}", "expression too long");
  std::string filters = "{{ 'x'";
  for (int i = 0; i < 5000; ++i) filters += "|upper";
  expect_error(filters + " }}", "expression too long");
  std::string ifs;
  for (int i = 0; i < 1000; ++i) ifs += "{% if true %}";
  expect_error(ifs, "nested too deeply");
  std::string deep_json(3000, '[');
  deep_json += std::string(3000, ']');
  auto deep = render("{{ x }}", Json::parse(R"({"x": )" + deep_json + "}"));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("context value nested deeper"), std::string::npos);
  expect_error(
      "{% set ns = namespace(v=[]) %}{% for i in range(1000) %}{% set ns.v = [ns.v] %}{% endfor %}",
      "nested deeper");
  // A namespace that contains itself can be built, but not printed forever.
  expect_error("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", "nested too deeply");
  expect_error("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns|tojson }}",
               "JSON serializable");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Truncated and byte-mutated real templates: every outcome is a rendering or an error.
TEST(TemplateLimits, MutatedRealTemplatesNeverCrash) {
  HEARTH_REQUIRE_TESTDATA();
  Json spec =
      Json::parse(slurp(std::string(HEARTH_SOURCE_DIR) + "/tests/unit/template/cases.json"));
  Json ctx = spec["globals"];
  for (auto it = spec["cases"]["tools"].begin(); it != spec["cases"]["tools"].end(); ++it)
    ctx[it.key()] = it.value();
  std::mt19937 rng(1234);
  const std::string alphabet = "{}%#-+()[]|.,:'\"~=<>! \nabcxyz019";
  int renders = 0, errors = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(hearth::testing::testdata_path("templates"))) {
    if (entry.path().extension() != ".jinja") continue;
    std::string source = slurp(entry.path().string());
    for (int k = 0; k < 24; ++k) {
      std::string mutated = source;
      if (k < 8) {
        mutated.resize(source.size() * static_cast<size_t>(k + 1) / 9);
      } else {
        for (int m = 0; m < 1 + k % 4; ++m)
          mutated[rng() % mutated.size()] = alphabet[rng() % alphabet.size()];
      }
      RenderOptions options;
      options.limits.max_steps = 2'000'000;
      auto r = render(mutated, ctx, options);
      ++renders;
      if (!r.ok()) {
        ++errors;
        EXPECT_EQ(r.status().message().rfind("line ", 0), 0u) << r.status().message();
      }
    }
  }
  EXPECT_GT(renders, 1000);
  EXPECT_GT(errors, 100);
}

TEST(TemplateApi, ParseTime) {
  auto t = parse_time("2026-01-02T03:04:05");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->tm_year, 126);
  EXPECT_EQ(t->tm_wday, 5);  // a Friday
  auto r =
      render("{{ strftime_now('%A %d %B %Y %H:%M:%S') }}", Json::object(), RenderOptions{*t, {}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "Friday 02 January 2026 03:04:05");
  EXPECT_FALSE(parse_time("2026-13-02T03:04:05").ok());
  EXPECT_FALSE(parse_time("yesterday").ok());
  EXPECT_TRUE(parse_time("2026-01-02").ok());
  EXPECT_FALSE(Template::parse("{% if %}").ok());
  auto ok = Template::parse("{{ messages[0].content }}");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(ok->render(Json::array()).ok());
  EXPECT_EQ(*ok->render(Json::parse(R"({"messages": [{"content": "hi"}]})")), "hi");
}

}  // namespace
}  // namespace hearth::tmpl
