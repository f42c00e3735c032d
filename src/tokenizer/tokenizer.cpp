#include "tokenizer/tokenizer.h"

#include <cstdlib>

#include "tokenizer/sessions.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

// "<0x0A>" -> 0x0A; -1 when `text` is not of that form.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(text[3]), lo = hex(text[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (true) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) break;
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
  out.append(text.substr(pos));
  return out;
}

// Byte-level token text back to bytes: each code point of the byte alphabet is one byte.
std::string decode_byte_level(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const DecodedChar c = decode_utf8(text, pos);
    const int byte = c.valid ? unicode_to_byte(c.cpt) : -1;
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.append(text.substr(pos, c.size));  // not in the alphabet: keep as written
    }
    pos += c.size;
  }
  return out;
}

// The text a token stands for when rendered with special = true.
std::string render_piece(const Vocab& vocab, int32_t id) {
  const uint32_t attr = vocab.attr(id);
  const std::string& text = vocab.text(id);
  if (attr & (kAttrUnknown | kAttrControl | kAttrUserDefined)) return text;
  if (attr & kAttrNormal) {
    return vocab.type() == VocabType::kBpe ? decode_byte_level(text)
                                           : replace_all(text, kSpaceMark, " ");
  }
  if (attr & kAttrByte) {
    const int byte = parse_byte_token(text);
    return byte >= 0 ? std::string(1, static_cast<char>(byte)) : text;
  }
  return "";  // unused and undefined tokens render as nothing
}

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::File& file) {
  HEARTH_ASSIGN_OR_RETURN(Vocab vocab, Vocab::from_gguf(file));
  return from_vocab(std::move(vocab));
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_vocab(Vocab vocab) {
  std::unique_ptr<Tokenizer> tokenizer(new Tokenizer(std::move(vocab)));
  HEARTH_RETURN_IF_ERROR(tokenizer->init());
  return tokenizer;
}

Status Tokenizer::init() {
  if (vocab_.type() == VocabType::kBpe) {
    HEARTH_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::create(vocab_.pre_type()));
    pre_ = std::make_unique<PreTokenizer>(std::move(pre));
  }
  if (vocab_.type() == VocabType::kSpm) spm_ = std::make_unique<SpmTokenizer>(vocab_);
  matcher_ = std::make_unique<SpecialTokenMatcher>(vocab_);
  pieces_.resize(vocab_.n_tokens());
  for (int32_t id = 0; id < vocab_.n_tokens(); ++id) pieces_[id] = render_piece(vocab_, id);
  switch (vocab_.type()) {
    case VocabType::kSpm:
      nl_ = vocab_.byte_token('\n');
      if (nl_ == kNoToken) nl_ = vocab_.pad();
      break;
    case VocabType::kWpm:
      nl_ = vocab_.pad();
      break;
    case VocabType::kBpe: {
      const std::vector<int32_t> ids = encode("\n", false, false);
      nl_ = ids.empty() ? vocab_.pad() : ids[0];
      break;
    }
  }
  return Status::Ok();
}

void Tokenizer::encode_raw(std::string_view text, bool space_prefix,
                           std::vector<int32_t>& out) const {
  switch (vocab_.type()) {
    case VocabType::kSpm: {
      std::string escaped = space_prefix ? std::string(kSpaceMark) : std::string();
      escaped += replace_all(text, " ", kSpaceMark);
      spm_->tokenize(escaped, out);
      break;
    }
    case VocabType::kBpe:
      bpe_tokenize(vocab_, *pre_, text, out);
      break;
    case VocabType::kWpm:
      wpm_tokenize(vocab_, text, out);
      break;
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  const VocabType type = vocab_.type();
  const bool wpm = type == VocabType::kWpm;
  if (add_special && (wpm || vocab_.add_bos()) && vocab_.bos() != kNoToken) {
    out.push_back(vocab_.bos());
  }
  // SPM puts a space before the first text and before text that follows a special token.
  bool after_special = true;
  for (const Fragment& fragment : matcher_->split(text, parse_special)) {
    if (fragment.token != kNoToken) {
      out.push_back(fragment.token);
      after_special = true;
      continue;
    }
    const bool space_prefix = type == VocabType::kSpm && vocab_.add_space_prefix() && after_special;
    encode_raw(text.substr(fragment.begin, fragment.end - fragment.begin), space_prefix, out);
    after_special = false;
  }
  if (add_special && wpm && vocab_.sep() != kNoToken) out.push_back(vocab_.sep());
  if (add_special && !wpm && vocab_.add_eos() && vocab_.eos() != kNoToken) {
    out.push_back(vocab_.eos());
  }
  return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool special) const {
  if (!vocab_.valid_id(id)) return "";
  if (!special && (vocab_.attr(id) & (kAttrUnknown | kAttrControl))) return "";
  return pieces_[id];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool special) const {
  DecodeOptions options;
  options.special = special;
  return decode(ids, options);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, const DecodeOptions& options) const {
  bool remove_space = vocab_.add_space_prefix();
  if (options.remove_special && vocab_.add_bos() && !ids.empty() && ids.front() == vocab_.bos()) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (options.remove_special && vocab_.add_eos() && !ids.empty() && ids.back() == vocab_.eos()) {
    ids = ids.first(ids.size() - 1);
  }
  std::string text;
  for (int32_t id : ids) {
    std::string piece = token_to_piece(id, options.special);
    // Only the very first token loses its leading space (even when it renders as nothing).
    if (remove_space && !piece.empty() && piece[0] == ' ') piece.erase(0, 1);
    remove_space = false;
    text += piece;
  }
  if (options.clean_spaces && vocab_.clean_spaces()) text = clean_up_spaces(std::move(text));
  return text;
}

// Three passes over the text, as llama.cpp's detokenizer makes them.
std::string clean_up_spaces(std::string text) {
  if (text.empty()) return text;
  // 1. " ?", " !", " .", " ," lose the space.
  {
    size_t total = 1;
    for (size_t i = 1; i < text.size(); ++i) {
      const char x = text[i];
      if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
      text[total++] = x;
    }
    text.resize(total);
  }
  // 2. A lone apostrophe between spaces loses both spaces (" ' " -> "'").
  {
    const size_t n = text.size();
    size_t total = 1;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (x == '\'' && i + 1 < n && text[i - 1] == ' ' && text[i + 1] == ' ') {
        --total;
        text[++i] = '\0';  // the space after it is dropped too
      }
      text[total++] = x;
    }
    text.resize(total);
  }
  // 3. Contractions: " 's", " 'm", " 're", " 've" lose the space (" 't", " 'd", " 'll" keep it).
  {
    const size_t n = text.size();
    size_t total = 1;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (text[i - 1] == ' ' && x == '\'' && i + 1 < n) {
        const char x1 = text[i + 1];
        if (x1 == 's' || x1 == 'm') {
          --total;
        } else if (x1 != 't' && x1 != 'd' && i + 2 < n) {
          const char x2 = text[i + 2];
          if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --total;
        }
      }
      text[total++] = x;
    }
    text.resize(total);
  }
  return text;
}

std::string StreamDecoder::feed(int32_t id) {
  pending_ += tokenizer_->token_to_piece(id, special_);
  const size_t complete = utf8_complete_prefix(pending_);
  std::string out = make_valid_utf8(std::string_view(pending_).substr(0, complete));
  pending_.erase(0, complete);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = make_valid_utf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace hearth::tokenizer
