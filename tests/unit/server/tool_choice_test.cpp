// tool_choice: reading it, and the grammar that makes required / named choices real tool calls.
#include "server/tool_choice.h"

#include <gtest/gtest.h>

#include "grammar/constraint.h"
#include "server/tool_calls.h"

namespace hearth::server {
namespace {

using ojson = nlohmann::ordered_json;

const ojson kTools = ojson::parse(R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
    "properties": {"city": {"type": "string", "enum": ["Paris", "Oslo"]}}, "required": ["city"]}}},
  {"type": "function", "function": {"name": "get_time"}}])");

// Does the grammar accept `text` as a complete answer? (Byte-level vocabulary.)
bool accepts(const std::shared_ptr<const grammar::Grammar>& g, const std::string& text) {
  std::vector<std::string> pieces;
  for (int b = 1; b < 256; ++b) pieces.push_back(std::string(1, static_cast<char>(b)));
  auto c = grammar::Constraint::create(g, grammar::TokenTrie::build(pieces, {}));
  return c->accept_text(text).ok() && c->can_end();
}

TEST(ToolChoice, ReadsEveryForm) {
  ToolChoice c;
  std::string err;
  ASSERT_TRUE(read_tool_choice(ojson(), kTools, &c, &err));
  EXPECT_EQ(c.mode, ToolChoice::kAuto);
  ASSERT_TRUE(read_tool_choice(ojson(), ojson(), &c, &err));
  EXPECT_EQ(c.mode, ToolChoice::kNone);
  ASSERT_TRUE(read_tool_choice("required", kTools, &c, &err));
  EXPECT_EQ(c.mode, ToolChoice::kRequired);
  ASSERT_TRUE(read_tool_choice(
      ojson::parse(R"({"type": "function", "function": {"name": "get_time"}})"), kTools, &c, &err));
  EXPECT_EQ(c.mode, ToolChoice::kNamed);
  EXPECT_EQ(c.name, "get_time");
  EXPECT_FALSE(
      read_tool_choice(ojson::parse(R"({"function": {"name": "nope"}})"), kTools, &c, &err));
  EXPECT_NE(err.find("nope"), std::string::npos);
  EXPECT_FALSE(read_tool_choice("sometimes", kTools, &c, &err));
  EXPECT_FALSE(read_tool_choice("required", ojson(), &c, &err));
}

TEST(ToolChoice, RequiredGrammarAcceptsExactlyToolCallsInTheTemplateFormat) {
  ToolChoice required{ToolChoice::kRequired, ""};
  auto g = tool_choice_grammar(required, kTools, ToolStyle::kHermes);
  ASSERT_TRUE(g.ok()) << g.status().message();
  ASSERT_TRUE(*g);
  const std::string call =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>";
  EXPECT_TRUE(accepts(*g, call));
  EXPECT_TRUE(
      accepts(*g, "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>"));
  EXPECT_FALSE(accepts(*g, "The weather is fine."));
  EXPECT_FALSE(accepts(*g,
                       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
                       "\"Rome\"}}\n</tool_call>"));
  EXPECT_FALSE(accepts(*g, "<tool_call>\n{\"name\": \"other\", \"arguments\": {}}\n</tool_call>"));
  // What the grammar allows, the parser reads back as the call.
  ParsedOutput p = parse_chat_output(call, OutputOptions{true, false, true});
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_EQ(p.tool_calls[0].name, "get_weather");

  ToolChoice named{ToolChoice::kNamed, "get_time"};
  auto l3 = tool_choice_grammar(named, kTools, ToolStyle::kLlama3);
  ASSERT_TRUE(l3.ok()) << l3.status().message();
  EXPECT_TRUE(accepts(*l3, "{\"name\": \"get_time\", \"parameters\": {}}"));
  EXPECT_FALSE(accepts(*l3, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}"));
  auto mistral = tool_choice_grammar(named, kTools, ToolStyle::kMistral);
  ASSERT_TRUE(mistral.ok());
  EXPECT_TRUE(accepts(*mistral, "[TOOL_CALLS][{\"name\": \"get_time\", \"arguments\": {}}]"));
}

// The arguments' properties follow the tool's schema order (the request is parsed in order).
TEST(ToolChoice, ArgumentsFollowTheSchemaPropertyOrder) {
  ojson tools = ojson::parse(R"([{"type": "function", "function": {"name": "book", "parameters":
    {"type": "object", "properties": {"to": {"type": "string"}, "from": {"type": "string"}},
     "required": ["to", "from"], "additionalProperties": false}}}])");
  auto g = tool_choice_grammar(ToolChoice{ToolChoice::kRequired, ""}, tools, ToolStyle::kLlama3);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_TRUE(accepts(*g, R"({"name": "book", "parameters": {"to": "Oslo", "from": "Rome"}})"));
  EXPECT_FALSE(accepts(*g, R"({"name": "book", "parameters": {"from": "Rome", "to": "Oslo"}})"));
}

TEST(ToolChoice, AutoHasNoGrammarAndUnsupportedSchemasFailClosed) {
  auto none = tool_choice_grammar(ToolChoice{ToolChoice::kAuto, ""}, kTools, ToolStyle::kHermes);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  ojson patterned = ojson::parse(R"([{"type": "function", "function": {"name": "f", "parameters":
    {"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}}}}])");
  auto g =
      tool_choice_grammar(ToolChoice{ToolChoice::kRequired, ""}, patterned, ToolStyle::kHermes);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find("pattern"), std::string::npos) << g.status().message();
  EXPECT_EQ(detect_tool_style("{{ '<tool_call>' }}"), ToolStyle::kHermes);
  EXPECT_EQ(detect_tool_style("[TOOL_CALLS]"), ToolStyle::kMistral);
  EXPECT_EQ(detect_tool_style("<|start_header_id|>"), ToolStyle::kLlama3);
  EXPECT_EQ(detect_tool_style(""), ToolStyle::kGeneric);
}

}  // namespace
}  // namespace hearth::server
