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
        std::string("<tool_call>oops, no JSON</tool_call> after"),
        std::string("<tool_call>{\"na\\qme\": \"f\"}</tool_call>")}) {
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

// What the streamer must send: the differences between full parses of every prefix (what a
// streamer re-parsing the whole text at each token sends), as "kind|index|text" lines.
std::vector<std::string> reference_deltas(const std::string& text, const OutputOptions& opt,
                                          const std::vector<size_t>& cuts) {
  std::vector<std::string> out;
  size_t content = 0, reasoning = 0;
  std::vector<size_t> args;  // (calls started) argument bytes sent
  auto diff = [&](const ParsedOutput& now) {
    if (now.reasoning.size() > reasoning)
      out.push_back("r||" + now.reasoning.substr(reasoning)), reasoning = now.reasoning.size();
    if (now.content.size() > content)
      out.push_back("c||" + now.content.substr(content)), content = now.content.size();
    for (size_t i = 0; i < now.tool_calls.size(); ++i) {
      if (i >= args.size()) {
        if (!now.tool_calls[i].name_complete) break;
        args.push_back(0);
        out.push_back("n|" + std::to_string(i) + "|" + now.tool_calls[i].name);
      }
      const std::string& a = now.tool_calls[i].arguments;
      if (a.size() > args[i])
        out.push_back("a|" + std::to_string(i) + "|" + a.substr(args[i])), args[i] = a.size();
    }
  };
  for (size_t cut : cuts) diff(parse_partial_chat_output(text.substr(0, cut), opt));
  diff(parse_chat_output(text, opt));
  return out;
}

std::vector<std::string> streamed_deltas(const std::string& text, const OutputOptions& opt,
                                         const std::vector<size_t>& cuts) {
  ChatOutputStreamer s(opt);
  std::vector<std::string> out;
  auto take = [&](const std::vector<ChatDelta>& ds) {
    for (const ChatDelta& d : ds) {
      if (!d.reasoning.empty()) out.push_back("r||" + d.reasoning);
      if (!d.content.empty()) out.push_back("c||" + d.content);
      if (!d.tool_id.empty())
        out.push_back("n|" + std::to_string(d.tool_index) + "|" + d.tool_name);
      if (!d.arguments.empty())
        out.push_back("a|" + std::to_string(d.tool_index) + "|" + d.arguments);
    }
  };
  size_t prev = 0;
  for (size_t cut : cuts) take(s.feed(text.substr(prev, cut - prev))), prev = cut;
  take(s.finish());
  return out;
}

// A long output (thousands of pieces: reasoning, content with near-markers, calls of every
// format, a call with long arguments, an invalid marker) streamed in random pieces gives exactly
// the deltas of re-parsing the whole text at every piece.
TEST(ToolCalls, LongStreamGivesTheDeltasOfFullReparses) {
  std::string body;
  for (int i = 0; i < 40; ++i) body += "word " + std::to_string(i) + " <tool and [TOOL <|python ";
  std::string long_args = "{\"text\": \"";
  for (int i = 0; i < 60; ++i) long_args += "line " + std::to_string(i) + " \\\"quoted\\\" {x} ";
  long_args += "\", \"n\": [1, 2, {\"k\": null}]}";
  const std::string hermes =
      "<tool_call>\n{\"name\": \"write\", \"arguments\": " + long_args + "}\n</tool_call>\n";
  const std::vector<std::pair<std::string, OutputOptions>> cases = {
      {"<think>\n" + body + "\n</think>\n\n" + body + hermes + body + hermes + "done", kTools},
      {body +
           "[TOOL_CALLS][{\"name\": \"a\", \"arguments\": {\"x\": 1}}, {\"name\": \"b\", "
           "\"arguments\": " +
           long_args + "}] " + body,
       kTools},
      {body +
           "<|python_tag|>{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\", "
           "\"parameters\": " +
           long_args + "} tail " + body,
       kTools},
      {body + hermes + "<tool_call>not json " + body + hermes, kTools},
      {"{\"name\": \"f\", \"parameters\": " + long_args + "}" + body + hermes, kTools},
      {body + " " + body, OutputOptions{true, true, true}},  // starts inside <think>, no close
      {"<think>" + body + "</think>" + body + "<think>x</think>", OutputOptions{}},
  };
  uint64_t rng = 12345;
  for (const auto& [text, opt] : cases) {
    for (int round = 0; round < 2; ++round) {
      std::vector<size_t> cuts;  // (n_pieces) piece ends, pieces of 1..6 bytes (1 in round 0)
      for (size_t at = 0; at < text.size();) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        at = std::min(text.size(), at + (round == 0 ? 1 : 1 + (rng >> 33) % 6));
        cuts.push_back(at);
      }
      EXPECT_EQ(streamed_deltas(text, opt, cuts), reference_deltas(text, opt, cuts))
          << "round " << round << " text " << text.substr(0, 80);
    }
  }
}

TEST(ToolCalls, TruncatedCallBecomesContent) {
  std::string text = "<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": ";
  ParsedOutput p = parse_chat_output(text, kTools);
  EXPECT_TRUE(p.tool_calls.empty());
  EXPECT_EQ(p.content, text);
}

}  // namespace
}  // namespace hearth::server
