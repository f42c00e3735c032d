// JSON schema -> GBNF: each supported feature accepts what the schema allows and rejects the
// rest; unsupported features are errors naming the keyword.
#include "grammar/json_schema.h"

#include <gtest/gtest.h>

#include "grammar/matcher.h"
#include "schema_validator.h"

namespace hearth::grammar {
namespace {

using nlohmann::json;

std::shared_ptr<const Grammar> compile(const std::string& schema) {
  auto g = compile_json_schema(nlohmann::ordered_json::parse(schema));
  EXPECT_TRUE(g.ok()) << g.status().to_string() << "\n" << schema;
  if (!g.ok()) return nullptr;
  return *g;
}

bool full(const std::shared_ptr<const Grammar>& g, const std::string& text) {
  if (!g) return false;
  Matcher m(g);
  return m.accept(text).ok() && m.can_end();
}

std::string error_of(const std::string& schema) {
  auto g = compile_json_schema(nlohmann::ordered_json::parse(schema));
  EXPECT_FALSE(g.ok()) << schema;
  return g.ok() ? "" : g.status().message();
}

TEST(JsonSchema, ObjectRequiredOptionalAndOrder) {
  auto g = compile(R"({"type":"object","properties":{"a":{"type":"integer"},
      "b":{"type":"boolean"},"c":{"type":"null"}},"required":["b"],"additionalProperties":false})");
  EXPECT_TRUE(full(g, R"({"b":true})"));
  EXPECT_TRUE(full(g, R"({"a":1,"b":false,"c":null})"));
  EXPECT_TRUE(full(g, "{ \"a\" : -5 ,\n  \"b\": true }"));
  EXPECT_TRUE(full(g, R"({"b":true,"c":null})"));
  EXPECT_FALSE(full(g, R"({"a":1})"));  // b is required
  EXPECT_FALSE(full(g, R"({})"));
  EXPECT_FALSE(full(g, R"({"b":true,"d":1})"));  // no additional properties
  EXPECT_FALSE(full(g, R"({"b":1})"));           // wrong type
  EXPECT_FALSE(full(g, R"({"a":1,,"b":true})"));
  EXPECT_FALSE(full(g, R"({"a":1 "b":true})"));
}

// Properties come in the order the schema declares them (not sorted): "zeta" before "alpha".
TEST(JsonSchema, PropertyOrderFollowsTheSchema) {
  auto g = compile(R"({"type":"object","properties":{"zeta":{"type":"integer"},
      "alpha":{"type":"integer"},"mid":{"type":"integer"}},"required":["zeta","alpha","mid"]})");
  EXPECT_TRUE(full(g, R"({"zeta":1,"alpha":2,"mid":3})"));
  EXPECT_FALSE(full(g, R"({"alpha":2,"mid":3,"zeta":1})"));  // alphabetical is not the order
  auto nested = compile(R"({"type":"object","properties":{"o":{"type":"object","properties":{
      "y":{"type":"boolean"},"x":{"type":"boolean"}},"required":["y","x"]}},"required":["o"]})");
  EXPECT_TRUE(full(nested, R"({"o":{"y":true,"x":false}})"));
  EXPECT_FALSE(full(nested, R"({"o":{"x":false,"y":true}})"));
}

TEST(JsonSchema, AdditionalProperties) {
  auto open = compile(R"({"type":"object","properties":{"a":{"type":"integer"}},
      "additionalProperties":true})");
  EXPECT_TRUE(full(open, R"({"a":1,"x":[1,{"y":null}]})"));
  EXPECT_TRUE(full(open, R"({"x":"s"})"));
  EXPECT_TRUE(full(open, R"({})"));
  auto typed = compile(R"({"type":"object","additionalProperties":{"type":"integer"}})");
  EXPECT_TRUE(full(typed, R"({"x":1,"y":2})"));
  EXPECT_FALSE(full(typed, R"({"x":"1"})"));
  // Absent: only the declared properties are generated.
  auto closed = compile(R"({"type":"object","properties":{"a":{"type":"integer"}}})");
  EXPECT_FALSE(full(closed, R"({"x":1})"));
}

TEST(JsonSchema, StringsEnumsConst) {
  auto g = compile(R"({"type":"string"})");
  EXPECT_TRUE(full(g, R"("he said \"hi\" \\ \u00e9 \n")"));
  EXPECT_TRUE(full(g, "\"caf\xC3\xA9\""));
  EXPECT_FALSE(full(g, "\"a\nb\""));  // raw control character
  EXPECT_FALSE(full(g, R"("\q")"));
  auto len = compile(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_FALSE(full(len, R"("a")"));
  EXPECT_TRUE(full(len, R"("ab")"));
  EXPECT_TRUE(full(len, "\"\xC3\xA9\xC3\xA9\xC3\xA9\""));  // 3 characters, 6 bytes
  EXPECT_FALSE(full(len, R"("abcd")"));
  auto e = compile(R"({"enum":["red","green",1,null,{"k":[true]}]})");
  EXPECT_TRUE(full(e, R"("green")"));
  EXPECT_TRUE(full(e, "1"));
  EXPECT_TRUE(full(e, "null"));
  EXPECT_TRUE(full(e, R"({"k":[true]})"));
  EXPECT_FALSE(full(e, R"("blue")"));
  auto c = compile(R"({"const":"x\"y"})");
  EXPECT_TRUE(full(c, R"("x\"y")"));
  EXPECT_FALSE(full(c, R"("xy")"));
}

TEST(JsonSchema, StringFormats) {
  auto d = compile(R"({"type":"string","format":"date"})");
  EXPECT_TRUE(full(d, R"("2026-11-25")"));
  EXPECT_FALSE(full(d, R"("2026-13-01")"));
  auto t = compile(R"({"type":"string","format":"date-time"})");
  EXPECT_TRUE(full(t, R"("2026-11-25T08:30:00Z")"));
  EXPECT_TRUE(full(t, R"("2026-11-25T08:30:00.123+01:00")"));
  EXPECT_FALSE(full(t, R"("2026-11-25 08:30:00")"));
  auto u = compile(R"({"type":"string","format":"uuid"})");
  EXPECT_TRUE(full(u, R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_FALSE(full(u, R"("123e4567e89b12d3a456426614174000")"));
}

TEST(JsonSchema, NumbersAndBooleans) {
  auto n = compile(R"({"type":"number"})");
  for (const char* ok : {"0", "-1.5", "3e10", "2.25E-3", "12345"}) EXPECT_TRUE(full(n, ok)) << ok;
  for (const char* bad : {"01", "1.", ".5", "+1", "1e", "NaN"}) EXPECT_FALSE(full(n, bad)) << bad;
  auto i = compile(R"({"type":"integer"})");
  EXPECT_TRUE(full(i, "-42"));
  EXPECT_FALSE(full(i, "4.2"));
  auto b = compile(R"({"type":"boolean"})");
  EXPECT_TRUE(full(b, "true"));
  EXPECT_FALSE(full(b, "True"));
  auto nn = compile(R"({"type":"number","minimum":0})");
  EXPECT_TRUE(full(nn, "0.5"));
  EXPECT_FALSE(full(nn, "-0.5"));
}

// Every integer in a window is accepted exactly when it lies in the range.
TEST(JsonSchema, IntegerRangesAreExact) {
  const std::vector<std::pair<int, int>> ranges = {{0, 150},  {-123, 4567}, {7, 7},
                                                   {-50, -3}, {99, 1001},   {1, 9}};
  for (auto [lo, hi] : ranges) {
    auto g =
        compile(nlohmann::json({{"type", "integer"}, {"minimum", lo}, {"maximum", hi}}).dump());
    for (int v = -1200; v <= 5000; v += (v > -200 && v < 1200) ? 1 : 7)
      EXPECT_EQ(full(g, std::to_string(v)), v >= lo && v <= hi)
          << v << " in [" << lo << "," << hi << "]";
    EXPECT_FALSE(full(g, "007"));
  }
  auto ex = compile(R"({"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10})");
  EXPECT_FALSE(full(ex, "0"));
  EXPECT_TRUE(full(ex, "1"));
  EXPECT_TRUE(full(ex, "9"));
  EXPECT_FALSE(full(ex, "10"));
  auto open = compile(R"({"type":"integer","minimum":100})");
  EXPECT_FALSE(full(open, "99"));
  EXPECT_TRUE(full(open, "100"));
  EXPECT_TRUE(full(open, "123456789"));
}

TEST(JsonSchema, NullableAnyOfOneOf) {
  auto t = compile(R"({"type":["string","null"]})");
  EXPECT_TRUE(full(t, "null"));
  EXPECT_TRUE(full(t, R"("x")"));
  EXPECT_FALSE(full(t, "1"));
  auto a = compile(R"({"anyOf":[{"type":"integer"},{"type":"null"}],"title":"x"})");
  EXPECT_TRUE(full(a, "null"));
  EXPECT_TRUE(full(a, "3"));
  EXPECT_FALSE(full(a, "true"));
  auto o = compile(R"({"oneOf":[{"const":1},{"type":"array","items":{"type":"boolean"}}]})");
  EXPECT_TRUE(full(o, "[true,false]"));
  EXPECT_FALSE(full(o, "2"));
  auto n = compile(R"({"type":"integer","nullable":true})");
  EXPECT_TRUE(full(n, "null"));
}

TEST(JsonSchema, Arrays) {
  auto g = compile(R"({"type":"array","items":{"type":"integer"},"minItems":2,"maxItems":3})");
  EXPECT_FALSE(full(g, "[1]"));
  EXPECT_TRUE(full(g, "[1, 2]"));
  EXPECT_TRUE(full(g, "[1,2,3]"));
  EXPECT_FALSE(full(g, "[1,2,3,4]"));
  EXPECT_FALSE(full(g, "[1,\"2\"]"));
  auto any = compile(R"({"type":"array"})");
  EXPECT_TRUE(full(any, "[]"));
  EXPECT_TRUE(full(any, R"([1,"a",{"b":[]}])"));
  auto empty = compile(R"({"type":"array","maxItems":0})");
  EXPECT_TRUE(full(empty, "[]"));
  EXPECT_FALSE(full(empty, "[1]"));
}

TEST(JsonSchema, RefsToDefsAndRecursion) {
  auto g = compile(R"({"$defs":{"pt":{"type":"object","properties":{"x":{"type":"integer"}},
      "required":["x"]}},"type":"array","items":{"$ref":"#/$defs/pt"}})");
  EXPECT_TRUE(full(g, R"([{"x":1},{"x":2}])"));
  EXPECT_FALSE(full(g, R"([{"y":1}])"));
  auto old = compile(R"({"definitions":{"n":{"type":"null"}},"$ref":"#/definitions/n"})");
  EXPECT_TRUE(full(old, "null"));
  auto tree = compile(R"({"$defs":{"node":{"type":"object","properties":{
      "v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},
      "required":["v"]}},"$ref":"#/$defs/node"})");
  EXPECT_TRUE(full(tree, R"({"v":1,"kids":[{"v":2,"kids":[{"v":3}]},{"v":4}]})"));
  EXPECT_FALSE(full(tree, R"({"v":1,"kids":[{"kids":[]}]})"));
  EXPECT_NE(error_of(R"({"$ref":"#/$defs/missing"})").find("does not point"), std::string::npos);
  EXPECT_NE(error_of(R"({"$ref":"https://example.com/s.json"})").find("only local"),
            std::string::npos);
  // A required self-reference admits no finite value.
  EXPECT_NE(error_of(R"({"$defs":{"a":{"type":"object","properties":{"x":{"$ref":"#/$defs/a"}},
      "required":["x"]}},"$ref":"#/$defs/a"})")
                .find("can never be completed"),
            std::string::npos);
}

TEST(JsonSchema, UnsupportedFeaturesNameTheKeyword) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type":"string","pattern":"^a+$"})", "'pattern'"},
      {R"({"not":{"type":"null"}})", "'not'"},
      {R"({"if":{"type":"string"},"then":{"minLength":1}})", "'if'"},
      {R"({"type":"object","patternProperties":{"^x":{}}})", "'patternProperties'"},
      {R"({"type":"array","uniqueItems":true})", "'uniqueItems'"},
      {R"({"type":"number","multipleOf":2})", "'multipleOf'"},
      {R"({"type":"object","minProperties":1})", "'minProperties'"},
      {R"({"type":"string","format":"email"})", "format 'email'"},
      {R"({"type":"array","items":[{"type":"string"}]})", "tuple"},
      {R"({"type":"number","maximum":3.5})", "type number"},
      {R"({"allOf":[{"type":"string"},{"minLength":2}]})", "allOf"},
      {R"({"type":"object","properties":{"a":{"type":"string","pattern":"x"}}})", "#/properties/a"},
  };
  for (const auto& [schema, want] : cases) {
    std::string e = error_of(schema);
    EXPECT_NE(e.find(want), std::string::npos) << schema << " -> " << e;
    EXPECT_NE(e.find("not supported"), std::string::npos) << e;
  }
  EXPECT_NE(error_of("false").find("matches nothing"), std::string::npos);
  EXPECT_NE(error_of(R"({"type":"color"})").find("unknown type 'color'"), std::string::npos);
  EXPECT_NE(error_of(R"({"type":"string","maxLength":-1})").find("non-negative"),
            std::string::npos);
}

TEST(JsonSchema, JsonObjectMode) {
  auto g = json_object_grammar();
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  EXPECT_TRUE(full(*g, R"({"a":[1,2.5,{"b":null}],"c":"d"})"));
  EXPECT_TRUE(full(*g, "{}"));
  EXPECT_FALSE(full(*g, "[1]"));
  EXPECT_FALSE(full(*g, "\"s\""));
}

TEST(JsonSchema, GbnfLiteralEscapes) {
  EXPECT_EQ(gbnf_literal("a\"b\\c\n\x01"), R"("a\"b\\c\n\x01")");
}

}  // namespace
}  // namespace hearth::grammar
