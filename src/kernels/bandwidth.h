// Memory read bandwidth of this machine: the roofline that GEMV at batch 1 is measured against.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_pool.h"

namespace hearth::kernels {

// Reads a buffer of `bytes` (rounded up to 4 KiB; use well over the last-level cache, e.g.
// 1 GiB) with every pool thread streaming its own contiguous part through several independent
// accumulators; returns the best of `repetitions` timed passes in GB/s (1e9 bytes per second).
// The buffer is written once before timing so its pages are resident. huge_pages: the buffer
// is advised for 2 MiB pages like the repacked weights (HugePageBuffer); false: 4 KiB pages,
// a plain allocation's read loop (how llama.cpp's reference bandwidth was measured). On this
// project's VM the two differ by ~1.8x (page walks under nested paging).
double measure_read_bandwidth(ThreadPool& pool, size_t bytes, int repetitions = 3,
                              bool huge_pages = true);

// Sums the 64-bit words of [p, p + bytes) (bytes a multiple of 128) with the widest loads the
// active ISA has; the result only keeps the reads from being optimized away.
uint64_t read_sum(const void* p, size_t bytes);

}  // namespace hearth::kernels
