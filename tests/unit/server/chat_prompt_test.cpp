// ChatPrompter: Jinja rendering with messages, tools, BOS handling; normalize_messages.
#include "server/chat_prompt.h"

#include <gtest/gtest.h>

namespace hearth::server {
namespace {

using ojson = nlohmann::ordered_json;

ojson user(const std::string& text) {
  return ojson::array({{{"role", "user"}, {"content", text}}});
}

TEST(ChatPrompt, RendersJinjaWithBosEosAndGenerationPrompt) {
  auto p = ChatPrompter::create(
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor "
      "%}"
      "{% if add_generation_prompt %}[assistant]{% endif %}",
      std::nullopt, "<s>", "</s>");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->uses_jinja());
  auto r = p->render(user("hi"), ojson());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->text, "<s>[user]hi</s>[assistant]");
  EXPECT_FALSE(r->add_bos) << "the template printed BOS: the tokenizer must not add another";
  auto q = ChatPrompter::create("{{ messages[0].content }}", std::nullopt, "<s>", "</s>");
  EXPECT_TRUE(q->render(user("hi"), ojson())->add_bos);
}

TEST(ChatPrompt, ToolsAndToolCallsReachTheTemplate) {
  auto p = ChatPrompter::create(
      "{% for t in tools %}{{ t.function.name }};{% endfor %}"
      "{% for m in messages %}{{ m.role }}:{% if m.tool_calls %}"
      "{{ m.tool_calls[0].function.name }}({{ m.tool_calls[0].function.arguments.city }})"
      "{% else %}{{ m.content }}{% endif %}|{% endfor %}",
      std::nullopt, "", "");
  ASSERT_TRUE(p.ok());
  ojson raw = ojson::parse(R"([
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
      "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}])");
  ojson messages;
  std::string err;
  ASSERT_TRUE(normalize_messages(raw, &messages, &err)) << err;
  EXPECT_EQ(messages[2]["tool_call_id"], "call_1");
  ojson tools = ojson::parse(
      R"([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}])");
  ASSERT_TRUE(check_tools(tools, &err)) << err;
  auto r = p->render(messages, tools);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->text, "get_weather;user:weather?|assistant:get_weather(Paris)|tool:sunny|");
}

TEST(ChatPrompt, ErrorsNameTheProblem) {
  auto bad = ChatPrompter::create("{% for m in messages %}", std::nullopt, "", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 1"), std::string::npos) << bad.status().message();
  auto raising =
      ChatPrompter::create("{{ raise_exception('roles must alternate') }}", std::nullopt, "", "");
  ASSERT_TRUE(raising.ok());
  auto r = raising->render(user("x"), ojson());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("roles must alternate"), std::string::npos);
  auto undefined = ChatPrompter::create("{{ messages[5].content.upper() }}", std::nullopt, "", "");
  auto u = undefined->render(user("x"), ojson());
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kInternal);
  ojson out;
  std::string err;
  EXPECT_FALSE(
      normalize_messages(ojson::parse(R"([{"role": "robot", "content": "x"}])"), &out, &err));
  EXPECT_NE(err.find("robot"), std::string::npos);
  EXPECT_FALSE(normalize_messages(
      ojson::parse(R"([{"role": "assistant", "tool_calls": [{"function": {"name": "f",
        "arguments": "{not json"}}]}])"),
      &out, &err));
  EXPECT_NE(err.find("arguments"), std::string::npos);
  EXPECT_FALSE(check_tools(ojson::parse(R"([{"type": "function"}])"), &err));
}

TEST(ChatPrompt, FamilyFallbackAndThinkOpen) {
  auto fam = ChatPrompter::create("", std::nullopt, "<s>", "</s>");
  ASSERT_TRUE(fam.ok());
  EXPECT_FALSE(fam->uses_jinja());
  EXPECT_EQ(fam->describe(), "chatml");
  auto r = fam->render(user("hi"), ojson());
  EXPECT_EQ(r->text, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(r->stops, std::vector<std::string>{"<|im_end|>"});
  auto think = ChatPrompter::create("{{ messages[0].content }}<think>\n", std::nullopt, "", "");
  EXPECT_TRUE(think->render(user("q"), ojson())->reasoning_open);
}

}  // namespace
}  // namespace hearth::server
