// response_format / format / grammar -> SamplingParams::grammar (see server.h).
#include <nlohmann/json.hpp>

#include "grammar/json_schema.h"
#include "server/server.h"

namespace hearth::server {
namespace {

using ojson = nlohmann::ordered_json;

bool set_grammar(Result<std::shared_ptr<const grammar::Grammar>> g, engine::SamplingParams* params,
                 std::string* err) {
  if (!g.ok()) return *err = g.status().message(), false;
  params->grammar = *g;
  return true;
}

bool read_openai(const ojson& body, engine::SamplingParams* params, std::string* err,
                 std::string* param) {
  if (!body.contains("response_format") || body["response_format"].is_null()) return true;
  *param = "response_format";
  const ojson& rf = body["response_format"];
  const std::string type = rf.is_object() && rf.contains("type") && rf["type"].is_string()
                               ? rf["type"].get<std::string>()
                               : "";
  if (type == "text") return true;
  if (type == "json_object") return set_grammar(grammar::json_object_grammar(), params, err);
  if (type != "json_schema")
    return *err = "'response_format.type' must be text, json_object or json_schema", false;
  if (!rf.contains("json_schema") || !rf["json_schema"].is_object() ||
      !rf["json_schema"].contains("schema"))
    return *err = "'response_format.json_schema.schema' is required for type json_schema", false;
  return set_grammar(grammar::compile_json_schema(rf["json_schema"]["schema"]), params, err);
}

bool read_ollama(const ojson& body, engine::SamplingParams* params, std::string* err,
                 std::string* param) {
  if (!body.contains("format") || body["format"].is_null()) return true;
  *param = "format";
  const ojson& f = body["format"];
  if (f.is_string() && f.get<std::string>().empty()) return true;
  if (f.is_string() && f.get<std::string>() == "json")
    return set_grammar(grammar::json_object_grammar(), params, err);
  if (!f.is_object()) return *err = "'format' must be \"json\" or a JSON schema object", false;
  return set_grammar(grammar::compile_json_schema(f), params, err);
}

}  // namespace

bool read_structured_output(const std::string& raw_body, bool ollama,
                            engine::SamplingParams* params, std::string* err, std::string* param) {
  const ojson body = ojson::parse(raw_body, nullptr, false);
  if (!body.is_object()) return true;  // the route reports a malformed body itself
  if (!(ollama ? read_ollama(body, params, err, param) : read_openai(body, params, err, param)))
    return false;
  if (!body.contains("grammar") || body["grammar"].is_null()) return true;
  *param = "grammar";
  if (params->grammar)
    return *err = ollama ? "use either 'format' or 'grammar', not both"
                         : "use either 'response_format' or 'grammar', not both",
           false;
  if (!body["grammar"].is_string()) return *err = "'grammar' must be a GBNF string", false;
  return set_grammar(grammar::Grammar::parse(body["grammar"].get<std::string>()), params, err);
}

}  // namespace hearth::server
