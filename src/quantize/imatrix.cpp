#include "quantize/imatrix.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace hearth::quantize {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

constexpr int32_t kMaxNameLen = 4096;
constexpr int32_t kMaxValues = 1 << 26;

bool write_i32(FILE* f, int32_t v) {
  return std::fwrite(&v, 4, 1, f) == 1;
}

bool read_i32(FILE* f, int32_t& v) {
  return std::fread(&v, 4, 1, f) == 1;
}

}  // namespace

std::vector<float> Imatrix::weights_for(const std::string& tensor) const {
  auto it = entries.find(tensor);
  if (it == entries.end() || it->second.count == 0) return {};
  const ImatrixEntry& e = it->second;
  std::vector<float> w(e.sum_sq.size());  // (cols)
  for (size_t j = 0; j < w.size(); ++j) w[j] = static_cast<float>(e.sum_sq[j] / e.count);
  return w;
}

Status write_imatrix_dat(const Imatrix& m, const std::string& path) {
  const std::string tmp = path + ".tmp";
  FilePtr f(std::fopen(tmp.c_str(), "wb"));
  if (!f) return io_error("cannot create ", tmp, ": ", std::strerror(errno));
  bool ok = write_i32(f.get(), static_cast<int32_t>(m.entries.size()));
  std::vector<float> values;
  for (const auto& [name, e] : m.entries) {
    ok = ok && write_i32(f.get(), static_cast<int32_t>(name.size())) &&
         std::fwrite(name.data(), 1, name.size(), f.get()) == name.size();
    const int32_t ncall = e.ncall > 0 ? e.ncall : 1;
    ok = ok && write_i32(f.get(), ncall) &&
         write_i32(f.get(), static_cast<int32_t>(e.sum_sq.size()));
    values.resize(e.sum_sq.size());  // (cols) mean x^2 scaled by ncall, as llama.cpp stores it
    for (size_t j = 0; j < values.size(); ++j)
      values[j] = e.count > 0 ? static_cast<float>(e.sum_sq[j] / e.count) * ncall : 0.0f;
    ok = ok && std::fwrite(values.data(), 4, values.size(), f.get()) == values.size();
  }
  ok = ok && write_i32(f.get(), m.chunks) &&
       write_i32(f.get(), static_cast<int32_t>(m.dataset.size())) &&
       std::fwrite(m.dataset.data(), 1, m.dataset.size(), f.get()) == m.dataset.size();
  ok = std::fflush(f.get()) == 0 && ok;
  ok = std::fclose(f.release()) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return io_error("writing ", path, " failed: ", why);
  }
  return Status::Ok();
}

Result<Imatrix> read_imatrix_dat(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) return io_error("cannot open imatrix ", path, ": ", std::strerror(errno));
  Imatrix m;
  int32_t n_entries = 0;
  if (!read_i32(f.get(), n_entries) || n_entries <= 0 || n_entries > 1 << 20)
    return corrupt_file(path, " is not an imatrix .dat file (bad entry count)");
  for (int32_t i = 0; i < n_entries; ++i) {
    int32_t len = 0, ncall = 0, nval = 0;
    if (!read_i32(f.get(), len) || len <= 0 || len > kMaxNameLen)
      return corrupt_file(path, ": entry ", i, " has a bad name length");
    std::string name(static_cast<size_t>(len), '\0');
    if (std::fread(name.data(), 1, name.size(), f.get()) != name.size() ||
        !read_i32(f.get(), ncall) || !read_i32(f.get(), nval))
      return corrupt_file(path, " ends inside entry ", i);
    if (nval <= 0 || nval > kMaxValues || ncall < 0)
      return corrupt_file(path, ": entry ", name, " has ", nval, " values and ", ncall, " calls");
    std::vector<float> values(static_cast<size_t>(nval));
    if (std::fread(values.data(), 4, values.size(), f.get()) != values.size())
      return corrupt_file(path, " ends inside the values of ", name);
    ImatrixEntry e;
    e.ncall = ncall;
    e.count = 1;  // values / ncall is already the mean
    e.sum_sq.resize(values.size());
    for (size_t j = 0; j < values.size(); ++j)
      e.sum_sq[j] =
          ncall > 0 ? static_cast<double>(values[j] / static_cast<float>(ncall)) : values[j];
    m.entries[name] = std::move(e);
  }
  int32_t chunks = 0, dlen = 0;
  if (read_i32(f.get(), chunks)) {
    m.chunks = chunks;
    if (read_i32(f.get(), dlen) && dlen > 0 && dlen <= kMaxNameLen) {
      m.dataset.resize(static_cast<size_t>(dlen));
      if (std::fread(m.dataset.data(), 1, m.dataset.size(), f.get()) != m.dataset.size())
        m.dataset.clear();
    }
  }
  return m;
}

}  // namespace hearth::quantize
