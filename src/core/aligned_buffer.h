// Heap buffer aligned to 64 bytes (cache line / AVX-512 register) for kernel inputs and outputs.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <cstring>
#include <new>

namespace hearth {

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t count) { resize(count); }

  // Discards the contents; new memory is zero-initialized.
  void resize(size_t count) {
    if (count == count_) return;
    size_t bytes = ((count * sizeof(T) + 63) / 64) * 64;
    if (bytes == 0) bytes = 64;
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    data_.reset(static_cast<T*>(p));
    count_ = count;
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t size() const { return count_; }
  T& operator[](size_t i) { return data_.get()[i]; }
  const T& operator[](size_t i) const { return data_.get()[i]; }

 private:
  std::unique_ptr<T, AlignedFree> data_;
  size_t count_ = 0;
};

}  // namespace hearth
