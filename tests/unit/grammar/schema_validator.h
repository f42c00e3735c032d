// A small JSON schema validator for the subset the compiler supports (tests only): returns "" when
// `v` is valid, else what is wrong and where.
#pragma once

#include <nlohmann/json.hpp>
#include <regex>
#include <string>

namespace hearth::grammar::schema_check {

inline size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

inline bool type_matches(const nlohmann::json& v, const std::string& t) {
  if (t == "object") return v.is_object();
  if (t == "array") return v.is_array();
  if (t == "string") return v.is_string();
  if (t == "integer")
    return v.is_number_integer() ||
           (v.is_number_float() &&
            v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>())));
  if (t == "number") return v.is_number();
  if (t == "boolean") return v.is_boolean();
  if (t == "null") return v.is_null();
  return false;
}

inline std::string validate(const nlohmann::json& v, const nlohmann::json& s,
                            const nlohmann::json& root, const std::string& at = "$") {
  using nlohmann::json;
  if (s.is_boolean()) return s.get<bool>() ? "" : at + ": schema false";
  if (s.contains("$ref"))
    return validate(v, root.at(json::json_pointer(s["$ref"].get<std::string>().substr(1))), root,
                    at);
  if (s.contains("const") && v != s["const"]) return at + ": not the const";
  if (s.contains("enum")) {
    bool found = false;
    for (const json& e : s["enum"]) found = found || e == v;
    if (!found) return at + ": not in enum";
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!s.contains(key)) continue;
    int n_ok = 0;
    for (const json& sub : s[key]) n_ok += validate(v, sub, root, at).empty();
    if (n_ok == 0) return at + ": matches no " + key + " branch";
  }
  if (s.contains("allOf"))
    for (const json& sub : s["allOf"])
      if (std::string e = validate(v, sub, root, at); !e.empty()) return e;
  if (s.contains("type")) {
    std::vector<std::string> types;
    if (s["type"].is_string())
      types.push_back(s["type"]);
    else
      for (const json& t : s["type"]) types.push_back(t);
    if (s.value("nullable", false)) types.push_back("null");
    bool ok = false;
    for (const std::string& t : types) ok = ok || type_matches(v, t);
    if (!ok) return at + ": wrong type " + v.dump();
  }
  if (v.is_object()) {
    if (s.contains("required"))
      for (const json& r : s["required"])
        if (!v.contains(r.get<std::string>())) return at + ": missing " + r.get<std::string>();
    const json props = s.value("properties", json::object());
    for (const auto& [k, x] : v.items()) {
      if (props.contains(k)) {
        if (std::string e = validate(x, props[k], root, at + "." + k); !e.empty()) return e;
      } else if (s.contains("additionalProperties")) {
        if (std::string e = validate(x, s["additionalProperties"], root, at + "." + k); !e.empty())
          return e;
      }
    }
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<size_t>())
      return at + ": too few items";
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<size_t>())
      return at + ": too many items";
    if (s.contains("items"))
      for (size_t i = 0; i < v.size(); ++i)
        if (std::string e = validate(v[i], s["items"], root, at + "[" + std::to_string(i) + "]");
            !e.empty())
          return e;
  }
  if (v.is_string()) {
    const std::string str = v.get<std::string>();
    const size_t n = utf8_length(str);
    if (s.contains("minLength") && n < s["minLength"].get<size_t>()) return at + ": too short";
    if (s.contains("maxLength") && n > s["maxLength"].get<size_t>()) return at + ": too long";
    if (s.contains("format")) {
      const std::string f = s["format"];
      static const std::regex date(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
      static const std::regex uuid(R"([0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})");
      if (f == "date" && !std::regex_match(str, date)) return at + ": not a date";
      if (f == "uuid" && !std::regex_match(str, uuid)) return at + ": not a uuid";
    }
  }
  if (v.is_number()) {
    const double x = v.get<double>();
    if (s.contains("minimum") && x < s["minimum"].get<double>()) return at + ": below minimum";
    if (s.contains("maximum") && x > s["maximum"].get<double>()) return at + ": above maximum";
    if (s.contains("exclusiveMinimum") && x <= s["exclusiveMinimum"].get<double>())
      return at + ": not above exclusiveMinimum";
    if (s.contains("exclusiveMaximum") && x >= s["exclusiveMaximum"].get<double>())
      return at + ": not below exclusiveMaximum";
  }
  return "";
}

}  // namespace hearth::grammar::schema_check
