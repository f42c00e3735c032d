// `hearth info MODEL [--json]`: what a GGUF file holds: architecture, name, parameter count,
// context length, every metadata key, the tensor directory, totals per type, file size.
//
// JSON form: {path, file_bytes, version, alignment, data_offset, architecture, name,
// context_length, n_params, n_tensors, tensor_bytes, metadata: {key: value}, tensors: [{name,
// type, shape (GGUF ne order), bytes, offset}], types: {TYPE: {n_tensors, n_params, bytes}}}.
// Metadata arrays of at most kJsonFullArray items are written in full; longer ones (vocabularies,
// merges) become {"array": element type, "count": n, "first": [first kJsonArrayPreview items]}.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_util.h"
#include "command.h"
#include "gguf/gguf.h"
#include "quant/type_traits.h"

namespace hearth::tools {
namespace {

// Ordered, so metadata keys appear as they do in the file.
using json_t = nlohmann::ordered_json;

constexpr size_t kJsonFullArray = 16;
constexpr size_t kJsonArrayPreview = 8;
constexpr size_t kTextArrayPreview = 6;
constexpr size_t kTextMaxValueChars = 160;

struct TypeTotals {
  int64_t n_tensors = 0;
  int64_t n_params = 0;
  uint64_t bytes = 0;
};

struct Summary {
  std::string architecture, name;
  int64_t context_length = -1;  // -1: not in the file
  int64_t n_params = 0;
  uint64_t tensor_bytes = 0;
  std::map<std::string, TypeTotals> per_type;  // by type name
};

Summary summarize(const gguf::File& file) {
  Summary s;
  const gguf::Value* arch = file.find("general.architecture");
  if (arch != nullptr && arch->is_string()) s.architecture = arch->as_string();
  const gguf::Value* name = file.find("general.name");
  if (name != nullptr && name->is_string()) s.name = name->as_string();
  const gguf::Value* ctx = file.find(s.architecture + ".context_length");
  if (ctx != nullptr && ctx->is_integer()) s.context_length = ctx->as_int();
  for (const gguf::TensorInfo& t : file.tensors()) {
    s.n_params += t.n_elements();
    s.tensor_bytes += t.n_bytes;
    TypeTotals& totals = s.per_type[quant::type_name(t.ggml_type)];
    totals.n_tensors += 1;
    totals.n_params += t.n_elements();
    totals.bytes += t.n_bytes;
  }
  return s;
}

std::string shape_text(const gguf::TensorInfo& t) {
  std::string s = "[";
  for (int i = 0; i < t.n_dims; ++i) s += str_cat(i ? ", " : "", t.ne[i]);
  return s + "]";
}

// 4331808 -> "4.13 MiB"
std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

std::string human_count(int64_t n) {
  char buf[32];
  if (n >= 1'000'000'000)
    std::snprintf(buf, sizeof buf, "%.2f B", n / 1e9);
  else if (n >= 1'000'000)
    std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
  else if (n >= 1'000)
    std::snprintf(buf, sizeof buf, "%.2f K", n / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

std::string value_text(const gguf::Value& v) {
  std::string text = v.to_display_string(kTextArrayPreview);
  if (text.size() > kTextMaxValueChars) {
    text =
        str_cat(text.substr(0, kTextMaxValueChars), "... (", with_commas(text.size()), " chars)");
  }
  return text;
}

std::string type_column(const gguf::Value& v) {
  if (!v.is_array()) return gguf::value_type_name(v.type);
  return str_cat("array<", gguf::value_type_name(v.as_array().element_type), ">");
}

void print_text(const gguf::File& file, const Summary& s) {
  std::printf("file:           %s\n", file.path().c_str());
  std::printf("size:           %s bytes (%s)\n", with_commas(file.file_size()).c_str(),
              human_bytes(static_cast<double>(file.file_size())).c_str());
  std::printf("GGUF:           version %u, alignment %u, data section at byte %s\n", file.version(),
              file.alignment(), with_commas(file.data_offset()).c_str());
  std::printf("architecture:   %s\n", s.architecture.empty() ? "-" : s.architecture.c_str());
  std::printf("name:           %s\n", s.name.empty() ? "-" : s.name.c_str());
  std::printf("parameters:     %s (%s)\n", with_commas(s.n_params).c_str(),
              human_count(s.n_params).c_str());
  std::printf("context length: %s\n",
              s.context_length < 0 ? "-" : with_commas(s.context_length).c_str());
  std::printf("tensors:        %zu, %s bytes of data\n", file.tensors().size(),
              with_commas(s.tensor_bytes).c_str());

  std::printf("\nmetadata (%zu keys):\n", file.metadata().size());
  for (const gguf::KeyValue& kv : file.metadata()) {
    std::printf("  %-40s %-14s %s\n", kv.key.c_str(), type_column(kv.value).c_str(),
                value_text(kv.value).c_str());
  }
  if (!file.tensors().empty()) {
    std::printf("\ntensors (%zu):\n  %-40s %-8s %-24s %14s\n", file.tensors().size(), "name",
                "type", "shape", "bytes");
    for (const gguf::TensorInfo& t : file.tensors()) {
      std::printf("  %-40s %-8s %-24s %14s\n", t.name.c_str(), quant::type_name(t.ggml_type),
                  shape_text(t).c_str(), with_commas(t.n_bytes).c_str());
    }
    std::printf("\ntotals per type:\n  %-8s %8s %16s %16s\n", "type", "tensors", "parameters",
                "bytes");
    for (const auto& [type, totals] : s.per_type) {
      std::printf("  %-8s %8lld %16s %16s\n", type.c_str(),
                  static_cast<long long>(totals.n_tensors), with_commas(totals.n_params).c_str(),
                  with_commas(totals.bytes).c_str());
    }
  }
}

json_t value_json(const gguf::Value& v, bool summarize_long_arrays) {
  if (v.is_string()) return v.as_string();
  if (v.type == gguf::ValueType::kBool) return v.as_bool();
  // f32 values go through their shortest decimal form: 1e-05, not 9.999999747378752e-06.
  if (v.is_float()) return std::strtod(v.to_display_string().c_str(), nullptr);
  if (v.is_integer()) {
    if (std::holds_alternative<int64_t>(v.data)) return v.as_int();
    return v.as_uint();
  }
  const gguf::Array& arr = v.as_array();
  bool summarized = summarize_long_arrays && arr.items.size() > kJsonFullArray;
  size_t shown = summarized ? kJsonArrayPreview : arr.items.size();
  json_t items = json_t::array();
  for (size_t i = 0; i < shown; ++i) items.push_back(value_json(arr.items[i], true));
  if (!summarized) return items;
  return {{"array", gguf::value_type_name(arr.element_type)},
          {"count", arr.items.size()},
          {"first", std::move(items)}};
}

json_t info_json(const gguf::File& file, const Summary& s) {
  json_t j;
  j["path"] = file.path();
  j["file_bytes"] = file.file_size();
  j["version"] = file.version();
  j["alignment"] = file.alignment();
  j["data_offset"] = file.data_offset();
  j["architecture"] = s.architecture.empty() ? json_t() : json_t(s.architecture);
  j["name"] = s.name.empty() ? json_t() : json_t(s.name);
  j["context_length"] = s.context_length < 0 ? json_t() : json_t(s.context_length);
  j["n_params"] = s.n_params;
  j["n_tensors"] = file.tensors().size();
  j["tensor_bytes"] = s.tensor_bytes;
  json_t metadata = json_t::object();
  for (const gguf::KeyValue& kv : file.metadata()) metadata[kv.key] = value_json(kv.value, true);
  j["metadata"] = std::move(metadata);
  json_t tensors = json_t::array();
  for (const gguf::TensorInfo& t : file.tensors()) {
    json_t shape = json_t::array();
    for (int i = 0; i < t.n_dims; ++i) shape.push_back(t.ne[i]);
    tensors.push_back({{"name", t.name},
                       {"type", quant::type_name(t.ggml_type)},
                       {"shape", std::move(shape)},
                       {"bytes", t.n_bytes},
                       {"offset", t.offset}});
  }
  j["tensors"] = std::move(tensors);
  json_t types = json_t::object();
  for (const auto& [type, totals] : s.per_type) {
    types[type] = {
        {"n_tensors", totals.n_tensors}, {"n_params", totals.n_params}, {"bytes", totals.bytes}};
  }
  j["types"] = std::move(types);
  return j;
}

int cmd_info(int argc, char** argv) {
  CLI::App app("Show what a GGUF file holds: architecture, parameters, metadata, tensors.", "info");
  std::string model;
  bool json = false;
  app.add_option("MODEL", model, "path to a .gguf file")->required();
  app.add_flag("--json", json,
               "print JSON instead of text (metadata arrays over 16 items are summarized as "
               "{array, count, first: [8 items]})");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;

  auto file = gguf::File::open(model);
  if (!file.ok()) return fail("info", file.status());
  Summary summary = summarize(*file);
  if (json) {
    std::string text =
        info_json(*file, summary).dump(2, ' ', false, json_t::error_handler_t::replace);
    std::printf("%s\n", text.c_str());
  } else {
    print_text(*file, summary);
  }
  return 0;
}

}  // namespace
HEARTH_COMMAND("info", "show a GGUF file's metadata, tensors and sizes", 10, cmd_info);
}  // namespace hearth::tools
