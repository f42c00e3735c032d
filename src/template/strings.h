// Python str semantics the template language exposes (ASCII case mapping, like most templates
// need).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "template/value.h"

namespace hearth::tmpl {

std::string py_lower(const std::string& s);
std::string py_upper(const std::string& s);
std::string py_capitalize(const std::string& s);
std::string py_title(const std::string& s);     // str.title()
std::string jinja_title(const std::string& s);  // the |title filter
// str.strip(chars): chars None/undefined = whitespace.
std::string py_strip(const std::string& s, const Value& chars, bool left, bool right);
std::string py_replace(const std::string& s, const std::string& old, const std::string& rep,
                       int64_t count);
// str.split(sep, maxsplit); sep None splits on runs of whitespace.
std::vector<std::string> py_split(const std::string& s, const Value& sep, int64_t maxsplit);
// str.splitlines(): a trailing line break does not start an empty line.
std::vector<std::string> split_lines(const std::string& s);
std::optional<int64_t> parse_python_int(const std::string& s);
std::optional<double> parse_python_float(const std::string& s);
std::string html_escape(const std::string& s);

}  // namespace hearth::tmpl
