// Tool-call and reasoning parsing per format: finished texts, and the streaming delta generator
// fed piece by piece (its concatenated deltas must equal the finished parse).
#include "server/tool_calls.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hearth::server {
namespace {

const OutputOptions kTools{true, false, true};

struct Collected {
  std::string content, reasoning;
  std::vector<std::string> ids, names, arguments;
  int n_deltas = 0;
};

void add(Collected* c, const std::vector<ChatDelta>& deltas) {
  for (const ChatDelta& d : deltas) {
    ++c->n_deltas;
    c->content += d.content;
    c->reasoning += d.reasoning;
    if (d.tool_index < 0) continue;
    const size_t i = static_cast<size_t>(d.tool_index);
    if (!d.tool_id.empty()) {
      ASSERT_EQ(i, c->ids.size()) << "calls start in order";
      c->ids.push_back(d.tool_id);
      c->names.push_back(d.tool_name);
      c->arguments.emplace_back();
    }
    ASSERT_LT(i, c->arguments.size());
    c->arguments[i] += d.arguments;
  }
}

// Feeds `text` in pieces of `step` bytes and checks the deltas against parse_chat_output.
Collected stream(const std::string& text, const OutputOptions& opt, size_t step) {
  ChatOutputStreamer s(opt);
  Collected c;
  for (size_t i = 0; i < text.size(); i += step) add(&c, s.feed(text.substr(i, step)));
  add(&c, s.finish());
  ParsedOutput want = parse_chat_output(text, opt);
  EXPECT_EQ(c.content, want.content) << "step " << step;
  EXPECT_EQ(c.reasoning, want.reasoning) << "step " << step;
  EXPECT_EQ(c.names.size(), want.tool_calls.size()) << "step " << step;
  for (size_t i = 0; i < std::min(c.names.size(), want.tool_calls.size()); ++i) {
    EXPECT_EQ(c.names[i], want.tool_calls[i].name);
    EXPECT_EQ(c.arguments[i], want.tool_calls[i].arguments) << "step " << step;
    EXPECT_EQ(c.ids[i].rfind("call_", 0), 0u);
  }
  EXPECT_EQ(s.has_tool_calls(), !want.tool_calls.empty());
  return c;
}

void expect_streams_match(const std::string& text, const OutputOptions& opt = kTools) {
  for (size_t step : {1, 2, 3, 7, 1000}) stream(text, opt, step);
}

nlohmann::json args(const ParsedToolCall& c) {
  return nlohmann::json::parse(c.arguments);
}

TEST(ToolCalls, HermesSingleAndMultiple) {
  std::string one =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
      "\"Paris\"}}\n</tool_call>";
  ParsedOutput p = parse_chat_output(one, kTools);
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_EQ(p.tool_calls[0].name, "get_weather");
  EXPECT_EQ(args(p.tool_calls[0])["city"], "Paris");
  EXPECT_EQ(p.content, "");
  expect_streams_match(one);
  std::string two =
      "Let me check.\n" + one + "\n<tool_call>{\"name\": \"time\", \"arguments\": {}}</tool_call>";
  p = parse_chat_output(two, kTools);
  ASSERT_EQ(p.tool_calls.size(), 2u);
  EXPECT_EQ(p.tool_calls[1].name, "time");
  EXPECT_EQ(p.tool_calls[1].arguments, "{}");
  EXPECT_EQ(p.content, "Let me check.\n\n");
  expect_streams_match(two);
}

TEST(ToolCalls, ArgumentsStreamWhileGenerating) {
  std::string text =
      "<tool_call>{\"name\": \"search\", \"arguments\": {\"query\": \"a long query "
      "text\"}}</tool_call>";
  Collected c = stream(text, kTools, 1);
  ASSERT_EQ(c.names.size(), 1u);
  // One delta opens the call, then the arguments arrive in many pieces, not at the end at once.
  EXPECT_GT(c.n_deltas, 20);
  ParsedOutput partial = parse_partial_chat_output(
      "<tool_call>{\"name\": \"search\", \"arguments\": {\"query\": \"a lo", kTools);
  ASSERT_EQ(partial.tool_calls.size(), 1u);
  EXPECT_EQ(partial.tool_calls[0].arguments, "{\"query\": \"a lo");
  EXPECT_FALSE(partial.tool_calls[0].args_complete);
}

TEST(ToolCalls, Llama3JsonAndPythonTag) {
  std::string text =
      "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\", \"days\": 3}}";
  ParsedOutput p = parse_chat_output(text, kTools);
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_EQ(p.tool_calls[0].name, "get_weather");
  EXPECT_EQ(args(p.tool_calls[0])["days"], 3);
  EXPECT_EQ(p.content, "");
  expect_streams_match(text);
  std::string tagged =
      "<|python_tag|>{\"name\": \"f\", \"parameters\": {\"x\": 1}}; {\"name\": \"g\", "
      "\"parameters\": {}}";
  p = parse_chat_output(tagged, kTools);
  ASSERT_EQ(p.tool_calls.size(), 2u);
  EXPECT_EQ(p.tool_calls[1].name, "g");
  expect_streams_match(tagged);
}

TEST(ToolCalls, MistralList) {
  std::string text =
      "[TOOL_CALLS][{\"name\": \"add\", \"arguments\": {\"a\": 1, \"b\": 2}}, {\"name\": \"neg\", "
      "\"arguments\": {\"a\": 5}}]";
  ParsedOutput p = parse_chat_output(text, kTools);
  ASSERT_EQ(p.tool_calls.size(), 2u);
  EXPECT_EQ(p.tool_calls[0].name, "add");
  EXPECT_EQ(args(p.tool_calls[0])["b"], 2);
  EXPECT_EQ(p.tool_calls[1].name, "neg");
  expect_streams_match(text);
}

TEST(ToolCalls, GenericJsonFallback) {
  std::string text = "{\"tool_call\": {\"name\": \"lookup\", \"arguments\": {\"id\": 7}}}";
  ParsedOutput p = parse_chat_output(text, kTools);
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_EQ(p.tool_calls[0].name, "lookup");
  EXPECT_EQ(args(p.tool_calls[0])["id"], 7);
  expect_streams_match(text);
  // Arguments given as a JSON string are unwrapped.
  p = parse_chat_output("{\"name\": \"f\", \"arguments\": \"{\\\"k\\\": true}\"}", kTools);
  ASSERT_EQ(p.tool_calls.size(), 1u);
  EXPECT_EQ(args(p.tool_calls[0])["k"], true);
}

TEST(ToolCalls, PlainTextAndNonCallJsonStayContent) {
  for (const std::string& text :
       {std::string("The jury said <tool in a sentence and [TOOL something"),
        std::string("{\"answer\": 42}"), std::string("{not json at all"),
        std::string("<tool_call>oops, no JSON</tool_call> after")}) {
    ParsedOutput p = parse_chat_output(text, kTools);
    EXPECT_TRUE(p.tool_calls.empty()) << text;
    EXPECT_EQ(p.content, text);
    expect_streams_match(text);
  }
  // Without tools, markup is content too.
  std::string t = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
  EXPECT_EQ(parse_chat_output(t, OutputOptions{}).content, t);
  expect_streams_match(t, OutputOptions{});
}

TEST(ToolCalls, ThinkSplitsReasoning) {
  std::string text = "<think>\nThe user wants the weather.\n</think>\n\nIt is sunny.";
  ParsedOutput p = parse_chat_output(text, OutputOptions{});
  EXPECT_EQ(p.reasoning, "The user wants the weather.");
  EXPECT_EQ(p.content, "It is sunny.");
  expect_streams_match(text, OutputOptions{});
  // The template opened <think> in the prompt: the output starts inside it.
  OutputOptions open{true, true, true};
  std::string rest =
      "hmm, a tool\n</think>\n<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
  p = parse_chat_output(rest, open);
  EXPECT_EQ(p.reasoning, "hmm, a tool");
  ASSERT_EQ(p.tool_calls.size(), 1u);
  expect_streams_match(rest, open);
  // Unterminated reasoning (the length ran out) stays reasoning.
  p = parse_chat_output("<think>still thinking", OutputOptions{});
  EXPECT_EQ(p.reasoning, "still thinking");
  EXPECT_EQ(p.content, "");
  // Splitting off: <think> stays in the content.
  OutputOptions off{false, false, false};
  EXPECT_EQ(parse_chat_output(text, off).content, text);
}

TEST(ToolCalls, TruncatedCallBecomesContent) {
  std::string text = "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": ";
  ParsedOutput p = parse_chat_output(text, kTools);
  EXPECT_TRUE(p.tool_calls.empty());
  EXPECT_EQ(p.content, text);
}

}  // namespace
}  // namespace hearth::server
