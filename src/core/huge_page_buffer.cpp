#include "core/huge_page_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace hearth {

bool huge_pages_enabled() {
  static const bool enabled = [] {
    const char* env = std::getenv("HEARTH_HUGE_PAGES");
    return env == nullptr || std::strcmp(env, "0") != 0;
  }();
  return enabled;
}

void HugePageBuffer::resize(size_t bytes, bool advise_huge) {
  release();
  if (bytes == 0) return;
  if (bytes < kHugePage) {  // small: a huge page would waste most of itself
    const size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, rounded);
    data_ = static_cast<uint8_t*>(p);
    size_ = bytes;
    return;
  }
  // over-map by one huge page, then unmap the unaligned head and the tail; the mapping ends
  // at the last 4 KiB page the buffer needs, so resident memory grows by < 4 KiB per buffer
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t want = (bytes + page - 1) / page * page;
  const size_t span = want + kHugePage;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (base + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > base) munmap(raw, aligned - base);
  const uintptr_t tail = aligned + want, end = base + span;
  if (end > tail) munmap(reinterpret_cast<void*>(tail), end - tail);
  map_ = reinterpret_cast<void*>(aligned);
  map_bytes_ = want;
  // before the first touch, so the first fault can take a whole 2 MiB page; only the whole
  // huge pages are advised (a partial last one would make the kernel fault in all 2 MiB);
  // failure (THP compiled out or "never") only means 4 KiB pages
  const size_t huge_bytes = bytes / kHugePage * kHugePage;
  if (advise_huge && huge_pages_enabled()) {
    advised_ = madvise(map_, huge_bytes, MADV_HUGEPAGE) == 0;
  } else {  // ask for 4 KiB pages even where THP is "always" (page-size A/B, the 4 KiB probe)
    madvise(map_, map_bytes_, MADV_NOHUGEPAGE);
  }
  data_ = static_cast<uint8_t*>(map_);
  size_ = bytes;
}

void HugePageBuffer::release() {
  if (map_ != nullptr) {
    munmap(map_, map_bytes_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  size_ = 0;
  map_ = nullptr;
  map_bytes_ = 0;
  advised_ = false;
}

void HugePageBuffer::swap(HugePageBuffer& o) noexcept {
  std::swap(data_, o.data_);
  std::swap(size_, o.size_);
  std::swap(map_, o.map_);
  std::swap(map_bytes_, o.map_bytes_);
  std::swap(advised_, o.advised_);
}

}  // namespace hearth
