// Zero-initialized anonymous memory for large read-mostly buffers (repacked weights): 2 MiB
// aligned and advised for transparent huge pages (MADV_HUGEPAGE) before the first touch, so a
// weight stream walks one TLB entry per 2 MiB instead of one per 4 KiB. Where THP is off or
// madvise fails the buffer still works with 4 KiB pages (huge_pages_advised() says which). Only
// whole 2 MiB pages are advised: the last partial one stays in 4 KiB pages, so a buffer costs
// at most 4 KiB more resident memory than its size (the fit predictions stay exact).
#pragma once

#include <cstddef>
#include <cstdint>

namespace hearth {

// False when the environment sets HEARTH_HUGE_PAGES=0 (buffers then skip MADV_HUGEPAGE: A/B
// measurements of the page size; read once per process).
bool huge_pages_enabled();

class HugePageBuffer {
 public:
  static constexpr size_t kHugePage = size_t{2} << 20;  // x86-64 PMD page

  HugePageBuffer() = default;
  explicit HugePageBuffer(size_t bytes) { resize(bytes); }
  ~HugePageBuffer() { release(); }
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  HugePageBuffer(HugePageBuffer&& o) noexcept { swap(o); }
  HugePageBuffer& operator=(HugePageBuffer&& o) noexcept {
    if (this != &o) {
      release();
      swap(o);
    }
    return *this;
  }

  // Discards the contents; the new memory reads as zeros. Throws std::bad_alloc when the
  // mapping fails. Buffers under one huge page come from the ordinary heap (64-byte aligned).
  // advise_huge = false asks for 4 KiB pages (MADV_NOHUGEPAGE; the bandwidth probe's
  // comparison buffer), as does HEARTH_HUGE_PAGES=0.
  void resize(size_t bytes, bool advise_huge = true);

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // Whether madvise(MADV_HUGEPAGE) accepted the range (the kernel may still use 4 KiB pages
  // when it has no free 2 MiB page; /proc/PID/smaps_rollup AnonHugePages shows what it did).
  bool huge_pages_advised() const { return advised_; }

 private:
  void release();
  void swap(HugePageBuffer& o) noexcept;

  uint8_t* data_ = nullptr;  // (size_) bytes
  size_t size_ = 0;
  void* map_ = nullptr;  // the mmap'ed range (nullptr: data_ is from aligned_alloc)
  size_t map_bytes_ = 0;
  bool advised_ = false;
};

}  // namespace hearth
