// UTF-8 handling and Unicode character properties for the tokenizers.
//
// Decoding follows llama.cpp's lenient rules exactly (so that pre-tokenization sees the same code
// points): a byte that does not start a complete sequence becomes U+FFFD and is skipped alone.
// Character properties (category, White_Space, lowercase, canonical decomposition) come from ICU,
// never from hand-made tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::tokenizer {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Length of the UTF-8 sequence announced by `lead`, judged by its high 4 bits only
// (continuation bytes count as 1). This is how SPM and BPE split text into initial symbols.
inline size_t utf8_sequence_length(uint8_t lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

struct DecodedChar {
  uint32_t cpt = 0xFFFD;  // U+FFFD when !valid
  size_t size = 1;        // bytes consumed (1 when !valid)
  bool valid = false;
};

// Decodes the code point at text[pos] (pos < text.size()) with llama.cpp's rules: 1-4 byte forms
// by lead byte, continuation bytes checked, overlong forms accepted as they are.
DecodedChar decode_utf8(std::string_view text, size_t pos);

// Appends the UTF-8 form of `cpt`; surrogates and values above U+10FFFF append U+FFFD.
void append_utf8(std::string& out, uint32_t cpt);

// The text as llama.cpp's BPE pre-tokenizer sees it: every code point decoded by decode_utf8 and
// encoded again, so invalid bytes become U+FFFD and overlong forms their shortest form (surrogate
// code points keep their 3-byte form, as llama.cpp does). Returns true and leaves `out` untouched
// when `text` is already in that form (the common case).
bool canonicalize_utf8(std::string_view text, std::string& out);

// Byte count of the longest prefix of `bytes` that does not end inside a multi-byte character
// which later bytes could still complete (used by the streaming decoder).
size_t utf8_complete_prefix(std::string_view bytes);

// Replaces every byte sequence that is not valid UTF-8 with U+FFFD.
std::string make_valid_utf8(std::string_view bytes);

// --- Character properties (ICU) ---

enum class CharClass : uint8_t {
  kUndefined,    // Cn: unassigned
  kLetter,       // L*
  kMark,         // M*
  kNumber,       // N*
  kPunctuation,  // P*
  kSymbol,       // S*
  kSeparator,    // Z*
  kControl,      // Cc, Cf, Cs, Co
};

CharClass char_class(uint32_t cpt);
// Unicode White_Space property (tab..CR, space, U+0085, U+00A0, U+1680, U+2000..U+200A, ...).
bool is_white_space(uint32_t cpt);
// Simple lowercase mapping.
uint32_t to_lower(uint32_t cpt);
// First code point of the canonical decomposition (NFD) of `cpt`, or `cpt` itself.
uint32_t nfd_first(uint32_t cpt);

// --- GPT-2 byte-level alphabet ---

// The printable code point that stands for byte `b` in byte-level BPE vocabularies, as UTF-8
// ("Ġ" for a space, "Ċ" for a newline, the byte itself for printable ASCII).
std::string_view byte_to_unicode(uint8_t b);
// The byte that code point `cpt` stands for, or -1 when `cpt` is not in the byte alphabet.
int unicode_to_byte(uint32_t cpt);

}  // namespace hearth::tokenizer
