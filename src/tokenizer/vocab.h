// Vocabulary: token texts, scores, attributes, BPE merge ranks, special ids and the flags that
// steer tokenization, read from GGUF metadata (tokenizer.ggml.*) with llama.cpp's defaults and
// rules, or built from plain vectors (tests).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace hearth::gguf {
class File;
}

namespace hearth::tokenizer {

inline constexpr int32_t kNoToken = -1;

enum class VocabType { kSpm, kBpe, kWpm };
const char* vocab_type_name(VocabType type);

// Token types as GGUF stores them (tokenizer.ggml.token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// Per-token attribute bits (llama.cpp's llama_token_attr).
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 7,  // swallow whitespace left of the token when matching it in text
  kAttrRstrip = 1u << 8,  // swallow whitespace right of it
};

// The pre-tokenizer family of a BPE vocabulary (tokenizer.ggml.pre); decides the regexes.
enum class PreType {
  kDefault,
  kGpt2,
  kLlama3,
  kQwen2,
  kDeepseekLlm,
  kDeepseekCoder,
  kFalcon,
  kStarcoder,  // also refact, command-r, smollm, codeshell, exaone, minerva
  kGpt4o,
  kTekken,
  kBloom,  // also poro, gpt3-finnish
  kViking,
};

// Special ids explicitly set in metadata; unset ones take the model type's defaults.
struct SpecialIds {
  std::optional<int64_t> bos, eos, eot, eom, unk, sep, pad, mask;
  std::optional<int64_t> fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep;
};

// Everything a vocabulary is made from, as stored in GGUF.
struct VocabSpec {
  std::string model;  // tokenizer.ggml.model: "llama" (SPM), "gpt2" (BPE), "bert" (WordPiece)
  std::string pre;    // tokenizer.ggml.pre ("" = default)
  std::string name;   // general.name (a few per-model rules key on it, as in llama.cpp)
  std::vector<std::string> tokens;
  std::vector<float> scores;         // empty: all 0
  std::vector<int32_t> token_types;  // empty: all normal
  std::vector<std::string> merges;   // "left right", in rank order (BPE only)
  SpecialIds special;
  std::optional<bool> add_bos, add_eos, add_sep, add_space_prefix;
  std::optional<bool> lowercase, strip_accents;  // WordPiece normalizer
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIndex = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

class Vocab {
 public:
  // Validates the spec and derives everything llama.cpp derives at load time (special ids by
  // text, end-of-generation set, per-model attributes, the special-token matching order).
  static Result<Vocab> build(VocabSpec spec);
  // Reads tokenizer.ggml.* (and general.name) from a GGUF file.
  static Result<Vocab> from_gguf(const gguf::File& file);
  // Reads the same keys into a spec without building (for tools that inspect vocabularies).
  static Result<VocabSpec> spec_from_gguf(const gguf::File& file);

  VocabType type() const { return type_; }
  PreType pre_type() const { return pre_type_; }
  const std::string& pre_name() const { return pre_name_; }
  int32_t n_tokens() const { return static_cast<int32_t>(texts_.size()); }
  bool valid_id(int64_t id) const { return id >= 0 && id < n_tokens(); }

  const std::string& text(int32_t id) const { return texts_[id]; }
  float score(int32_t id) const { return scores_[id]; }
  uint32_t attr(int32_t id) const { return attrs_[id]; }
  // Id of the token whose text is exactly `text`, or kNoToken.
  int32_t find(std::string_view text) const {
    auto it = index_.find(text);
    return it == index_.end() ? kNoToken : it->second;
  }
  // The byte-fallback token for `b` (SPM: "<0xXX>", BPE: the byte alphabet char), or kNoToken.
  int32_t byte_token(uint8_t b) const { return byte_tokens_[b]; }
  // Rank of merging `left` and `right` (lower merges first), or -1.
  int32_t merge_rank(std::string_view left, std::string_view right) const;
  int32_t max_token_len() const { return max_token_len_; }

  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }
  int32_t eom() const { return eom_; }
  int32_t unk() const { return unk_; }
  int32_t sep() const { return sep_; }
  int32_t pad() const { return pad_; }
  int32_t mask() const { return mask_; }
  bool is_eog(int32_t id) const;
  const std::vector<int32_t>& eog_ids() const { return eog_ids_; }

  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_sep() const { return add_sep_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  bool clean_spaces() const { return clean_spaces_; }
  bool ignore_merges() const { return ignore_merges_; }
  bool lowercase() const { return lowercase_; }
  bool strip_accents() const { return strip_accents_; }

  // Control, user-defined and unknown tokens, longest text first: the order in which they are
  // cut out of the input text before the model tokenizer runs.
  const std::vector<int32_t>& special_tokens() const { return special_tokens_; }

 private:
  Status load_tokens(VocabSpec& spec);
  Status load_merges(const std::vector<std::string>& merges);
  Status apply_type_defaults(const VocabSpec& spec);
  Status resolve_special_ids(const VocabSpec& spec);
  void detect_special_tokens_by_text();
  void apply_model_attributes(const std::string& name);
  void build_eog_set();
  void build_caches();

  VocabType type_ = VocabType::kSpm;
  PreType pre_type_ = PreType::kDefault;
  std::string pre_name_;
  std::vector<std::string> texts_;
  std::vector<float> scores_;
  std::vector<uint32_t> attrs_;
  TokenIndex index_;
  TokenIndex merge_ranks_;  // key: left + ' ' + right
  int32_t byte_tokens_[256];
  int32_t max_token_len_ = 0;

  int32_t bos_ = kNoToken, eos_ = kNoToken, eot_ = kNoToken, eom_ = kNoToken, unk_ = kNoToken;
  int32_t sep_ = kNoToken, pad_ = kNoToken, mask_ = kNoToken;
  int32_t fim_pre_ = kNoToken, fim_suf_ = kNoToken, fim_mid_ = kNoToken, fim_pad_ = kNoToken;
  int32_t fim_rep_ = kNoToken, fim_sep_ = kNoToken;
  std::vector<int32_t> eog_ids_;  // sorted

  bool add_bos_ = false, add_eos_ = false, add_sep_ = false, add_space_prefix_ = false;
  bool clean_spaces_ = false, ignore_merges_ = false;
  bool lowercase_ = true, strip_accents_ = true;

  std::vector<int32_t> special_tokens_;
};

}  // namespace hearth::tokenizer
