// Splitting generated chat text into content, reasoning (<think>...</think>) and tool calls, for
// the formats models are trained on:
//   Hermes / Qwen   <tool_call>{"name": "f", "arguments": {...}}</tool_call> (repeated)
//   Llama 3.x       {"name": "f", "parameters": {...}} as the whole answer, or after <|python_tag|>
//   Mistral         [TOOL_CALLS][{"name": "f", "arguments": {...}}, ...]
//   generic         a JSON answer {"name", "arguments"}, {"tool_call": {...}} or
//                   {"tool_calls": [...]}
// Pure functions over text: parse_chat_output() for a finished text, ChatOutputStreamer for the
// deltas while tokens arrive (the concatenated deltas equal the finished parse).
#pragma once

#include <string>
#include <vector>

namespace hearth::server {

struct OutputOptions {
  bool parse_tools = false;     // tools were offered (tool_choice != none)
  bool reasoning_open = false;  // the prompt ended inside <think>: output starts as reasoning
  bool split_reasoning = true;  // <think>...</think> -> reasoning_content
};

// Where the scan of an unfinished JSON object / array stopped, so that the next scan of the same
// value (the text has grown) resumes there instead of starting over (ChatOutputStreamer).
struct ValueMemo {
  size_t begin = std::string::npos;  // text offset of the value's '{' or '['
  size_t at = 0;                     // next byte to look at
  std::string closers;               // brackets still open, innermost last
  bool in_string = false;
};

struct ParsedToolCall {
  std::string name;
  std::string arguments;       // JSON text of the arguments object
  bool name_complete = false;  // (streaming) the name string is closed
  bool args_complete = false;  // (streaming) the arguments value is closed
};

struct ParsedOutput {
  std::string content, reasoning;
  std::vector<ParsedToolCall> tool_calls;
};

// Parses a finished generation.
ParsedOutput parse_chat_output(const std::string& text, const OutputOptions& opt);

// The parse of a generation still running: content and reasoning hold back what could still turn
// into markup (a partial "<tool_call>", "</think>", a JSON answer not closed yet); tool calls
// carry as much of their arguments as has arrived. Every later parse extends the earlier one.
ParsedOutput parse_partial_chat_output(const std::string& text, const OutputOptions& opt);

// One streamed piece; exactly one of the groups is set.
struct ChatDelta {
  std::string content;
  std::string reasoning;
  int tool_index = -1;  // >= 0: a tool-call delta
  std::string tool_id;  // set on a call's first delta (with tool_name)
  std::string tool_name;
  std::string arguments;  // the next piece of the arguments JSON text
};

// Incremental: each feed parses only from the last point where the output so far became final
// (after a finished tool call, content that can no longer turn into markup, the start of a
// <think> block), so a long streamed output costs linear time, not quadratic.
class ChatOutputStreamer {
 public:
  explicit ChatOutputStreamer(OutputOptions opt) : opt_(opt) {}
  // Adds generated text; returns the deltas that became certain.
  std::vector<ChatDelta> feed(const std::string& text);
  // The generation ended: returns the rest.
  std::vector<ChatDelta> finish();
  bool has_tool_calls() const { return !ids_.empty(); }
  const std::vector<std::string>& tool_call_ids() const { return ids_; }

 private:
  // kFull: parse from the start; kReasoning: inside <think> from start_; kMarkers: resume the
  // markers loop at start_; kContent: text_[start_:] is all content.
  enum class Phase { kFull, kReasoning, kMarkers, kContent };

  std::vector<ChatDelta> diff(const ParsedOutput& now, size_t content_base, size_t calls_base);
  std::vector<ChatDelta> reasoning_deltas();
  std::vector<ChatDelta> markers_deltas(bool final);
  std::vector<ChatDelta> content_deltas();
  void advance(size_t pos, size_t n_content, size_t n_calls, bool content_mode);

  OutputOptions opt_;
  std::string text_;
  size_t content_sent_ = 0, reasoning_sent_ = 0;
  Phase phase_ = Phase::kFull;
  size_t start_ = 0;                           // text_ offset the phase resumes at
  size_t content_base_ = 0;                    // content bytes before start_ (final)
  size_t calls_base_ = 0;                      // tool calls before start_ (final)
  size_t close_from_ = 0;                      // kReasoning: "</think>" cannot start before this
  size_t reasoning_lead_ = std::string::npos;  // kReasoning: first non-space byte of reasoning
  ValueMemo memo_;                             // kMarkers: the value of the call being scanned
  std::vector<std::string> ids_;               // (calls started)
  std::vector<size_t> args_sent_;              // (calls started)
};

// "call_" + 24 random alphanumerics.
std::string new_tool_call_id();

}  // namespace hearth::server
