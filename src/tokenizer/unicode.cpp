#include "tokenizer/unicode.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>

#include <array>

namespace hearth::tokenizer {
namespace {

bool is_continuation(uint8_t b) {
  return (b & 0xC0) == 0x80;
}

// The 256-entry byte alphabet of byte-level BPE: bytes that are printable Latin-1 stand for
// themselves, the others (controls, space, DEL, NBSP, soft hyphen, ...) are moved, in byte order,
// to U+0100 and up.
struct ByteAlphabet {
  std::array<uint32_t, 256> cpt_of_byte{};
  std::array<std::string, 256> utf8_of_byte;
  std::array<int16_t, 512> byte_of_cpt{};  // every alphabet code point is below U+0200

  ByteAlphabet() {
    byte_of_cpt.fill(-1);
    auto printable = [](int b) {
      return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    uint32_t next_moved = 256;
    for (int b = 0; b < 256; ++b) {
      cpt_of_byte[b] = printable(b) ? static_cast<uint32_t>(b) : next_moved++;
      byte_of_cpt[cpt_of_byte[b]] = static_cast<int16_t>(b);
      append_utf8(utf8_of_byte[b], cpt_of_byte[b]);
    }
  }
};

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

}  // namespace

DecodedChar decode_utf8(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(pos);
  const size_t remaining = text.size() - pos;
  if (lead < 0x80) return {lead, 1, true};
  if ((lead & 0x40) == 0) return {};  // a continuation byte cannot start a character
  size_t size;
  uint32_t cpt;
  if ((lead & 0x20) == 0) {
    size = 2;
    cpt = lead & 0x1F;
  } else if ((lead & 0x10) == 0) {
    size = 3;
    cpt = lead & 0x0F;
  } else if ((lead & 0x08) == 0) {
    size = 4;
    cpt = lead & 0x07;
  } else {
    return {};
  }
  if (remaining < size) return {};
  for (size_t i = 1; i < size; ++i) {
    if (!is_continuation(byte(pos + i))) return {};
    cpt = (cpt << 6) | (byte(pos + i) & 0x3F);
  }
  return {cpt, size, true};
}

void append_utf8(std::string& out, uint32_t cpt) {
  if ((cpt >= 0xD800 && cpt <= 0xDFFF) || cpt > 0x10FFFF) cpt = kReplacementChar;
  if (cpt < 0x80) {
    out.push_back(static_cast<char>(cpt));
  } else if (cpt < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cpt >> 6)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else if (cpt < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cpt >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cpt >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  }
}

namespace {

size_t encoded_size(uint32_t cpt) {
  return cpt < 0x80 ? 1 : cpt < 0x800 ? 2 : cpt < 0x10000 ? 3 : 4;
}

// True when the sequence decoded at `pos` re-encodes to exactly the same bytes under llama.cpp's
// rules, which keep surrogate code points (U+D800..U+DFFF) as their 3-byte form.
bool roundtrips(const DecodedChar& c) {
  return c.valid && c.cpt <= 0x10FFFF && encoded_size(c.cpt) == c.size;
}

// Strictly valid UTF-8 also excludes surrogates.
bool is_strictly_valid(const DecodedChar& c) {
  return roundtrips(c) && !(c.cpt >= 0xD800 && c.cpt <= 0xDFFF);
}

}  // namespace

bool canonicalize_utf8(std::string_view text, std::string& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const DecodedChar c = decode_utf8(text, pos);
    if (!roundtrips(c)) break;
    pos += c.size;
  }
  if (pos == text.size()) return true;
  out.assign(text.substr(0, pos));
  while (pos < text.size()) {
    const DecodedChar c = decode_utf8(text, pos);
    if (roundtrips(c)) {
      out.append(text.substr(pos, c.size));
    } else if (c.cpt >= 0xD800 && c.cpt <= 0xDFFF) {
      // An overlong form of a surrogate: llama.cpp re-encodes it as 3 bytes.
      out.push_back(static_cast<char>(0xE0 | (c.cpt >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c.cpt >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c.cpt & 0x3F)));
    } else {
      append_utf8(out, c.cpt);
    }
    pos += c.size;
  }
  return false;
}

size_t utf8_complete_prefix(std::string_view bytes) {
  // Look back at most 3 bytes for a lead byte whose sequence is still open.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const uint8_t b = static_cast<uint8_t>(bytes[n - back]);
    if (is_continuation(b)) continue;
    if (b < 0xC0 || b >= 0xF8) return n;  // ASCII or invalid lead: nothing to wait for
    const size_t need = utf8_sequence_length(b);
    return need > back ? n - back : n;
  }
  return n;
}

std::string make_valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    const DecodedChar c = decode_utf8(bytes, pos);
    if (is_strictly_valid(c)) {
      out.append(bytes.substr(pos, c.size));
    } else {
      append_utf8(out, kReplacementChar);
    }
    pos += c.size;
  }
  return out;
}

CharClass char_class(uint32_t cpt) {
  switch (u_charType(static_cast<UChar32>(cpt))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return CharClass::kLetter;
    case U_NON_SPACING_MARK:
    case U_ENCLOSING_MARK:
    case U_COMBINING_SPACING_MARK:
      return CharClass::kMark;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::kNumber;
    case U_DASH_PUNCTUATION:
    case U_START_PUNCTUATION:
    case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION:
    case U_OTHER_PUNCTUATION:
    case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      return CharClass::kPunctuation;
    case U_MATH_SYMBOL:
    case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL:
    case U_OTHER_SYMBOL:
      return CharClass::kSymbol;
    case U_SPACE_SEPARATOR:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
      return CharClass::kSeparator;
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return CharClass::kControl;
    default:
      return CharClass::kUndefined;
  }
}

bool is_white_space(uint32_t cpt) {
  return u_isUWhiteSpace(static_cast<UChar32>(cpt));
}

uint32_t to_lower(uint32_t cpt) {
  return static_cast<uint32_t>(u_tolower(static_cast<UChar32>(cpt)));
}

uint32_t nfd_first(uint32_t cpt) {
  UErrorCode status = U_ZERO_ERROR;
  static const UNormalizer2* nfd = unorm2_getNFDInstance(&status);
  if (nfd == nullptr || cpt > 0x10FFFF) return cpt;
  UChar buffer[32];
  status = U_ZERO_ERROR;
  const int32_t length =
      unorm2_getDecomposition(nfd, static_cast<UChar32>(cpt), buffer, 32, &status);
  if (U_FAILURE(status) || length <= 0) return cpt;
  UChar32 first;
  int32_t offset = 0;
  U16_NEXT(buffer, offset, length, first);
  return static_cast<uint32_t>(first);
}

std::string_view byte_to_unicode(uint8_t b) {
  return byte_alphabet().utf8_of_byte[b];
}

int unicode_to_byte(uint32_t cpt) {
  return cpt < 512 ? byte_alphabet().byte_of_cpt[cpt] : -1;
}

}  // namespace hearth::tokenizer
