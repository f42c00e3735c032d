// Text <-> token ids, exactly as llama.cpp does it for the vocabulary in a GGUF file.
//
//   auto tok = Tokenizer::from_gguf(file);                       // Result<unique_ptr<Tokenizer>>
//   std::vector<int32_t> ids = (*tok)->encode(prompt, /*add_special=*/true,
//   /*parse_special=*/true); std::string text = (*tok)->decode(ids);                      //
//   llama_detokenize StreamDecoder out(**tok);  for (id : generated) print(out.feed(id));
//   print(out.flush());
//
// Tokenizer is immutable after construction; every method is safe to call from many threads.
//
// Where llama.cpp aborts, throws or is unspecified, hearth picks a defined behaviour instead:
//   - input code points above U+10FFFF (BPE) become U+FFFD (llama.cpp throws);
//   - a missing byte-fallback token becomes <unk> (llama.cpp throws);
//   - several EOT candidates ("<|im_end|>", "<|endoftext|>", ...) without
//   tokenizer.ggml.eot_token_id:
//     the first in llama.cpp's list wins (llama.cpp takes whichever its hash map yields first);
//   - a byte-level token with characters outside the byte alphabet renders them as UTF-8.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/vocab.h"

namespace hearth::gguf {
class File;
}

namespace hearth::tokenizer {

class SpecialTokenMatcher;
class SpmTokenizer;

struct DecodeOptions {
  bool special = false;         // render control/unknown tokens ("<s>", "<|im_end|>")
  bool remove_special = false;  // drop a leading BOS / trailing EOS the vocabulary adds
  bool clean_spaces = true;     // apply the vocabulary's clean-up (" ," -> ",") if it has one
};

class Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::File& file);
  static Result<std::unique_ptr<Tokenizer>> from_vocab(Vocab vocab);
  ~Tokenizer();

  // Token ids of `text` (any bytes; invalid UTF-8 is handled as llama.cpp does).
  // add_special: add BOS/EOS (BERT: CLS/SEP) as the vocabulary asks.
  // parse_special: control tokens written in the text ("<|im_start|>") become those tokens;
  // otherwise they are tokenized as plain text. User-defined tokens always match.
  std::vector<int32_t> encode(std::string_view text, bool add_special,
                              bool parse_special = false) const;

  // The bytes of one token (may be part of a UTF-8 character). Control and unknown tokens give
  // "" unless `special`; ids outside the vocabulary give "".
  std::string token_to_piece(int32_t id, bool special = false) const;
  // llama.cpp's detokenize: concatenated pieces, the SPM leading space of the first token
  // removed, then the vocabulary's space clean-up.
  std::string decode(std::span<const int32_t> ids, bool special = false) const;
  std::string decode(std::span<const int32_t> ids, const DecodeOptions& options) const;

  int32_t n_vocab() const { return vocab_.n_tokens(); }
  VocabType type() const { return vocab_.type(); }
  const Vocab& vocab() const { return vocab_; }
  int32_t bos() const { return vocab_.bos(); }
  int32_t eos() const { return vocab_.eos(); }
  int32_t eot() const { return vocab_.eot(); }
  int32_t eom() const { return vocab_.eom(); }
  int32_t unk() const { return vocab_.unk(); }
  int32_t sep() const { return vocab_.sep(); }
  int32_t pad() const { return vocab_.pad(); }
  int32_t nl() const { return nl_; }  // the newline token
  bool add_bos() const { return vocab_.add_bos(); }
  bool add_eos() const { return vocab_.add_eos(); }
  bool is_eog(int32_t id) const { return vocab_.is_eog(id); }
  bool is_control(int32_t id) const {
    return vocab_.valid_id(id) && (vocab_.attr(id) & kAttrControl);
  }

 private:
  explicit Tokenizer(Vocab vocab);
  Status init();
  void encode_raw(std::string_view text, bool space_prefix, std::vector<int32_t>& out) const;

  Vocab vocab_;
  std::unique_ptr<PreTokenizer> pre_;  // BPE only
  std::unique_ptr<SpmTokenizer> spm_;  // SPM only
  std::unique_ptr<SpecialTokenMatcher> matcher_;
  std::vector<std::string> pieces_;  // token_to_piece(id, special=true)
  int32_t nl_ = kNoToken;
};

// Turns generated ids into text as they arrive, emitting only whole UTF-8 characters: a
// character split across tokens (byte tokens, partial byte-level pieces) comes out once complete.
// Bytes that can never form a character come out as U+FFFD, so the output is always valid UTF-8.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool special = false)
      : tokenizer_(&tokenizer), special_(special) {}
  // Text completed by this token ("" while a character is still incomplete).
  std::string feed(int32_t id);
  // Whatever is still pending (an unfinished character becomes U+FFFD); resets.
  std::string flush();
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer* tokenizer_;
  bool special_;
  std::string pending_;
};

// llama.cpp's detokenizer clean-up (" ?" -> "?", " ' " -> "'", " 's" -> "'s", ...), exposed for
// tests.
std::string clean_up_spaces(std::string text);

}  // namespace hearth::tokenizer
