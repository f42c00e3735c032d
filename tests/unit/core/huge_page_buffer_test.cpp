#include "core/huge_page_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

namespace hearth {
namespace {

bool all_zero(const HugePageBuffer& b) {
  for (size_t i = 0; i < b.size(); ++i)
    if (b.data()[i] != 0) return false;
  return true;
}

TEST(HugePageBuffer, LargeBuffersAreZeroedAndHugePageAligned) {
  const size_t bytes = 2 * HugePageBuffer::kHugePage + 12345;  // not a multiple of 2 MiB
  HugePageBuffer b(bytes);
  ASSERT_EQ(b.size(), bytes);
  ASSERT_NE(b.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % HugePageBuffer::kHugePage, 0u);
  EXPECT_TRUE(all_zero(b));
  b.data()[0] = 1;
  b.data()[bytes - 1] = 2;  // the last byte is writable
  EXPECT_EQ(b.data()[bytes - 1], 2);
}

TEST(HugePageBuffer, SmallBuffersComeFromTheHeapZeroed) {
  HugePageBuffer b(100);
  ASSERT_EQ(b.size(), 100u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % 64, 0u);
  EXPECT_FALSE(b.huge_pages_advised());
  EXPECT_TRUE(all_zero(b));
}

TEST(HugePageBuffer, ResizeDiscardsAndMoveTransfersOwnership) {
  HugePageBuffer a(HugePageBuffer::kHugePage);
  a.data()[7] = 9;
  a.resize(3 * HugePageBuffer::kHugePage);
  EXPECT_EQ(a.size(), 3 * HugePageBuffer::kHugePage);
  EXPECT_EQ(a.data()[7], 0);  // new memory reads as zeros
  a.data()[7] = 5;
  HugePageBuffer b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(a.size(), 0u);
  ASSERT_EQ(b.size(), 3 * HugePageBuffer::kHugePage);
  EXPECT_EQ(b.data()[7], 5);
  HugePageBuffer c(64);
  c = std::move(b);
  EXPECT_EQ(c.data()[7], 5);
  c.resize(0);
  EXPECT_EQ(c.data(), nullptr);
  EXPECT_EQ(c.size(), 0u);
}

}  // namespace
}  // namespace hearth
