// `hearth tokenize -m MODEL [-f FILE | TEXT] [--ids] [--no-bos] [--special]`: the token ids of a
// text under a model's vocabulary, exactly as llama.cpp produces them.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_util.h"
#include "command.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace hearth::tools {
namespace {

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read ", path, ": ", std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return io_error("error while reading ", path);
  return buffer.str();
}

// A piece for display on one line: control bytes and bytes that are not valid UTF-8 as escapes.
std::string printable_piece(const std::string& piece) {
  const std::string valid = tokenizer::make_valid_utf8(piece);
  if (valid != piece) {  // part of a character (byte tokens): show the bytes
    std::string out;
    char hex[8];
    for (unsigned char c : piece) {
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
    return out;
  }
  std::string out;
  for (unsigned char c : piece) {
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02X", c);
          out += hex;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

int cmd_tokenize(int argc, char** argv) {
  CLI::App app("Print the token ids of a text under a model's vocabulary", "tokenize");
  std::string model_path, file_path, text;
  bool ids_only = false, no_bos = false, special = false;
  app.add_option("-m,--model", model_path, "GGUF model (or vocabulary) file")->required();
  auto* file_opt = app.add_option("-f,--file", file_path, "read the text from FILE (as is)");
  auto* text_opt = app.add_option("text", text, "the text, taken literally");
  app.add_flag("--ids", ids_only, "print only the ids, space-separated on one line");
  app.add_flag("--no-bos", no_bos, "do not add the BOS token the vocabulary would add");
  app.add_flag("--special", special,
               "match control tokens written in the text (\"<|im_start|>\") as single tokens");
  app.footer(
      "Without --ids, prints one `id  'piece'` line per token; newlines, tabs, other control\n"
      "characters and partial UTF-8 bytes in pieces are shown as escapes (\\n, \\t, \\xE2).\n");
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;

  std::string input;
  if (file_opt->count() > 0 && text_opt->count() > 0) {
    return fail("tokenize", invalid_argument("give either TEXT or -f FILE, not both"));
  }
  if (file_opt->count() > 0) {
    auto content = read_whole_file(file_path);
    if (!content.ok()) return fail("tokenize", content.status());
    input = std::move(content).value();
  } else if (text_opt->count() > 0) {
    input = text;
  } else {
    return fail("tokenize", invalid_argument("no text: give TEXT or -f FILE"));
  }

  auto file = gguf::File::open(model_path);
  if (!file.ok()) return fail("tokenize", file.status());
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  if (!tok.ok()) return fail("tokenize", tok.status().with_context(model_path));
  const tokenizer::Tokenizer& tokenizer = **tok;

  std::vector<int32_t> ids = tokenizer.encode(input, /*add_special=*/true, special);
  if (no_bos && tokenizer.add_bos() && !ids.empty() && ids.front() == tokenizer.bos()) {
    ids.erase(ids.begin());
  }
  if (ids_only) {
    std::string line;
    for (int32_t id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
    std::printf("%s\n", line.c_str());
    return 0;
  }
  for (int32_t id : ids) {
    std::printf("%d  '%s'\n", id, printable_piece(tokenizer.token_to_piece(id, true)).c_str());
  }
  return 0;
}

}  // namespace
HEARTH_COMMAND("tokenize", "print the token ids of a text under a model's vocabulary", 40,
               cmd_tokenize);
}  // namespace hearth::tools
