// JSON schema -> GBNF: constrained decoding that produces JSON valid against a schema.
//
//   Result<std::string> gbnf = json_schema_to_gbnf(schema);
//   Result<std::shared_ptr<const Grammar>> g = compile_json_schema(schema);
//
// Supported: type (one or an array, "null" for nullable), object (properties in declaration
// order, required, additionalProperties false / true / a schema; when absent no extra properties
// are generated), string (minLength, maxLength, format date / time / date-time / uuid), integer
// (minimum, maximum, exclusiveMinimum, exclusiveMaximum), number (minimum 0 only), boolean, null,
// array (items, minItems, maxItems), enum and const of any JSON value, anyOf / oneOf (oneOf does
// not enforce exclusivity), allOf with one member, $ref to #/$defs/... or #/definitions/...
// (recursion allowed), true / {} (any JSON value). Annotations (title, description, default,
// examples, ...) are ignored.
//
// Limits: numbers have at most 16 integer digits, 16 fraction digits and 2 exponent digits (so
// every number fits a double);
// string lengths and item counts at most 10000. Whitespace between tokens is at most one space
// or a newline plus up to 20 spaces / tabs.
//
// Anything else (pattern, not, if/then/else, patternProperties, uniqueItems, multipleOf,
// minProperties, prefixItems, other formats, ...) is an error naming the keyword and where it is,
// so a request never gets unconstrained output.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "grammar/grammar.h"

namespace hearth::grammar {

// Properties are generated in the order the schema lists them, so the schema must be parsed as an
// ordered_json. nlohmann::json sorts object keys (the declaration order is already lost), so the
// overloads taking one are deleted: parse the request text with nlohmann::ordered_json::parse.
Result<std::string> json_schema_to_gbnf(const nlohmann::ordered_json& schema);
Result<std::string> json_schema_to_gbnf(const nlohmann::json& schema) = delete;
Result<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::ordered_json& schema);
Result<std::shared_ptr<const Grammar>> compile_json_schema(const nlohmann::json& schema) = delete;

// Any JSON object (OpenAI response_format json_object, Ollama format "json").
std::string json_object_gbnf();
Result<std::shared_ptr<const Grammar>> json_object_grammar();

// GBNF string literal for raw bytes: "..." with \" \\ and control characters escaped.
std::string gbnf_literal(const std::string& bytes);

}  // namespace hearth::grammar
