#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenize.h"

#include <pcre2.h>

#include <string>

#include "core/log.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

// --- The regex chains (PCRE2 syntax; llama.cpp's adaptations of the tokenizer.json patterns) ---

// GPT-2: contractions, letters, digits, other symbols (each with an optional leading space),
// whitespace not followed by a non-space.
constexpr std::string_view kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";

// Llama 3: case-insensitive contractions, a letter run with one optional leading non-letter,
// digits in groups of up to 3, symbols with trailing newlines, newline runs, whitespace.
constexpr std::string_view kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Qwen2: Llama 3 with single digits.
constexpr std::string_view kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// GPT-4o (o200k): words split at lower->upper case changes, with contractions. The upstream
// "uppercase" and "lowercase" classes are, as in llama.cpp, "a letter that is not a-z" and
// "a letter that is not A-Z"; written here as negated classes ([^\P{L}a-z]) so that long letter
// runs do not need one backtracking frame per character.
#define HEARTH_CONTRACTIONS "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"
constexpr std::string_view kGpt4o =
    R"([^\r\n\p{L}\p{N}]?[^\P{L}a-z]*[^\P{L}A-Z]+)" HEARTH_CONTRACTIONS
    R"(?|[^\r\n\p{L}\p{N}]?[^\P{L}a-z]+[^\P{L}A-Z]*)" HEARTH_CONTRACTIONS
    R"(?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
#undef HEARTH_CONTRACTIONS

// Tekken (Mistral Nemo): GPT-4o without contractions, single digits.
constexpr std::string_view kTekken =
    R"([^\r\n\p{L}\p{N}]?[^\P{L}a-z]*[^\P{L}A-Z]+|[^\r\n\p{L}\p{N}]?[^\P{L}a-z]+[^\P{L}A-Z]*|)"
    R"(\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// DeepSeek LLM's letter class (Latin, Greek, Cyrillic, Armenian, Georgian, Cherokee, ...).
constexpr std::string_view kDeepseekLetters =
    R"(\s?[)"
    R"(A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293})"
    R"(\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-)"
    R"(\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-)"
    R"(\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-)"
    R"(\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18})"
    R"(-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D})"
    R"(\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6})"
    R"(-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4})"
    R"(\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124})"
    R"(\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-)"
    R"(\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE})"
    R"(\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787})"
    R"(\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-)"
    R"(\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB})"
    R"(\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943})"
    R"(]+)";
constexpr std::string_view kDeepseekPunct =
    R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";
constexpr std::string_view kCjk = R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
// "\s+$" (trailing whitespace of a piece) with a lookbehind so that a long whitespace run inside
// a piece is scanned once, not once per start position; it matches exactly the same text.
constexpr std::string_view kTrailingSpace = R"((?<!\s)\s+$)";
constexpr std::string_view kBloom =
    R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{964}\x{6D4}\x{60C})]+)";

std::vector<std::string_view> patterns_for(PreType type) {
  switch (type) {
    case PreType::kDefault:
      return {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"};
    case PreType::kGpt2:
      return {kGpt2};
    case PreType::kLlama3:
      return {kLlama3};
    case PreType::kQwen2:
      return {kQwen2};
    case PreType::kDeepseekLlm:
      return {"[\r\n]", kDeepseekLetters, kDeepseekPunct, kTrailingSpace, kCjk, R"(\p{N}+)"};
    case PreType::kDeepseekCoder:
      return {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, R"(\p{N})"};
    case PreType::kFalcon:
      return {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"};
    case PreType::kStarcoder:
      return {R"(\p{N})", kGpt2};
    case PreType::kGpt4o:
      return {kGpt4o};
    case PreType::kTekken:
      return {kTekken};
    case PreType::kBloom:
      return {kBloom};
    case PreType::kViking:
      return {kBloom, R"(\p{N})"};
  }
  return {kGpt2};
}

// The text the regexes run on: non-ASCII White_Space becomes "\v", surrogates become U+FFFD.
// `source_offset[i]` is the source byte offset of match-text byte i (only filled when the two
// texts differ in length).
struct MatchText {
  std::string text;
  std::vector<size_t> source_offset;
  bool same_as_source = true;
};

void build_match_text(std::string_view source, MatchText& m) {
  size_t pos = 0;
  bool needs_copy = false;
  for (; pos < source.size(); ++pos) {
    if (static_cast<uint8_t>(source[pos]) < 0x80) continue;
    const DecodedChar c = decode_utf8(source, pos);
    if ((c.cpt >= 0xD800 && c.cpt <= 0xDFFF) || is_white_space(c.cpt)) {
      needs_copy = true;
      break;
    }
    pos += c.size - 1;
  }
  if (!needs_copy) return;
  m.same_as_source = false;
  m.text.assign(source.substr(0, pos));
  m.source_offset.resize(pos);
  for (size_t i = 0; i < pos; ++i) m.source_offset[i] = i;
  while (pos < source.size()) {
    const DecodedChar c = decode_utf8(source, pos);
    const size_t before = m.text.size();
    if (c.cpt >= 0x80 && is_white_space(c.cpt)) {
      m.text.push_back('\v');
    } else if (c.cpt >= 0xD800 && c.cpt <= 0xDFFF) {
      append_utf8(m.text, kReplacementChar);
    } else {
      m.text.append(source.substr(pos, c.size));
    }
    for (size_t i = before; i < m.text.size(); ++i) m.source_offset.push_back(pos);
    pos += c.size;
  }
  m.source_offset.push_back(source.size());
}

}  // namespace

struct PreTokenizer::Pattern {
  std::string source;
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Pattern() { pcre2_code_free(code); }
};

Result<PreTokenizer> PreTokenizer::create(PreType type) {
  return from_patterns(patterns_for(type));
}

Result<PreTokenizer> PreTokenizer::from_patterns(const std::vector<std::string_view>& patterns) {
  PreTokenizer result;
  for (std::string_view source : patterns) {
    auto pattern = std::make_shared<Pattern>();
    pattern->source = std::string(source);
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    // \p{..} classes use PCRE2's Unicode tables (UTF mode). PCRE2_UCP is deliberately off: it
    // would widen \s beyond ASCII, while llama.cpp's \s is "ASCII whitespace, plus every
    // non-ASCII White_Space character collapsed to \v" -- which build_match_text reproduces.
    const uint32_t options = PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_AUTO_CAPTURE;
    pattern->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                                  options, &error, &error_offset, nullptr);
    if (pattern->code == nullptr) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      return internal_error("pre-tokenizer regex '", source, "' does not compile at offset ",
                            error_offset, ": ", reinterpret_cast<const char*>(message));
    }
    pattern->jit = pcre2_jit_compile(pattern->code, PCRE2_JIT_COMPLETE) == 0;
    result.patterns_.push_back(std::move(pattern));
  }
  return result;
}

namespace {

// Runs one regex over one piece [begin, end) of `text`, appending matches and the gaps between.
void split_piece(const pcre2_code* code, bool jit, std::string_view text, Span piece,
                 pcre2_match_data* match, std::vector<Span>& out) {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data() + piece.first);
  const size_t length = piece.second - piece.first;
  size_t last = 0;  // end of the previous match, relative to the piece
  size_t start = 0;
  while (start < length) {
    int rc = jit ? pcre2_jit_match(code, subject, length, start, 0, match, nullptr)
                 : pcre2_match(code, subject, length, start, PCRE2_NO_UTF_CHECK, match, nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && jit) {
      // JIT stack exhausted (very long runs): the interpreter keeps its state on the heap.
      rc = pcre2_match(code, subject, length, start, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, match,
                       nullptr);
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      log_warn("pre-tokenizer: regex matching failed (PCRE2 error ", rc,
               "); keeping the rest of a ", length, "-byte piece whole");
      break;
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match);
    const size_t match_begin = ovector[0], match_end = ovector[1];
    if (match_end <= match_begin) {  // empty match: step over one character
      start = match_begin + utf8_sequence_length(static_cast<uint8_t>(subject[match_begin]));
      continue;
    }
    if (match_begin > last) out.emplace_back(piece.first + last, piece.first + match_begin);
    out.emplace_back(piece.first + match_begin, piece.first + match_end);
    last = start = match_end;
  }
  if (last < length) out.emplace_back(piece.first + last, piece.second);
}

}  // namespace

void PreTokenizer::split(std::string_view text, std::vector<Span>& words) const {
  if (text.empty()) return;
  MatchText match_text;
  build_match_text(text, match_text);
  const std::string_view subject = match_text.same_as_source ? text : match_text.text;

  std::vector<Span> pieces{{0, subject.size()}}, next;
  pcre2_match_data* match = pcre2_match_data_create(1, nullptr);
  for (const auto& pattern : patterns_) {
    next.clear();
    next.reserve(pieces.size() * 2);
    for (const Span& piece : pieces) {
      split_piece(pattern->code, pattern->jit, subject, piece, match, next);
    }
    pieces.swap(next);
  }
  pcre2_match_data_free(match);

  if (match_text.same_as_source) {
    words.insert(words.end(), pieces.begin(), pieces.end());
    return;
  }
  for (const Span& piece : pieces) {
    words.emplace_back(match_text.source_offset[piece.first],
                       match_text.source_offset[piece.second]);
  }
}

}  // namespace hearth::tokenizer
