#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "server/chat_format.h"
#include "server_fixture.h"
#include "test_util.h"

namespace hearth::testing {
namespace {

std::vector<json> ndjson(const std::string& body) {
  std::vector<json> out;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

TEST(Ollama, GenerateStreamsNdjsonWithFinalStats) {
  TestServer s;
  auto r = s.post("/api/generate", {{"model", "brown-6m"},
                                    {"prompt", "Why is the sky blue?"},
                                    {"options", {{"num_predict", 5}, {"temperature", 0}}}});
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->get_header_value("Content-Type").find("application/x-ndjson"), std::string::npos);
  auto lines = ndjson(r->body);
  ASSERT_GE(lines.size(), 2u);
  std::string text;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_FALSE(lines[i]["done"].get<bool>());
    text += lines[i]["response"].get<std::string>();
  }
  const json& last = lines.back();
  EXPECT_TRUE(last["done"].get<bool>());
  EXPECT_EQ(last["done_reason"], "length");
  EXPECT_EQ(last["eval_count"], 5);
  EXPECT_EQ(text.size(), 5u);
  EXPECT_GT(last["total_duration"].get<int64_t>(), 0);
  EXPECT_GE(last["total_duration"].get<int64_t>(), last["eval_duration"].get<int64_t>());
  EXPECT_GT(last["prompt_eval_count"].get<int>(), 0);
}

TEST(Ollama, ChatNonStreaming) {
  TestServer s;
  auto r = s.post("/api/chat", {{"model", "brown-6m:latest"},
                                {"messages", {{{"role", "user"}, {"content", "hi"}}}},
                                {"stream", false},
                                {"options", {{"num_predict", 4}, {"seed", 3}}}});
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["message"]["role"], "assistant");
  EXPECT_EQ(j["message"]["content"].get<std::string>().size(), 4u);
  EXPECT_TRUE(j["done"].get<bool>());
}

TEST(Ollama, ErrorsAndMetadataRoutes) {
  TestServer s;
  auto nf = s.post("/api/generate", {{"model", "llama3"}, {"prompt", "x"}});
  EXPECT_EQ(nf->status, 404);
  EXPECT_TRUE(json::parse(nf->body)["error"].is_string());
  auto bad =
      s.post("/api/generate",
             {{"model", "brown-6m"}, {"prompt", "x"}, {"options", {{"temperature", "warm"}}}});
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("options.temperature"), std::string::npos);
  auto ctx = s.post("/api/generate",
                    {{"model", "brown-6m"}, {"prompt", "x"}, {"options", {{"num_ctx", 100000}}}});
  EXPECT_EQ(ctx->status, 400);
  auto tags = json::parse(s.client().Get("/api/tags")->body);
  EXPECT_EQ(tags["models"][0]["name"], "brown-6m");
  EXPECT_EQ(json::parse(s.client().Get("/api/ps")->body)["models"].size(), 1u);
  EXPECT_EQ(json::parse(s.client().Get("/api/version")->body)["version"], "0.1.0");
  auto show = s.post("/api/show", {{"name", "brown-6m"}});
  ASSERT_EQ(show->status, 200);
  EXPECT_EQ(json::parse(show->body)["details"]["format"], "gguf");
  EXPECT_EQ(s.client().Get("/")->status, 200);
  EXPECT_EQ(s.client().Head("/")->status, 200);
  auto load = s.post("/api/generate", {{"model", "brown-6m"}});
  EXPECT_EQ(json::parse(load->body)["done_reason"], "load");
}

TEST(ChatFormat, RendersEachFamily) {
  using server::ChatFormat;
  std::vector<server::ChatMessage> m = {
      {"system", "S"}, {"user", "U"}, {"assistant", "A"}, {"user", "V"}};
  EXPECT_EQ(
      server::apply_chat_format(ChatFormat::kChatML, m),
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n"
      "A<|im_end|>\n<|im_start|>user\nV<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(server::apply_chat_format(ChatFormat::kLlama3, {{"user", "U"}}),
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(server::apply_chat_format(ChatFormat::kLlama2, m),
            "[INST] <<SYS>>\nS\n<</SYS>>\n\nU [/INST] A</s><s>[INST] V [/INST]");
  EXPECT_EQ(server::apply_chat_format(ChatFormat::kMistral, m),
            "[INST] S\n\nU [/INST]A</s>[INST] V [/INST]");
  EXPECT_EQ(server::apply_chat_format(ChatFormat::kGemma, {{"system", "S"}, {"user", "U"}}),
            "<start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\n");
  EXPECT_EQ(server::apply_chat_format(ChatFormat::kPhi3, {{"user", "U"}}),
            "<|user|>\nU<|end|>\n<|assistant|>\n");
  EXPECT_EQ(server::parse_chat_format("llama-3"), ChatFormat::kLlama3);
  EXPECT_FALSE(server::parse_chat_format("vicuna"));
}

TEST(ChatFormat, DetectsFromRealTemplates) {
  HEARTH_REQUIRE_TESTDATA();
  auto read = [](const std::string& name) {
    std::ifstream f(testdata_path("templates/" + name + ".jinja"));
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  using server::ChatFormat;
  EXPECT_EQ(server::detect_chat_format(read("Qwen-Qwen2.5-7B-Instruct")), ChatFormat::kChatML);
  EXPECT_EQ(server::detect_chat_format(read("meta-llama-Llama-3.1-8B-Instruct")),
            ChatFormat::kLlama3);
  EXPECT_EQ(server::detect_chat_format(read("microsoft-Phi-3.5-mini-instruct")), ChatFormat::kPhi3);
  EXPECT_EQ(server::detect_chat_format(read("mistralai-Mistral-Nemo-Instruct-2407")),
            ChatFormat::kMistral);
}

}  // namespace
}  // namespace hearth::testing
