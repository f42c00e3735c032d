// Importance matrices: per-column statistics of the activations entering each weight matrix
// (the mean of x^2 over the tokens of a calibration text), used by the quantizers to weight the
// rounding error of each column. Stored in llama.cpp's legacy imatrix `.dat` format, which
// llama.cpp's llama-quantize and llama-imatrix read:
//   i32 n_entries
//   n_entries x { i32 name_len, char name[name_len], i32 ncall, i32 nval, f32 values[nval] }
//   i32 chunks, i32 dataset_len, char dataset[dataset_len]     (optional trailer)
// where values[j] = (sum of x_j^2 / count_j) * ncall; readers divide by ncall.
// Or in llama.cpp's newer GGUF imatrix (`imatrix.gguf`): metadata general.type = "imatrix",
// imatrix.datasets (array of strings), imatrix.chunk_count and imatrix.chunk_size (u32); per
// matrix NAME two F32 tensors, NAME.in_sum2 (ne = [cols, 1]: the sums of x_j^2) and NAME.counts
// (ne = [1, 1]: the tokens observed); readers divide the sums by the count.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace hearth::quantize {

// Running sums for one weight matrix (its input has `cols` values per token).
struct ImatrixEntry {
  std::vector<double> sum_sq;  // (cols) sum over observed tokens of x_j^2
  int64_t count = 0;           // tokens observed (the same for every column)
  int32_t ncall = 0;           // forward batches observed
};

struct Imatrix {
  std::map<std::string, ImatrixEntry> entries;  // by tensor name ("blk.0.attn_q.weight")
  int32_t chunks = 0;                           // chunks of text processed
  int32_t chunk_size = 0;                       // tokens per chunk (0: unknown, legacy .dat)
  std::string dataset;                          // the calibration text's file name

  // The importance weights quantize uses for `tensor` (cols values: mean x_j^2), or an empty
  // vector when the matrix has no entry.
  std::vector<float> weights_for(const std::string& tensor) const;
};

Status write_imatrix_dat(const Imatrix& m, const std::string& path);
// Reads a legacy .dat file; errors name the file and what is wrong (truncated, bad lengths).
Result<Imatrix> read_imatrix_dat(const std::string& path);

Status write_imatrix_gguf(const Imatrix& m, const std::string& path);
// Reads a GGUF imatrix (dense matrices only: an entry with several experts is an error).
Result<Imatrix> read_imatrix_gguf(const std::string& path);

// By format: `path` ending in .gguf is written as GGUF, anything else as .dat.
Status write_imatrix(const Imatrix& m, const std::string& path);
// Either format, told apart by the file's first bytes ("GGUF" magic).
Result<Imatrix> read_imatrix(const std::string& path);

}  // namespace hearth::quantize
