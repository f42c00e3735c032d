#include "server/tool_calls.h"

#include <cctype>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>

namespace hearth::server {
namespace {

using json = nlohmann::json;
constexpr size_t npos = std::string::npos;

const char* const kThinkOpen = "<think>";
const char* const kThinkClose = "</think>";
const char* const kHermesOpen = "<tool_call>";
const char* const kHermesClose = "</tool_call>";
const char* const kMistral = "[TOOL_CALLS]";
const char* const kPythonTag = "<|python_tag|>";

bool is_ws(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}
size_t skip_ws(const std::string& s, size_t i) {
  while (i < s.size() && is_ws(s[i])) ++i;
  return i;
}
std::string trim(const std::string& s) {
  size_t b = skip_ws(s, 0), e = s.size();
  while (e > b && is_ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}
std::string rtrim(std::string s) {
  while (!s.empty() && is_ws(s.back())) s.pop_back();
  return s;
}
// Length of the longest suffix of s (from `from`) that is a proper prefix of `marker`.
size_t partial_marker_suffix(const std::string& s, size_t from, const std::string& marker) {
  for (size_t len = std::min(marker.size() - 1, s.size() - from); len > 0; --len)
    if (s.compare(s.size() - len, len, marker, 0, len) == 0) return len;
  return 0;
}

enum class Scan { kComplete, kIncomplete, kInvalid };

// Scans a JSON string starting at s[i] == '"'; *end is one past the closing quote.
Scan scan_string(const std::string& s, size_t i, size_t* end) {
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] == '\\') {
      ++j;
    } else if (s[j] == '"') {
      *end = j + 1;
      return Scan::kComplete;
    }
  }
  return Scan::kIncomplete;
}

// Scans an object or array starting at s[i]: brackets and strings only.
Scan scan_container(const std::string& s, size_t i, size_t* end, ValueMemo* memo) {
  size_t j = i;
  std::string closers;
  bool in_string = false;
  if (memo && memo->begin == i) {
    j = memo->at;
    closers = memo->closers;
    in_string = memo->in_string;
  }
  for (; j < s.size(); ++j) {
    const char c = s[j];
    if (in_string) {
      if (c == '\\') {
        if (j + 1 >= s.size()) break;  // resume at the backslash
        ++j;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      closers.push_back(c == '{' ? '}' : ']');
    } else if (c == '}' || c == ']') {
      if (closers.empty() || closers.back() != c) return Scan::kInvalid;
      closers.pop_back();
      if (closers.empty()) {
        *end = j + 1;
        return Scan::kComplete;
      }
    }
  }
  if (memo) *memo = {i, j, std::move(closers), in_string};
  return Scan::kIncomplete;
}

// Scans one JSON value starting at s[i] (no deep validation: brackets, strings, literals).
Scan scan_value(const std::string& s, size_t i, size_t* end, ValueMemo* memo = nullptr) {
  if (i >= s.size()) return Scan::kIncomplete;
  if (s[i] == '"') return scan_string(s, i, end);
  if (s[i] == '{' || s[i] == '[') return scan_container(s, i, end, memo);
  size_t j = i;
  while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' ||
                          s[j] == '-' || s[j] == '+'))
    ++j;
  if (j == i) return Scan::kInvalid;
  if (j == s.size()) return Scan::kIncomplete;
  *end = j;
  return Scan::kComplete;
}

// A {"name": ..., "arguments" | "parameters": ...} object, complete or still arriving.
struct CallScan {
  Scan state = Scan::kIncomplete;
  size_t end = 0;  // one past '}' when complete
  ParsedToolCall call;
  bool has_name = false, args_is_string = false;
};

CallScan scan_call_object(const std::string& s, size_t i, bool final, ValueMemo* memo) {
  CallScan c;
  size_t args_begin = npos;
  auto finish = [&](Scan st) {
    c.state = st;
    if (args_begin != npos && !c.call.args_complete && !c.args_is_string)
      c.call.arguments = rtrim(s.substr(args_begin));
    if (st == Scan::kComplete && args_begin == npos) {
      c.call.arguments = "{}";
      c.call.args_complete = true;
    }
    if (st == Scan::kIncomplete && final) c.state = Scan::kInvalid;
    return c;
  };
  size_t pos = skip_ws(s, i + 1);
  if (pos < s.size() && s[pos] == '}') return c.end = pos + 1, finish(Scan::kComplete);
  for (;;) {
    if (pos >= s.size()) return finish(Scan::kIncomplete);
    if (s[pos] != '"') return finish(Scan::kInvalid);
    size_t kend = 0;
    if (scan_string(s, pos, &kend) != Scan::kComplete) return finish(Scan::kIncomplete);
    json key_json = json::parse(s.substr(pos, kend - pos), nullptr, false);
    if (!key_json.is_string()) return finish(Scan::kInvalid);  // a bad escape
    std::string key = key_json.get<std::string>();
    pos = skip_ws(s, kend);
    if (pos >= s.size()) return finish(Scan::kIncomplete);
    if (s[pos] != ':') return finish(Scan::kInvalid);
    size_t v = skip_ws(s, pos + 1), vend = 0;
    if (v >= s.size()) return finish(Scan::kIncomplete);
    const bool is_args = key == "arguments" || key == "parameters";
    if (is_args) {
      args_begin = v;
      c.args_is_string = s[v] == '"';
    }
    Scan st = scan_value(s, v, &vend, memo);
    if (st != Scan::kComplete) return finish(st);
    std::string raw = s.substr(v, vend - v);
    if (key == "name") {
      json n = json::parse(raw, nullptr, false);
      if (!n.is_string()) return finish(Scan::kInvalid);
      c.call.name = n.get<std::string>();
      c.call.name_complete = c.has_name = true;
    } else if (is_args) {
      json a = json::parse(raw, nullptr, false);
      if (a.is_discarded()) return finish(Scan::kInvalid);
      c.call.arguments = a.is_string() ? a.get<std::string>() : raw;
      c.call.args_complete = true;
    }
    pos = skip_ws(s, vend);
    if (pos >= s.size()) return finish(Scan::kIncomplete);
    if (s[pos] == '}') return c.end = pos + 1, finish(Scan::kComplete);
    if (s[pos] != ',') return finish(Scan::kInvalid);
    pos = skip_ws(s, pos + 1);
  }
}

// {"tool_call": {...}} or {"tool_calls": [...]} (generic JSON answers), complete texts only.
bool parse_wrapped_calls(const std::string& raw, std::vector<ParsedToolCall>* out) {
  json j = json::parse(raw, nullptr, false);
  if (!j.is_object()) return false;
  json list = j.contains("tool_calls")  ? j["tool_calls"]
              : j.contains("tool_call") ? json::array({j["tool_call"]})
                                        : json();
  if (!list.is_array() || list.empty()) return false;
  std::vector<ParsedToolCall> calls;
  for (json c : list) {
    if (c.is_object() && c.contains("function")) c = c["function"];
    if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) return false;
    json args = c.contains("arguments") ? c["arguments"] : c.value("parameters", json::object());
    ParsedToolCall p{c["name"].get<std::string>(),
                     args.is_string() ? args.get<std::string>() : args.dump(), true, true};
    calls.push_back(std::move(p));
  }
  out->insert(out->end(), calls.begin(), calls.end());
  return true;
}

// Parses the calls after a marker, in a list `[a, b]` (Mistral) or one after another separated
// by whitespace / ';' (python tag), or one per <tool_call>...</tool_call>. Returns the position
// after them, or npos when the text ends inside them (a partial call may have been added).
enum class Layout { kHermes, kList, kSequence };

size_t parse_calls(const std::string& r, size_t pos, Layout layout, bool final,
                   std::vector<ParsedToolCall>* calls, bool* invalid, ValueMemo* memo = nullptr) {
  pos = skip_ws(r, pos);
  if (layout == Layout::kList) {
    if (pos >= r.size()) return npos;
    if (r[pos] == '[')
      pos = skip_ws(r, pos + 1);
    else if (r[pos] != '{')
      return *invalid = true, pos;
  }
  for (;;) {
    if (pos >= r.size()) return npos;
    if (r[pos] != '{') return *invalid = true, pos;
    CallScan c = scan_call_object(r, pos, final, memo);
    if (c.state == Scan::kInvalid || (c.state == Scan::kComplete && !c.has_name))
      return *invalid = true, pos;
    if (c.state == Scan::kIncomplete) {
      if (c.has_name) calls->push_back(c.call);
      return npos;
    }
    calls->push_back(c.call);
    pos = skip_ws(r, c.end);
    if (layout == Layout::kHermes) {
      if (r.compare(pos, std::string(kHermesClose).size(), kHermesClose) == 0)
        return pos + std::string(kHermesClose).size();
      if (!final && std::string(kHermesClose).compare(0, r.size() - pos, r, pos) == 0) return npos;
      return pos;  // a missing close tag is tolerated
    }
    if (layout == Layout::kList) {
      if (pos >= r.size()) return final ? pos : npos;
      if (r[pos] == ']') return pos + 1;
      if (r[pos] != ',') return pos;
      pos = skip_ws(r, pos + 1);
      continue;
    }
    while (pos < r.size() && (r[pos] == ';' || is_ws(r[pos]))) ++pos;
    if (pos >= r.size() || r[pos] != '{') return pos;
  }
}

// Where a streamed parse may resume: everything before `pos` is final (content[0, n_content) and
// tool_calls[0, n_calls) of the output). content_mode: the text from `pos` on is content.
struct SafePoint {
  size_t pos = 0, n_content = 0, n_calls = 0;
  bool content_mode = false;
};

// Content and tool calls after markers, from r[pos:]; `safe` (optional) gets the last point from
// which a later call may resume with the same result as a parse from the start.
void markers_loop(const std::string& r, size_t pos, bool final, ParsedOutput* out, SafePoint* safe,
                  ValueMemo* memo = nullptr) {
  const std::pair<const char*, Layout> markers[] = {
      {kHermesOpen, Layout::kHermes}, {kMistral, Layout::kList}, {kPythonTag, Layout::kSequence}};
  auto mark = [&](size_t at, bool content_mode) {
    if (safe) *safe = {at, out->content.size(), out->tool_calls.size(), content_mode};
  };
  mark(pos, false);
  for (;;) {
    size_t best = npos;
    const std::pair<const char*, Layout>* which = nullptr;
    for (const auto& m : markers) {  // each search stops where an earlier marker was found
      const std::string_view marker = m.first;
      const size_t limit = best == npos ? r.size() : std::min(r.size(), best + marker.size());
      size_t at = std::string_view(r).substr(0, limit).find(marker, pos);
      if (at < best) best = at, which = &m;
    }
    if (best == npos) {
      size_t hold = 0;
      if (!final)
        for (const auto& m : markers) hold = std::max(hold, partial_marker_suffix(r, pos, m.first));
      out->content += r.substr(pos, r.size() - pos - hold);
      // No marker can start before the held suffix.
      return mark(r.size() - hold, false);
    }
    out->content += r.substr(pos, best - pos);
    mark(best, false);
    bool invalid = false;
    size_t after = parse_calls(r, best + std::string(which->first).size(), which->second, final,
                               &out->tool_calls, &invalid, memo);
    if (invalid) {  // not a call after all: the rest is content (calls before it stay)
      mark(best, true);
      out->content += r.substr(best);
      return;
    }
    if (after == npos) return;  // still arriving
    // Calls that end with the text (a python-tag sequence may still continue): no safe point.
    if (after >= r.size()) return;
    mark(after, false);
    pos = after;
  }
}

// The content region (after any reasoning): text and tool calls.
void parse_region(const std::string& r, bool final, bool tools, ParsedOutput* out) {
  if (!tools) return void(out->content += r);
  size_t lead = skip_ws(r, 0);
  if (lead < r.size() && r[lead] == '{') {  // a JSON answer (Llama 3.x, generic)
    size_t end = 0;
    Scan st = scan_value(r, lead, &end);
    if (st == Scan::kIncomplete && !final) {
      bool invalid = false;  // stream a Llama-3-style call once its name is known
      std::vector<ParsedToolCall> calls;
      parse_calls(r, lead, Layout::kSequence, false, &calls, &invalid);
      if (!invalid) out->tool_calls = calls;
      return;
    }
    if (st == Scan::kComplete) {
      bool invalid = false;
      std::vector<ParsedToolCall> calls;
      size_t after = parse_calls(r, lead, Layout::kSequence, final, &calls, &invalid);
      if (!invalid && after != npos && !calls.empty()) {
        out->tool_calls = calls;
        return parse_region(r.substr(after), final, tools, out);
      }
      if (after == npos && !invalid && !final) return;
      std::vector<ParsedToolCall> wrapped;
      if (parse_wrapped_calls(r.substr(lead, end - lead), &wrapped)) {
        out->tool_calls.insert(out->tool_calls.end(), wrapped.begin(), wrapped.end());
        return parse_region(r.substr(end), final, tools, out);
      }
    }
  }
  markers_loop(r, 0, final, out, nullptr);
}

// Where a streamed parse may resume instead of starting over (see ChatOutputStreamer).
struct Resume {
  enum Kind { kNone, kReasoning, kMarkers } kind = kNone;
  size_t reasoning_start = 0;  // kReasoning: inside <think>, no close seen
  SafePoint safe;              // kMarkers: in the markers loop
};

ParsedOutput parse(const std::string& text, const OutputOptions& opt, bool final,
                   Resume* resume = nullptr) {
  ParsedOutput out;
  size_t region = 0;
  if (opt.split_reasoning) {
    size_t start = npos, lead = skip_ws(text, 0);
    const std::string open = kThinkOpen, close = kThinkClose;
    if (opt.reasoning_open) {
      start = 0;
    } else if (text.compare(lead, open.size(), open) == 0) {
      start = lead + open.size();
    } else if (!final && lead < text.size() &&
               open.compare(0, text.size() - lead, text, lead) == 0) {
      return out;  // maybe "<think" arriving
    } else if (!final && lead == text.size()) {
      return out;  // only whitespace so far
    }
    if (start != npos) {
      size_t at = text.find(close, start);
      if (at == npos) {
        size_t hold = final ? 0 : partial_marker_suffix(text, start, close);
        out.reasoning = trim(text.substr(start, text.size() - start - hold));
        if (resume) *resume = {Resume::kReasoning, start, {}};
        return out;
      }
      out.reasoning = trim(text.substr(start, at - start));
      region = skip_ws(text, at + close.size());
      if (region == text.size() && !final) return out;
    }
  }
  const size_t lead = skip_ws(text, region);
  if (resume && opt.parse_tools && lead < text.size() && text[lead] != '{') {
    resume->kind = Resume::kMarkers;  // what parse_region does without a JSON answer, in place
    markers_loop(text, region, final, &out, &resume->safe);
    return out;
  }
  parse_region(text.substr(region), final, opt.parse_tools, &out);
  return out;
}

}  // namespace

ParsedOutput parse_chat_output(const std::string& text, const OutputOptions& opt) {
  return parse(text, opt, true);
}

ParsedOutput parse_partial_chat_output(const std::string& text, const OutputOptions& opt) {
  return parse(text, opt, false);
}

// The streamer parses from its last safe point only: inside <think> it looks at the new bytes,
// in the content region it resumes the markers loop after the last finished call (or the content
// that can no longer become markup). Only a JSON answer at the start of the region (Llama 3.x,
// generic) is re-parsed whole until it closes. Each feed yields exactly the deltas of a full parse.
std::vector<ChatDelta> ChatOutputStreamer::feed(const std::string& text) {
  text_ += text;
  // Without tools, once plain content has started (no <think> block or it has closed) the rest is
  // content as it comes: skip re-parsing the whole text at every token.
  if (!opt_.parse_tools && (content_sent_ > 0 || !opt_.split_reasoning)) {
    if (text.empty()) return {};
    content_sent_ += text.size();
    ChatDelta d;
    d.content = text;
    return {d};
  }
  if (phase_ == Phase::kReasoning) {
    const std::string close = kThinkClose;
    if (text_.find(close, close_from_) == npos) return reasoning_deltas();
    phase_ = Phase::kFull;  // </think> arrived: one full parse finds the region
  }
  if (phase_ == Phase::kMarkers) return markers_deltas(false);
  if (phase_ == Phase::kContent) return content_deltas();
  Resume r;
  std::vector<ChatDelta> out = diff(parse(text_, opt_, false, &r), 0, 0);
  if (r.kind == Resume::kReasoning) {
    phase_ = Phase::kReasoning;
    start_ = close_from_ = r.reasoning_start;
    reasoning_lead_ = npos;
  } else if (r.kind == Resume::kMarkers) {
    advance(r.safe.pos, r.safe.n_content, r.safe.n_calls, r.safe.content_mode);
  }
  return out;
}

std::vector<ChatDelta> ChatOutputStreamer::finish() {
  if (!opt_.parse_tools && (content_sent_ > 0 || !opt_.split_reasoning)) return {};
  if (phase_ == Phase::kMarkers) return markers_deltas(true);
  if (phase_ == Phase::kContent) return content_deltas();
  return diff(parse(text_, opt_, true), 0, 0);
}

void ChatOutputStreamer::advance(size_t pos, size_t n_content, size_t n_calls, bool content_mode) {
  start_ = pos;
  content_base_ += n_content;
  calls_base_ += n_calls;
  phase_ = content_mode ? Phase::kContent : Phase::kMarkers;
}

std::vector<ChatDelta> ChatOutputStreamer::markers_deltas(bool final) {
  ParsedOutput tail;
  SafePoint sp;
  markers_loop(text_, start_, final, &tail, &sp, &memo_);
  std::vector<ChatDelta> out = diff(tail, content_base_, calls_base_);
  if (!final) advance(sp.pos, sp.n_content, sp.n_calls, sp.content_mode);
  return out;
}

std::vector<ChatDelta> ChatOutputStreamer::content_deltas() {
  const size_t total = content_base_ + (text_.size() - start_);  // content is text_[start_:]
  if (total <= content_sent_) return {};
  ChatDelta d;
  d.content = text_.substr(start_ + (content_sent_ - content_base_));
  content_sent_ = total;
  return {d};
}

// Inside <think> without a close yet: the reasoning is the trimmed text after the open tag, less
// a suffix that may become "</think>"; only the new bytes are looked at.
std::vector<ChatDelta> ChatOutputStreamer::reasoning_deltas() {
  const std::string close = kThinkClose;
  const size_t hold = partial_marker_suffix(text_, start_, close);
  close_from_ = std::max(start_, text_.size() - std::min(text_.size(), close.size() - 1));
  if (reasoning_lead_ == npos) {
    const size_t lead = skip_ws(text_, start_);
    if (lead < text_.size()) reasoning_lead_ = lead;
  }
  if (reasoning_lead_ == npos) return {};
  size_t end = text_.size() - hold;
  while (end > reasoning_lead_ && is_ws(text_[end - 1])) --end;
  if (end <= reasoning_lead_ || end - reasoning_lead_ <= reasoning_sent_) return {};
  ChatDelta d;
  d.reasoning =
      text_.substr(reasoning_lead_ + reasoning_sent_, end - reasoning_lead_ - reasoning_sent_);
  reasoning_sent_ = end - reasoning_lead_;
  return {d};
}

// Deltas from `now`, the parse of the text after a point where content_base bytes of content and
// calls_base tool calls were final (and sent).
std::vector<ChatDelta> ChatOutputStreamer::diff(const ParsedOutput& now, size_t content_base,
                                                size_t calls_base) {
  std::vector<ChatDelta> out;
  if (now.reasoning.size() > reasoning_sent_) {
    out.push_back({});
    out.back().reasoning = now.reasoning.substr(reasoning_sent_);
    reasoning_sent_ = now.reasoning.size();
  }
  if (content_base + now.content.size() > content_sent_) {
    out.push_back({});
    out.back().content = now.content.substr(content_sent_ - content_base);
    content_sent_ = content_base + now.content.size();
  }
  for (size_t j = 0; j < now.tool_calls.size(); ++j) {
    const ParsedToolCall& c = now.tool_calls[j];
    const size_t i = calls_base + j;
    if (i >= ids_.size()) {
      if (!c.name_complete) break;
      ids_.push_back(new_tool_call_id());
      args_sent_.push_back(0);
      ChatDelta d;
      d.tool_index = static_cast<int>(i);
      d.tool_id = ids_.back();
      d.tool_name = c.name;
      out.push_back(d);
    }
    if (c.arguments.size() > args_sent_[i]) {
      ChatDelta d;
      d.tool_index = static_cast<int>(i);
      d.arguments = c.arguments.substr(args_sent_[i]);
      args_sent_[i] = c.arguments.size();
      out.push_back(d);
    }
  }
  return out;
}

std::string new_tool_call_id() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id = "call_";
  for (int i = 0; i < 24; ++i) id += chars[rng() % 62];
  return id;
}

}  // namespace hearth::server
