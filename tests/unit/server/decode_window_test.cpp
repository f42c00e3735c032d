// The steady-state decode throughput of `hearth bench serve` (tools/decode_window.h): only the
// time during which every client's request is past its first token counts.
#include "../../../tools/decode_window.h"

#include <gtest/gtest.h>

namespace hearth::tools {
namespace {

DecodeTrace trace(double first, double step, int n_after) {
  DecodeTrace t{first, first + step * n_after, {}};
  for (int i = 1; i <= n_after; ++i) t.arrivals_s.push_back(first + step * i);
  return t;
}

TEST(DecodeWindow, OneStreamIsItsInterTokenRate) {
  // One client, two requests back to back: 10 tokens after the first at 0.1 s each.
  std::vector<DecodeTrace> ts = {trace(1.0, 0.1, 10), trace(4.0, 0.1, 10)};
  DecodeWindow w = full_decode_window(ts, 1);
  EXPECT_NEAR(w.window_s, 2.0, 1e-9);
  EXPECT_EQ(w.tokens, 20);
  EXPECT_NEAR(w.tokens_per_s(), 10.0, 1e-9);
}

TEST(DecodeWindow, CountsOnlyWhileAllStreamsDecode) {
  // Two clients: a decodes from t=0 to 2 (a token every 0.1 s); b's first token comes at t=1,
  // it decodes until 3. Both decode only in [1, 2]: 10 tokens of a and 10 of b arrive there.
  std::vector<DecodeTrace> ts = {trace(0.0, 0.1, 20), trace(1.0, 0.1, 20)};
  DecodeWindow w = full_decode_window(ts, 2);
  EXPECT_NEAR(w.window_s, 1.0, 1e-9);
  EXPECT_EQ(w.tokens, 20);
  EXPECT_NEAR(w.tokens_per_s(), 20.0, 1e-9);
  // With one more client than streams, no instant has every client decoding.
  EXPECT_EQ(full_decode_window(ts, 3).window_s, 0);
  EXPECT_EQ(full_decode_window(ts, 3).tokens_per_s(), 0);
}

TEST(DecodeWindow, BackToBackRequestsOfOneClientDoNotOverlap) {
  // Client 1 ends a request at t=1 exactly when its next one's first token arrives; client 2
  // decodes throughout. Two open intervals at all times in [0.5, 2], never three.
  std::vector<DecodeTrace> ts = {trace(0.0, 0.5, 2), trace(1.0, 0.5, 2), trace(0.5, 0.5, 3)};
  DecodeWindow w = full_decode_window(ts, 2);
  EXPECT_NEAR(w.window_s, 1.5, 1e-9);
  EXPECT_EQ(full_decode_window(ts, 3).window_s, 0);
}

}  // namespace
}  // namespace hearth::tools
