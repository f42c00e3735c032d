#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/log.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

// How tokenizer.ggml.pre names map to pre-tokenizer families and the flags llama.cpp attaches.
struct PreInfo {
  std::string_view name;
  PreType type;
  bool clean_spaces = true;
  bool ignore_merges = false;
  bool add_bos = false;  // default before tokenizer.ggml.add_bos_token is read
  bool add_sep = false;
  bool no_bos = false;  // the type's default BOS does not exist
};

constexpr PreInfo kPreTable[] = {
    {"default", PreType::kDefault},
    {"llama3", PreType::kLlama3, true, true, true},
    {"llama-v3", PreType::kLlama3, true, true, true},
    {"llama-bpe", PreType::kLlama3, true, true, true},
    {"falcon3", PreType::kLlama3, true, true, true},
    {"falcon-h1", PreType::kLlama3, true, true, true},
    {"pixtral", PreType::kLlama3, true, true, true},
    {"midm-2.0", PreType::kLlama3, true, true, true},
    {"lfm2", PreType::kLlama3, true, true, true},
    {"dbrx", PreType::kLlama3},
    {"smaug-bpe", PreType::kLlama3},
    {"glm4", PreType::kLlama3, true, false, false, false, true},
    {"chatglm-bpe", PreType::kLlama3, true, false, false, false, true},
    {"deepseek-llm", PreType::kDeepseekLlm, false},
    {"deepseek-coder", PreType::kDeepseekCoder, false},
    {"falcon", PreType::kFalcon},
    {"mpt", PreType::kGpt2},
    {"gpt-2", PreType::kGpt2},
    {"phi-2", PreType::kGpt2},
    {"jina-es", PreType::kGpt2},
    {"jina-de", PreType::kGpt2},
    {"gigachat", PreType::kGpt2},
    {"jina-v2-es", PreType::kGpt2},
    {"jina-v2-de", PreType::kGpt2},
    {"a.x-4.0", PreType::kGpt2},
    {"mellum", PreType::kGpt2},
    {"modern-bert", PreType::kGpt2},
    {"exaone4", PreType::kGpt2},
    {"olmo", PreType::kGpt2},
    {"jais", PreType::kGpt2},
    {"trillion", PreType::kGpt2, false},
    {"granite-docling", PreType::kGpt2, false},
    {"jina-v1-en", PreType::kGpt2, true, false, false, true},
    {"jina-v2-code", PreType::kGpt2, true, false, false, true},
    {"roberta-bpe", PreType::kGpt2, true, false, false, true},
    {"starcoder", PreType::kStarcoder},
    {"refact", PreType::kStarcoder},
    {"command-r", PreType::kStarcoder, false},
    {"smollm", PreType::kStarcoder, false},
    {"codeshell", PreType::kStarcoder},
    {"exaone", PreType::kStarcoder},
    {"minerva-7b", PreType::kStarcoder},
    {"qwen2", PreType::kQwen2, false},
    {"deepseek-r1-qwen", PreType::kQwen2, false},
    {"kormo", PreType::kQwen2, false},
    {"f2llmv2", PreType::kQwen2, false},
    {"megrez", PreType::kQwen2},
    {"stablelm2", PreType::kQwen2},
    {"gpt-4o", PreType::kGpt4o, false},
    {"llama4", PreType::kGpt4o, false},
    {"kanana2", PreType::kGpt4o, false},
    {"tekken", PreType::kTekken, false, true, true},
    {"bloom", PreType::kBloom},
    {"gpt3-finnish", PreType::kBloom},
    {"poro-chat", PreType::kBloom, false},
    {"viking", PreType::kViking, false},
};

// Texts that mark end-of-turn / end-of-message / fill-in-the-middle tokens when metadata does not
// name them (llama.cpp's text-based detection). The first listed text present wins.
constexpr std::string_view kEotTexts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "<|end_of_text|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "<\xEF\xBD\x9C"
                                          "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                                          "<end_of_utterance>"};
constexpr std::string_view kEomTexts[] = {"<|eom_id|>"};
constexpr std::string_view kFimPreTexts[] = {"<|fim_prefix|>",
                                             "<fim-prefix>",
                                             "<fim_prefix>",
                                             "<\xEF\xBD\x9C"
                                             "fim\xE2\x96\x81"
                                             "begin\xEF\xBD\x9C>",
                                             "<PRE>",
                                             "\xE2\x96\x81<PRE>",
                                             "<|code_prefix|>",
                                             "<|prefix|>"};
constexpr std::string_view kFimSufTexts[] = {"<|fim_suffix|>",
                                             "<fim-suffix>",
                                             "<fim_suffix>",
                                             "<\xEF\xBD\x9C"
                                             "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
                                             "<SUF>",
                                             "\xE2\x96\x81<SUF>",
                                             "<|code_suffix|>",
                                             "<|suffix|>"};
constexpr std::string_view kFimMidTexts[] = {"<|fim_middle|>",
                                             "<fim-middle>",
                                             "<fim_middle>",
                                             "<\xEF\xBD\x9C"
                                             "fim\xE2\x96\x81"
                                             "end\xEF\xBD\x9C>",
                                             "<MID>",
                                             "\xE2\x96\x81<MID>",
                                             "<|code_middle|>",
                                             "<|middle|>"};
constexpr std::string_view kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                                             "[PAD]"};
constexpr std::string_view kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                             "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepTexts[] = {"<|file_sep|>"};
constexpr std::string_view kEogTexts[] = {"<|eot_id|>",
                                          "<|im_end|>",
                                          "<|end|>",
                                          "<|return|>",
                                          "<|call|>",
                                          "<|flush|>",
                                          "<|calls|>",
                                          "<end_of_turn>",
                                          "<|endoftext|>",
                                          "</s>",
                                          "<|eom_id|>",
                                          "<EOT>",
                                          "_<EOT>",
                                          "[EOT]",
                                          "[EOS]",
                                          "<|end_of_text|>",
                                          "<end_of_utterance>",
                                          "<eos>",
                                          "<turn|>",
                                          "<|tool_response>",
                                          "<\xEF\xBD\x9C"
                                          "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
                                          "[e~["};

std::string lowercase_ascii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

uint32_t attr_from_type(int32_t type) {
  switch (static_cast<TokenType>(type)) {
    case TokenType::kUnknown:
      return kAttrUnknown;
    case TokenType::kUnused:
      return kAttrUnused;
    case TokenType::kNormal:
      return kAttrNormal;
    case TokenType::kControl:
      return kAttrControl;
    case TokenType::kUserDefined:
      return kAttrUserDefined;
    case TokenType::kByte:
      return kAttrByte;
    default:
      return kAttrUndefined;
  }
}

}  // namespace

const char* vocab_type_name(VocabType type) {
  switch (type) {
    case VocabType::kSpm:
      return "SPM";
    case VocabType::kBpe:
      return "BPE";
    case VocabType::kWpm:
      return "WPM";
  }
  return "?";
}

Result<Vocab> Vocab::build(VocabSpec spec) {
  Vocab vocab;
  HEARTH_RETURN_IF_ERROR(vocab.apply_type_defaults(spec));
  HEARTH_RETURN_IF_ERROR(vocab.load_tokens(spec));
  if (vocab.type_ == VocabType::kBpe) HEARTH_RETURN_IF_ERROR(vocab.load_merges(spec.merges));
  HEARTH_RETURN_IF_ERROR(vocab.resolve_special_ids(spec));
  vocab.detect_special_tokens_by_text();
  vocab.build_eog_set();
  vocab.build_caches();
  vocab.apply_model_attributes(spec.name);
  return vocab;
}

// Vocabulary type, pre-tokenizer and the flags that depend on them (before metadata overrides).
Status Vocab::apply_type_defaults(const VocabSpec& spec) {
  if (spec.model == "llama") {
    type_ = VocabType::kSpm;
    bos_ = 1, eos_ = 2, unk_ = 0;
    add_space_prefix_ = true, clean_spaces_ = false, add_bos_ = true, add_eos_ = false;
  } else if (spec.model == "bert") {
    type_ = VocabType::kWpm;
    bos_ = 101, unk_ = 100, sep_ = 102, pad_ = 0, mask_ = 103;
    add_space_prefix_ = false, clean_spaces_ = true, add_bos_ = true, add_eos_ = false;
    add_sep_ = true;
  } else if (spec.model == "gpt2") {
    type_ = VocabType::kBpe;
    bos_ = 11, eos_ = 11;
    add_space_prefix_ = false, clean_spaces_ = true;
    pre_name_ = spec.pre.empty() ? "default" : spec.pre;
    if (spec.pre.empty()) {
      log_warn("tokenizer.ggml.pre is missing: using the default pre-tokenizer; ",
               "generation quality may suffer (regenerate the GGUF file)");
    }
    const PreInfo* info = nullptr;
    for (const PreInfo& row : kPreTable) {
      if (row.name == pre_name_) info = &row;
    }
    if (info == nullptr) {
      return unsupported("unknown BPE pre-tokenizer '", pre_name_,
                         "' (tokenizer.ggml.pre); supported: gpt-2, llama-bpe, qwen2, "
                         "deepseek-llm, deepseek-coder, falcon, mpt, starcoder, refact, "
                         "command-r, gpt-4o and their aliases");
    }
    pre_type_ = info->type;
    clean_spaces_ = info->clean_spaces;
    ignore_merges_ = info->ignore_merges;
    add_bos_ = info->add_bos;
    add_sep_ = info->add_sep;
    if (info->no_bos) bos_ = kNoToken;
  } else if (spec.model.empty()) {
    return not_found("tokenizer.ggml.model is missing: the file carries no vocabulary");
  } else if (spec.model == "no_vocab" || spec.model == "none") {
    return unsupported("this model has no vocabulary (tokenizer.ggml.model = '", spec.model, "')");
  } else {
    return unsupported("tokenizer type '", spec.model,
                       "' is not supported (supported: llama = SentencePiece, gpt2 = byte-level "
                       "BPE, bert = WordPiece)");
  }
  if (spec.add_space_prefix) add_space_prefix_ = *spec.add_space_prefix;
  return Status::Ok();
}

Status Vocab::load_tokens(VocabSpec& spec) {
  const size_t n = spec.tokens.size();
  if (n == 0) return corrupt_file("tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return corrupt_file("vocabulary too large: ", n);
  if (!spec.scores.empty() && spec.scores.size() < n) {
    return corrupt_file("tokenizer.ggml.scores has ", spec.scores.size(), " entries for ", n,
                        " tokens");
  }
  if (!spec.token_types.empty() && spec.token_types.size() < n) {
    return corrupt_file("tokenizer.ggml.token_type has ", spec.token_types.size(), " entries for ",
                        n, " tokens");
  }
  texts_ = std::move(spec.tokens);
  scores_.assign(n, 0.0f);
  attrs_.assign(n, kAttrNormal);
  index_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (texts_[i].empty()) texts_[i] = str_cat("[EMPTY_", i, "]");
    auto [it, inserted] = index_.emplace(texts_[i], static_cast<int32_t>(i));
    if (!inserted) {
      return corrupt_file("duplicate token in vocabulary: '", texts_[i], "' has ids ", it->second,
                          " and ", i);
    }
    max_token_len_ = std::max<int32_t>(max_token_len_, static_cast<int32_t>(texts_[i].size()));
    if (!spec.scores.empty()) scores_[i] = spec.scores[i];
    if (!spec.token_types.empty()) attrs_[i] = attr_from_type(spec.token_types[i]);
  }
  // Byte fallback tokens.
  for (int b = 0; b < 256; ++b) {
    byte_tokens_[b] = kNoToken;
    if (type_ == VocabType::kSpm) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "<0x%02X>", b);
      byte_tokens_[b] = find(hex);
      if (byte_tokens_[b] == kNoToken) byte_tokens_[b] = find(std::string(1, static_cast<char>(b)));
    } else {
      byte_tokens_[b] = find(byte_to_unicode(static_cast<uint8_t>(b)));
    }
  }
  return Status::Ok();
}

Status Vocab::load_merges(const std::vector<std::string>& merges) {
  merge_ranks_.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string& line = merges[i];
    const size_t space = line.size() > 1 ? line.find(' ', 1) : std::string::npos;
    if (space == std::string::npos) continue;  // llama.cpp keeps such lines as never-matching
    merge_ranks_.try_emplace(line, static_cast<int32_t>(i));
  }
  return Status::Ok();
}

int32_t Vocab::merge_rank(std::string_view left, std::string_view right) const {
  thread_local std::string key;
  key.assign(left);
  key.push_back(' ');
  key.append(right);
  auto it = merge_ranks_.find(std::string_view(key));
  return it == merge_ranks_.end() ? -1 : it->second;
}

Status Vocab::resolve_special_ids(const VocabSpec& spec) {
  struct Slot {
    const char* key;
    const std::optional<int64_t>& value;
    int32_t& id;
  };
  const SpecialIds& s = spec.special;
  const Slot slots[] = {
      {"bos", s.bos, bos_},
      {"eos", s.eos, eos_},
      {"eot", s.eot, eot_},
      {"eom", s.eom, eom_},
      {"unknown", s.unk, unk_},
      {"seperator", s.sep, sep_},
      {"padding", s.pad, pad_},
      {"mask", s.mask, mask_},
      {"fim_pre", s.fim_pre, fim_pre_},
      {"fim_suf", s.fim_suf, fim_suf_},
      {"fim_mid", s.fim_mid, fim_mid_},
      {"fim_pad", s.fim_pad, fim_pad_},
      {"fim_rep", s.fim_rep, fim_rep_},
      {"fim_sep", s.fim_sep, fim_sep_},
  };
  for (const Slot& slot : slots) {
    if (slot.id != kNoToken && !valid_id(slot.id)) slot.id = kNoToken;  // default out of range
    if (!slot.value) continue;
    if (valid_id(*slot.value)) {
      slot.id = static_cast<int32_t>(*slot.value);
    } else {
      log_warn("tokenizer.ggml.", slot.key, "_token_id = ", *slot.value,
               " is outside the vocabulary of ", n_tokens(), " tokens; ignoring it");
    }
  }
  if (spec.add_bos) add_bos_ = *spec.add_bos;
  if (spec.add_eos) add_eos_ = *spec.add_eos;
  if (spec.add_sep) add_sep_ = *spec.add_sep;
  if (add_bos_ && bos_ == kNoToken) {
    return corrupt_file("tokenizer.ggml.add_bos_token is true but there is no BOS token");
  }
  if (add_eos_ && eos_ == kNoToken) {
    return corrupt_file("tokenizer.ggml.add_eos_token is true but there is no EOS token");
  }
  if (add_sep_ && sep_ == kNoToken) {
    return corrupt_file("tokenizer.ggml.add_sep_token is true but there is no SEP token");
  }
  if (spec.lowercase) lowercase_ = *spec.lowercase;
  strip_accents_ = spec.strip_accents ? *spec.strip_accents : lowercase_;
  return Status::Ok();
}

// Finds EOT/EOM/FIM tokens by their text when metadata does not name them; such tokens are
// always treated as control tokens.
void Vocab::detect_special_tokens_by_text() {
  auto detect = [&](int32_t& id, auto& texts) {
    if (id != kNoToken) return;
    for (std::string_view text : texts) {
      const int32_t found = find(text);
      if (found == kNoToken) continue;
      id = found;
      attrs_[found] |= kAttrControl;
      return;
    }
  };
  detect(eot_, kEotTexts);
  detect(eom_, kEomTexts);
  detect(fim_pre_, kFimPreTexts);
  detect(fim_suf_, kFimSufTexts);
  detect(fim_mid_, kFimMidTexts);
  detect(fim_pad_, kFimPadTexts);
  detect(fim_rep_, kFimRepTexts);
  detect(fim_sep_, kFimSepTexts);
  // Control tokens named "...unused..." are unused.
  for (int32_t id = 0; id < n_tokens(); ++id) {
    if ((attrs_[id] & kAttrControl) && texts_[id].find("unused") != std::string::npos) {
      attrs_[id] |= kAttrUnused;
    }
  }
}

void Vocab::build_eog_set() {
  std::vector<int32_t> eog;
  for (int32_t id : {fim_pad_, fim_rep_, fim_sep_}) {
    if (id != kNoToken) eog.push_back(id);
  }
  for (std::string_view text : kEogTexts) {
    const int32_t id = find(text);
    if (id == kNoToken) continue;
    eog.push_back(id);
    attrs_[id] |= kAttrControl;
  }
  // gpt-oss: these must always be rendered.
  for (std::string_view text : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    const int32_t id = find(text);
    if (id != kNoToken) attrs_[id] = kAttrUserDefined;
  }
  for (int32_t id : {eos_, eot_, eom_}) {
    if (id != kNoToken) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  auto has = [&](std::string_view text) {
    const int32_t id = find(text);
    return id != kNoToken && std::binary_search(eog.begin(), eog.end(), id);
  };
  auto remove = [&](std::string_view text, uint32_t new_attr) {
    const int32_t id = find(text);
    eog.erase(std::remove(eog.begin(), eog.end(), id), eog.end());
    attrs_[id] = new_attr;
  };
  // o200k_harmony / solar-open: "<|end|>" ends a message, not the generation.
  const bool has_call = has("<|call|>") || has("<|calls|>");
  if (has("<|end|>") && has_call && (has("<|return|>") || has("<|flush|>"))) {
    remove("<|end|>", kAttrUserDefined);
  }
  // gemma4 / paddleocr: "</s>" is not an end of generation there.
  if (has("<|tool_response>") && has("</s>")) remove("</s>", kAttrNormal);
  eog_ids_ = std::move(eog);
}

void Vocab::build_caches() {
  special_tokens_.clear();
  for (int32_t id = 0; id < n_tokens(); ++id) {
    if (attrs_[id] & (kAttrControl | kAttrUserDefined | kAttrUnknown))
      special_tokens_.push_back(id);
  }
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(),
                   [&](int32_t a, int32_t b) { return texts_[a].size() > texts_[b].size(); });
}

// Per-model token attributes that GGUF files do not carry (llama.cpp keys them on names).
void Vocab::apply_model_attributes(const std::string& name) {
  const std::string lower_name = lowercase_ascii(name);
  auto set_attr = [&](std::string_view text, uint32_t bit, bool on) {
    const int32_t id = find(text);
    if (id == kNoToken) return;
    attrs_[id] = on ? (attrs_[id] | bit) : (attrs_[id] & ~bit);
  };
  auto contains = [](const std::string& s, std::string_view part) {
    return s.find(part) != std::string::npos;
  };
  if (contains(pre_name_, "jina-v2-de") || contains(pre_name_, "jina-v2-es") ||
      contains(pre_name_, "jina-v2-code")) {
    set_attr("<mask>", kAttrLstrip, true);
  } else if (contains(lower_name, "phi-3") || contains(lower_name, "phi3")) {
    for (int32_t id : special_tokens_) attrs_[id] |= kAttrRstrip;
    set_attr("</s>", kAttrRstrip, true);
    for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
      set_attr(text, kAttrRstrip, false);
    }
  } else if (contains(lower_name, "modern-bert")) {
    set_attr("[MASK]", kAttrLstrip, true);
  }
}

bool Vocab::is_eog(int32_t id) const {
  return id != kNoToken && std::binary_search(eog_ids_.begin(), eog_ids_.end(), id);
}

}  // namespace hearth::tokenizer
