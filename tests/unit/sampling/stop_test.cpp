#include "sampling/stop.h"

#include <gtest/gtest.h>

namespace hearth::sampling {
namespace {

TEST(StopMatcher, PassesTextWithoutStops) {
  StopMatcher m({});
  EXPECT_EQ(m.push("hello "), "hello ");
  EXPECT_EQ(m.push("world"), "world");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, HoldsBackPartialMatchAndCutsAtStop) {
  StopMatcher m({"\nUser:"});
  EXPECT_EQ(m.push("Hi there\nUs"), "Hi there");
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.push("er: more"), "");
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "\nUser:");
  EXPECT_EQ(m.push("ignored"), "");
  EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcher, ReleasesHeldTextWhenMatchFails) {
  StopMatcher m({"END"});
  EXPECT_EQ(m.push("the EN"), "the ");
  EXPECT_EQ(m.push("D"), "");
  EXPECT_TRUE(m.stopped());
  StopMatcher n({"END"});
  EXPECT_EQ(n.push("the EN"), "the ");
  EXPECT_EQ(n.push("ergy"), "ENergy");
  EXPECT_EQ(n.flush(), "");
  StopMatcher o({"END"});
  EXPECT_EQ(o.push("x E"), "x ");
  EXPECT_EQ(o.flush(), "E");
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher m({"cd", "b"});
  EXPECT_EQ(m.push("abcd"), "a");
  EXPECT_EQ(m.matched(), "b");
}

}  // namespace
}  // namespace hearth::sampling
