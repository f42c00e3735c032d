// JSON schema -> GBNF compiler (see json_schema.h for what is supported).
#include "grammar/json_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

namespace hearth::grammar {
namespace {

using json = nlohmann::ordered_json;

constexpr int64_t kMaxInt = 9'999'999'999'999'999;  // 16 digits, the integer rule's limit
constexpr int64_t kMaxCount = 10000;                // string lengths, item counts

struct Primitive {
  const char* name;
  const char* body;
  std::vector<const char*> deps;
};

const std::vector<Primitive>& primitives() {
  static const std::vector<Primitive> kPrims = {
      {"ws", R"(| " " | "\n" [ \t]{0,20})", {}},
      {"char", R"([^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}))", {}},
      {"string", R"("\"" char* "\"")", {"char"}},
      {"integer", R"("-"? ("0" | [1-9] [0-9]{0,15}))", {}},
      {"number",
       R"("-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?)",
       {}},
      {"boolean", R"("true" | "false")", {}},
      {"null", R"("null")", {}},
      {"value",
       R"(object | array | string | number | boolean | null)",
       {"object", "array", "string", "number", "boolean", "null"}},
      {"object",
       R"("{" ws (string ws ":" ws value ws ("," ws string ws ":" ws value ws)*)? "}")",
       {"ws", "string", "value"}},
      {"array", R"("[" ws (value ws ("," ws value ws)*)? "]")", {"ws", "value"}},
      {"date",
       R"([0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]))",
       {}},
      {"time",
       R"(([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9]))",
       {}},
      {"date-time", R"(date "T" time)", {"date", "time"}},
      {"uuid",
       R"([0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12})",
       {}},
  };
  return kPrims;
}

const std::set<std::string>& annotation_keywords() {
  static const std::set<std::string> k = {
      "title",    "description", "default",    "examples", "$schema",     "$id",    "$comment",
      "readOnly", "writeOnly",   "deprecated", "$defs",    "definitions", "$anchor"};
  return k;
}

const std::set<std::string>& handled_keywords() {
  static const std::set<std::string> k = {"type",
                                          "enum",
                                          "const",
                                          "anyOf",
                                          "oneOf",
                                          "allOf",
                                          "$ref",
                                          "properties",
                                          "required",
                                          "additionalProperties",
                                          "items",
                                          "minItems",
                                          "maxItems",
                                          "minLength",
                                          "maxLength",
                                          "format",
                                          "minimum",
                                          "maximum",
                                          "exclusiveMinimum",
                                          "exclusiveMaximum",
                                          "nullable"};
  return k;
}

std::string digits_class(char lo, char hi) {
  if (lo == hi) return std::string("\"") + lo + "\"";
  return std::string("[") + lo + "-" + hi + "]";
}

// Equal-length digit strings a <= b: every digit string of that length in [a, b].
std::string same_length_range(const std::string& a, const std::string& b) {
  if (a.empty()) return "";
  if (a == b) return "\"" + a + "\"";
  const size_t r = a.size() - 1;
  if (a.find_first_not_of('0') == std::string::npos &&
      b.find_first_not_of('9') == std::string::npos)
    return "[0-9]{" + std::to_string(a.size()) + "}";
  size_t i = 0;
  while (a[i] == b[i]) ++i;
  std::string prefix = i > 0 ? "\"" + a.substr(0, i) + "\" " : "";
  const char da = a[i], db = b[i];
  const std::string ar = a.substr(i + 1), br = b.substr(i + 1);
  if (ar.empty()) return prefix + digits_class(da, db);
  const std::string rest_len = std::to_string(ar.size());
  std::vector<std::string> alts;
  alts.push_back(digits_class(da, da) + " (" + same_length_range(ar, std::string(ar.size(), '9')) +
                 ")");
  if (da + 1 <= db - 1)
    alts.push_back(digits_class(static_cast<char>(da + 1), static_cast<char>(db - 1)) + " [0-9]{" +
                   rest_len + "}");
  alts.push_back(digits_class(db, db) + " (" + same_length_range(std::string(br.size(), '0'), br) +
                 ")");
  std::string out = prefix + "(";
  for (size_t k = 0; k < alts.size(); ++k) out += (k ? " | " : "") + alts[k];
  (void)r;
  return out + ")";
}

// Non-negative integers in [a, b] without leading zeros.
std::string nonneg_range(int64_t a, int64_t b) {
  std::vector<std::string> parts;
  int64_t low = 0, high = 9;  // bounds of the current digit count
  for (int len = 1; len <= 16 && low <= b; ++len) {
    const int64_t x = std::max(a, low), y = std::min(b, high);
    if (x <= y) parts.push_back(same_length_range(std::to_string(x), std::to_string(y)));
    low = high + 1;
    high = high * 10 + 9;
  }
  std::string out = "(";
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? " | " : "") + parts[k];
  return out + ")";
}

std::string int_range(int64_t lo, int64_t hi) {
  std::vector<std::string> parts;
  if (lo < 0)
    parts.push_back("\"-\" " + nonneg_range(std::max<int64_t>(1, -std::min<int64_t>(hi, -1)), -lo));
  if (hi >= 0) parts.push_back(nonneg_range(std::max<int64_t>(lo, 0), hi));
  std::string out = "(";
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? " | " : "") + parts[k];
  return out + ")";
}

std::string repeat_suffix(int64_t lo, int64_t hi) {  // hi < 0: unbounded
  if (hi < 0) return lo == 0 ? "*" : lo == 1 ? "+" : "{" + std::to_string(lo) + ",}";
  if (lo == hi) return "{" + std::to_string(lo) + "}";
  return "{" + std::to_string(lo) + "," + std::to_string(hi) + "}";
}

class Compiler {
 public:
  explicit Compiler(const json& root) : root_(root) {}

  Result<std::string> run() {
    HEARTH_ASSIGN_OR_RETURN(std::string expr, visit(root_, "schema", "#"));
    define("root", expr);
    std::string out;
    for (const auto& [name, body] : rules_) out += name + " ::= " + body + "\n";
    return out;
  }

 private:
  Status unsupported_at(const std::string& path, const std::string& what) {
    return invalid_argument("JSON schema at ", path, ": ", what, " is not supported");
  }

  std::string prim(const std::string& name) {
    for (const Primitive& p : primitives()) {
      if (name != p.name) continue;
      if (defined_.insert(name).second) {
        rules_.emplace_back(name, p.body);
        for (const char* d : p.deps) prim(d);
      }
      return name;
    }
    return name;  // unreachable for known names
  }

  void define(const std::string& name, const std::string& body) {
    defined_.insert(name);
    rules_.emplace_back(name, body.empty() ? "\"\"" : body);
  }

  // A fresh rule for `body` named after `hint` (identical bodies share one rule).
  std::string rule(const std::string& hint, const std::string& body) {
    if (auto it = by_body_.find(body); it != by_body_.end()) return it->second;
    std::string name;
    for (char c : hint) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    if (defined_.count(name) || reserved_.count(name)) {
      int k = 1;
      while (defined_.count(name + "-" + std::to_string(k)) ||
             reserved_.count(name + "-" + std::to_string(k)))
        ++k;
      name += "-" + std::to_string(k);
    }
    define(name, body);
    by_body_.emplace(body, name);
    return name;
  }

  Result<std::string> visit(const json& s, const std::string& hint, const std::string& path);
  Result<std::string> visit_ref(const std::string& ref, const std::string& path);
  Result<std::string> visit_type(const json& s, const std::string& type, const std::string& hint,
                                 const std::string& path);
  Result<std::string> visit_object(const json& s, const std::string& hint, const std::string& path);
  Result<std::string> visit_array(const json& s, const std::string& hint, const std::string& path);
  Result<std::string> visit_string(const json& s, const std::string& path);
  Result<std::string> visit_integer(const json& s, const std::string& hint,
                                    const std::string& path);
  Result<int64_t> count_keyword(const json& s, const char* key, const std::string& path);
  Status check_keywords(const json& s, const std::string& path);

  const json& root_;
  std::vector<std::pair<std::string, std::string>> rules_;  // (name, body) in emission order
  std::set<std::string> defined_, reserved_;
  std::unordered_map<std::string, std::string> by_body_;
  std::map<std::string, std::string> refs_;  // "$ref" -> rule name
  int depth_ = 0;
};

std::string literal_of(const json& v) {
  return gbnf_literal(v.dump(-1, ' ', false, json::error_handler_t::replace));
}

Status Compiler::check_keywords(const json& s, const std::string& path) {
  for (const auto& [key, value] : s.items()) {
    if (handled_keywords().count(key) || annotation_keywords().count(key)) continue;
    return unsupported_at(path, "the keyword '" + key + "'");
  }
  return Status::Ok();
}

Result<std::string> Compiler::visit(const json& s, const std::string& hint,
                                    const std::string& path) {
  if (s.is_boolean()) {
    if (s.get<bool>()) return prim("value");
    return invalid_argument("JSON schema at ", path, ": the schema false matches nothing");
  }
  if (!s.is_object())
    return invalid_argument("JSON schema at ", path, ": a schema must be an object or a boolean");
  if (++depth_ > 64) return unsupported_at(path, "nesting deeper than 64 levels");
  struct DepthGuard {
    int& d;
    ~DepthGuard() { --d; }
  } guard{depth_};
  HEARTH_RETURN_IF_ERROR(check_keywords(s, path));
  std::string expr;
  if (s.contains("$ref")) {
    if (!s["$ref"].is_string())
      return invalid_argument("JSON schema at ", path, ": $ref must be a string");
    HEARTH_ASSIGN_OR_RETURN(expr, visit_ref(s["$ref"].get<std::string>(), path));
  } else if (s.contains("const")) {
    expr = literal_of(s["const"]);
  } else if (s.contains("enum")) {
    if (!s["enum"].is_array() || s["enum"].empty())
      return invalid_argument("JSON schema at ", path, ": enum must be a non-empty array");
    for (const json& v : s["enum"]) expr += (expr.empty() ? "" : " | ") + literal_of(v);
    expr = rule(hint, expr);
  } else if (s.contains("anyOf") || s.contains("oneOf") || s.contains("allOf")) {
    const char* key = s.contains("anyOf") ? "anyOf" : s.contains("oneOf") ? "oneOf" : "allOf";
    const json& list = s[key];
    if (!list.is_array() || list.empty())
      return invalid_argument("JSON schema at ", path, ": ", key, " must be a non-empty array");
    if (std::string(key) == "allOf" && list.size() != 1)
      return unsupported_at(path, "allOf with more than one schema");
    if (s.contains("type") || s.contains("properties"))
      return unsupported_at(path, std::string(key) + " next to 'type' or 'properties'");
    for (size_t i = 0; i < list.size(); ++i) {
      HEARTH_ASSIGN_OR_RETURN(std::string alt, visit(list[i], hint + "-" + std::to_string(i),
                                                     path + "/" + key + "/" + std::to_string(i)));
      expr += (expr.empty() ? "" : " | ") + alt;
    }
    if (list.size() > 1) expr = rule(hint, expr);
  } else {
    std::vector<std::string> types;
    if (s.contains("type")) {
      const json& t = s["type"];
      if (t.is_string()) {
        types.push_back(t.get<std::string>());
      } else if (t.is_array() && !t.empty()) {
        for (const json& x : t) {
          if (!x.is_string())
            return invalid_argument("JSON schema at ", path, ": type must hold strings");
          types.push_back(x.get<std::string>());
        }
      } else {
        return invalid_argument("JSON schema at ", path, ": type must be a string or an array");
      }
    } else if (s.contains("properties") || s.contains("additionalProperties")) {
      types.push_back("object");
    } else if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) {
      types.push_back("array");
    } else if (s.contains("minLength") || s.contains("maxLength") || s.contains("format")) {
      types.push_back("string");
    } else {
      return prim("value");  // no type: any JSON value
    }
    if (s.value("nullable", false) && std::find(types.begin(), types.end(), "null") == types.end())
      types.push_back("null");
    for (const std::string& t : types) {
      HEARTH_ASSIGN_OR_RETURN(std::string alt,
                              visit_type(s, t, types.size() > 1 ? hint + "-" + t : hint, path));
      expr += (expr.empty() ? "" : " | ") + alt;
    }
    if (types.size() > 1) expr = rule(hint, expr);
  }
  return expr;
}

Result<std::string> Compiler::visit_ref(const std::string& ref, const std::string& path) {
  if (auto it = refs_.find(ref); it != refs_.end()) return it->second;
  if (ref.empty() || ref[0] != '#')
    return unsupported_at(path, "the $ref '" + ref + "' (only local #/$defs/... references)");
  const json* target = nullptr;
  try {
    target = &root_.at(json::json_pointer(ref.substr(1)));
  } catch (const std::exception&) {
    return invalid_argument("JSON schema at ", path, ": $ref '", ref,
                            "' does not point into the schema");
  }
  std::string hint = "ref" + ref.substr(ref.rfind('/') == std::string::npos ? 1 : ref.rfind('/'));
  std::string name;
  for (char c : hint) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
  while (defined_.count(name) || reserved_.count(name)) name += "-r";
  reserved_.insert(name);
  refs_[ref] = name;  // before visiting: recursive references resolve to the rule itself
  HEARTH_ASSIGN_OR_RETURN(std::string expr, visit(*target, name + "-body", ref));
  define(name, expr);
  return name;
}

Result<std::string> Compiler::visit_type(const json& s, const std::string& type,
                                         const std::string& hint, const std::string& path) {
  if (type == "object") return visit_object(s, hint, path);
  if (type == "array") return visit_array(s, hint, path);
  if (type == "string") return visit_string(s, path);
  if (type == "integer") return visit_integer(s, hint, path);
  if (type == "boolean") return prim("boolean");
  if (type == "null") return prim("null");
  if (type == "number") {
    const bool lower = s.contains("minimum") || s.contains("exclusiveMinimum");
    if (s.contains("maximum") || s.contains("exclusiveMaximum") || s.contains("exclusiveMinimum") ||
        (lower && !(s["minimum"].is_number() && s["minimum"].get<double>() == 0)))
      return unsupported_at(path,
                            "minimum / maximum on type number (only minimum 0; use "
                            "type integer for other bounds)");
    if (!lower) return prim("number");
    prim("number");
    return rule("nonneg-number",
                R"(("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?)");
  }
  return invalid_argument("JSON schema at ", path, ": unknown type '", type, "'");
}

Result<int64_t> Compiler::count_keyword(const json& s, const char* key, const std::string& path) {
  if (!s.contains(key)) return int64_t{-1};
  const json& v = s[key];
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    return invalid_argument("JSON schema at ", path, ": ", key, " must be a non-negative integer");
  if (v.get<int64_t>() > kMaxCount) return unsupported_at(path, str_cat(key, " above ", kMaxCount));
  return v.get<int64_t>();
}

Result<std::string> Compiler::visit_string(const json& s, const std::string& path) {
  const std::string q = R"("\"")";
  if (s.contains("format")) {
    const std::string f = s["format"].is_string() ? s["format"].get<std::string>() : "";
    if (f != "date" && f != "time" && f != "date-time" && f != "uuid")
      return unsupported_at(path, "format '" + f + "' (date, time, date-time, uuid are)");
    return rule("string-" + f, q + " " + prim(f) + " " + q);
  }
  HEARTH_ASSIGN_OR_RETURN(int64_t lo, count_keyword(s, "minLength", path));
  HEARTH_ASSIGN_OR_RETURN(int64_t hi, count_keyword(s, "maxLength", path));
  if (lo < 0 && hi < 0) return prim("string");
  lo = std::max<int64_t>(lo, 0);
  if (hi >= 0 && hi < lo)
    return invalid_argument("JSON schema at ", path, ": maxLength is below minLength");
  return rule("string-len", q + " " + prim("char") + repeat_suffix(lo, hi) + " " + q);
}

Result<std::string> Compiler::visit_integer(const json& s, const std::string& hint,
                                            const std::string& path) {
  int64_t lo = -kMaxInt, hi = kMaxInt;
  bool bounded = false;
  for (const char* key : {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}) {
    if (!s.contains(key)) continue;
    if (!s[key].is_number())
      return invalid_argument("JSON schema at ", path, ": ", key, " must be a number");
    const double v = s[key].get<double>();
    if (std::fabs(v) > static_cast<double>(kMaxInt))
      return unsupported_at(path, std::string(key) + " beyond 16 digits");
    bounded = true;
    const std::string k = key;
    if (k == "minimum") lo = std::max(lo, static_cast<int64_t>(std::ceil(v)));
    if (k == "exclusiveMinimum") lo = std::max(lo, static_cast<int64_t>(std::floor(v)) + 1);
    if (k == "maximum") hi = std::min(hi, static_cast<int64_t>(std::floor(v)));
    if (k == "exclusiveMaximum") hi = std::min(hi, static_cast<int64_t>(std::ceil(v)) - 1);
  }
  if (!bounded) return prim("integer");
  if (lo > hi)
    return invalid_argument("JSON schema at ", path,
                            ": no integer lies between the minimum and "
                            "the maximum");
  return rule(hint + "-int", int_range(lo, hi));
}

Result<std::string> Compiler::visit_object(const json& s, const std::string& hint,
                                           const std::string& path) {
  const std::string ws = prim("ws");
  struct Prop {
    std::string key, value;
    bool required;
  };
  std::vector<Prop> props;
  std::set<std::string> required;
  if (s.contains("required")) {
    if (!s["required"].is_array())
      return invalid_argument("JSON schema at ", path, ": required must be an array of names");
    for (const json& r : s["required"]) {
      if (!r.is_string())
        return invalid_argument("JSON schema at ", path, ": required must be an array of names");
      required.insert(r.get<std::string>());
    }
  }
  if (s.contains("properties")) {
    if (!s["properties"].is_object())
      return invalid_argument("JSON schema at ", path, ": properties must be an object");
    for (const auto& [key, sub] : s["properties"].items()) {
      HEARTH_ASSIGN_OR_RETURN(std::string v,
                              visit(sub, hint + "-" + key, path + "/properties/" + key));
      props.push_back({key, v, required.count(key) > 0});
    }
  }
  for (const std::string& r : required) {
    bool listed =
        std::any_of(props.begin(), props.end(), [&](const Prop& p) { return p.key == r; });
    if (!listed) props.push_back({r, prim("value"), true});
  }
  std::string extra;  // value rule of additional properties, "" when none
  if (s.contains("additionalProperties") && !s["additionalProperties"].is_boolean()) {
    HEARTH_ASSIGN_OR_RETURN(
        extra, visit(s["additionalProperties"], hint + "-extra", path + "/additionalProperties"));
  } else if (s.value("additionalProperties", false)) {
    extra = prim("value");
  }
  // first[i]: properties i.. when nothing was written yet; after[i]: when something was.
  std::string after, first;
  if (!extra.empty()) {
    const std::string kv = prim("string") + " " + ws + " \":\" " + ws + " " + extra + " " + ws;
    after = rule(hint + "-extra-more", "(\",\" " + ws + " " + kv + ")*");
    first = rule(hint + "-extra-first", "(" + kv + " " + after + ")?");
  }
  for (size_t i = props.size(); i-- > 0;) {
    const Prop& p = props[i];
    const std::string kv =
        literal_of(json(p.key)) + " " + ws + " \":\" " + ws + " " + p.value + " " + ws;
    const std::string tag = hint + "-" + std::to_string(i);
    std::string new_after = p.required ? "\",\" " + ws + " " + kv + " " + after
                                       : "(\",\" " + ws + " " + kv + ")? " + after;
    std::string new_first = p.required
                                ? kv + " " + after
                                : kv + " " + after + (first.empty() ? " | \"\"" : " | " + first);
    after = rule(tag + "-after", new_after);
    first = rule(tag + "-first", new_first);
  }
  return rule(hint, "\"{\" " + ws + " " + first + " \"}\"");
}

Result<std::string> Compiler::visit_array(const json& s, const std::string& hint,
                                          const std::string& path) {
  const std::string ws = prim("ws");
  std::string item = prim("value");
  if (s.contains("prefixItems")) return unsupported_at(path, "prefixItems");
  if (s.contains("items")) {
    if (s["items"].is_array()) return unsupported_at(path, "items as an array (tuple validation)");
    HEARTH_ASSIGN_OR_RETURN(item, visit(s["items"], hint + "-item", path + "/items"));
  }
  HEARTH_ASSIGN_OR_RETURN(int64_t lo, count_keyword(s, "minItems", path));
  HEARTH_ASSIGN_OR_RETURN(int64_t hi, count_keyword(s, "maxItems", path));
  lo = std::max<int64_t>(lo, 0);
  if (hi >= 0 && hi < lo)
    return invalid_argument("JSON schema at ", path, ": maxItems is below minItems");
  if (hi == 0) return rule(hint, "\"[\" " + ws + " \"]\"");
  std::string more = "(\",\" " + ws + " " + item + " " + ws + ")" +
                     repeat_suffix(std::max<int64_t>(lo - 1, 0), hi < 0 ? -1 : hi - 1);
  std::string list = item + " " + ws + " " + more;
  if (lo == 0) list = "(" + list + ")?";
  return rule(hint, "\"[\" " + ws + " " + list + " \"]\"");
}

}  // namespace

std::string gbnf_literal(const std::string& bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "\"";
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

Result<std::string> json_schema_to_gbnf(const nlohmann::ordered_json& schema) {
  return Compiler(schema).run();
}

Result<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::ordered_json& schema) {
  HEARTH_ASSIGN_OR_RETURN(std::string gbnf, json_schema_to_gbnf(schema));
  auto g = Grammar::parse(gbnf);
  if (!g.ok()) return invalid_argument("JSON schema: ", g.status().message());
  return g;
}

std::string json_object_gbnf() {
  std::string out = "root ::= object\n";
  for (const Primitive& p : primitives()) {
    const std::string n = p.name;
    if (n == "date" || n == "time" || n == "date-time" || n == "uuid" || n == "integer") continue;
    out += n + " ::= " + p.body + "\n";
  }
  return out;
}

Result<std::shared_ptr<const Grammar>> json_object_grammar() {
  return Grammar::parse(json_object_gbnf());
}

}  // namespace hearth::grammar
