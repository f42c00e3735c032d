// Steady-state decode throughput of a closed-loop load test, comparable to llama-batched-bench's
// S_TG (generation with every sequence decoding together, no prompt processing in the way).
//
// Each request contributes its decode interval [first token, last token] and the arrival times of
// its content chunks after the first. The "full-decode window" is the set of instants at which
// `concurrency` decode intervals are open at once, i.e. every client's current request has its
// first token and has not finished (no client is waiting for a prompt to be processed). Decode
// throughput = chunks (tokens) arriving inside that window / the window's total length.
// Header-only and pure so tests can check it directly.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

namespace hearth::tools {

struct DecodeTrace {
  double first_s = 0;              // arrival of the first content chunk (seconds since level start)
  double last_s = 0;               // arrival of the last content chunk
  std::vector<double> arrivals_s;  // (chunks after the first) arrival times, ascending
};

struct DecodeWindow {
  double window_s = 0;  // total time with `concurrency` streams all past their first token
  long tokens = 0;      // chunks arriving inside that time
  double tokens_per_s() const { return window_s > 0 ? static_cast<double>(tokens) / window_s : 0; }
};

inline DecodeWindow full_decode_window(const std::vector<DecodeTrace>& traces, int concurrency) {
  // Sweep the interval ends: +1 at first_s, -1 at last_s (ends sort before starts at one instant,
  // so back-to-back requests of one client never look like two open streams).
  std::vector<std::pair<double, int>> events;  // (2 * n_traces) (time, +1 | -1)
  for (const DecodeTrace& t : traces) {
    if (t.last_s <= t.first_s) continue;  // a single chunk: no decode interval
    events.emplace_back(t.first_s, +1);
    events.emplace_back(t.last_s, -1);
  }
  std::sort(events.begin(), events.end());
  std::vector<std::pair<double, double>> spans;  // windows [begin, end) with all streams open
  int open = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    open += events[i].second;
    if (open >= concurrency && i + 1 < events.size() && events[i + 1].first > events[i].first)
      spans.emplace_back(events[i].first, events[i + 1].first);
  }
  DecodeWindow w;
  for (const auto& [b, e] : spans) w.window_s += e - b;
  if (spans.empty()) return w;
  for (const DecodeTrace& t : traces) {
    for (double a : t.arrivals_s) {
      // spans are sorted and disjoint: find the last span starting at or before a.
      auto it = std::upper_bound(
          spans.begin(), spans.end(), a,
          [](double x, const std::pair<double, double>& s) { return x < s.first; });
      if (it == spans.begin()) continue;
      --it;
      if (a > it->first && a <= it->second) ++w.tokens;
    }
  }
  return w;
}

}  // namespace hearth::tools
