// Focused tests per feature. Each row's expected output (or error class) is what Python jinja2
// 3.1 renders with Hugging Face's settings (trim_blocks, lstrip_blocks, loop controls, sandbox,
// tojson with ensure_ascii=False): the oracle, captured once per row.
#include <gtest/gtest.h>

#include <string>

#include "template/template.h"

namespace hearth::tmpl {
namespace {

struct Case {
  const char* source;
  const char* context;
  const char* expected;  // rendering, or "ErrorClass: message" from jinja2
  bool error;
};

// clang-format off
const Case kCases[] = {
    {"{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", R"json({"xs": ["a", "b", "c"]})json", "1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|", false},
    {"{% for x in xs %}{{ loop.previtem }}>{{ x }}>{{ loop.nextitem }};{% endfor %}", R"json({"xs": [1, 2, 3]})json", ">1>2;1>2>3;2>3>;", false},
    {"{% for x in xs if x % 2 %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}", R"json({"xs": [1, 2, 3, 4, 5]})json", "133353", false},
    {"{% for x in xs %}{{ x }}{% else %}empty{% endfor %}", R"json({"xs": []})json", "empty", false},
    {"{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}", R"json({"d": {"b": 1, "a": 2}})json", "b=1,a=2,", false},
    {"{% for k in d %}{{ k }}{% endfor %}", R"json({"d": {"z": 1, "y": 2}})json", "zy", false},
    {"{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", R"json({})json", "0134", false},
    {"{% set c = 0 %}{% for i in range(3) %}{% set c = c + 1 %}{{ c }}{% endfor %}{{ c }}", R"json({})json", "1110", false},
    {"{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ loop.index }}|{% endfor %}", R"json({})json", "11x 21y 1|12x 22y 2|", false},
    {"{% for x in xs %}{{ loop.cycle('odd', 'even') }} {% endfor %}", R"json({"xs": [1, 2, 3]})json", "odd even odd ", false},
    {"{% if a %}A{% elif b %}B{% elif c %}C{% else %}D{% endif %}", R"json({"b": 1, "c": 1})json", "B", false},
    {"{% if a %}A{% elif b %}B{% else %}D{% endif %}", R"json({})json", "D", false},
    {"{% if x is defined and x %}yes{% endif %}{% if y is not defined %}undef{% endif %}", R"json({"x": 1})json", "yesundef", false},
    {"{% set x = 1 %}{% set y, z = 2, 3 %}{{ x }}{{ y }}{{ z }}", R"json({})json", "123", false},
    {"{% set block %}  hi {{ name }}\n{% endset %}[{{ block }}]", R"json({"name": "bob"})json", "[  hi bob\n]", false},
    {"{% set block | upper | trim %}  hi {{ name }}\n{% endset %}[{{ block }}]", R"json({"name": "bob"})json", "[HI BOB]", false},
    {"{% set ns = namespace(found=false, n=0) %}{% for x in xs %}{% if x > 1 %}{% set ns.found = true %}{% set ns.n = ns.n + x %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}", R"json({"xs": [1, 2, 3]})json", "True 5", false},
    {"{% if true %}{% set leaked = 'yes' %}{% endif %}{{ leaked }}", R"json({})json", "yes", false},
    {"{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', greeting='Hi') }} {{ greet(name='Cy') }}", R"json({})json", "Hello, Ann! Hi, Bo! Hello, Cy!", false},
    {"{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", R"json({})json", "120", false},
    {"{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}", R"json({})json", "<inner>", false},
    {"{% set g = 'outer' %}{% macro m() %}{{ g }}{% endmacro %}{{ m() }}", R"json({})json", "outer", false},
    {"a  \n  {% if true %}\n  x\n  {% endif %}\nb", R"json({})json", "a  \n  x\nb", false},
    {"a  {%- if true -%}  x  {%- endif -%}  b", R"json({})json", "axb", false},
    {"a\n  {{- 'x' -}}\n  b", R"json({})json", "axb", false},
    {"  {#- comment -#}  a {# c #}\nb", R"json({})json", "a b", false},
    {"line\n    {%+ if true %}kept{% endif %}\n", R"json({})json", "line\n    kept", false},
    {"{% raw %}{{ not evaluated }}{% endraw %}", R"json({})json", "{{ not evaluated }}", false},
    {"{% for x in xs %}\n  {{ x }}\n{% endfor %}\n", R"json({"xs": [1, 2]})json", "  1\n  2\n", false},
    {"{{ [1, 2.5, 'a', none, true, {'k': \"it's\"}] }} {{ (1,) }} {{ (1, 2) }} {{ {} }} {{ [] }}", R"json({})json", "[1, 2.5, 'a', None, True, {'k': \"it's\"}] (1,) (1, 2) {} []", false},
    {"{{ 1/2 }} {{ 4/2 }} {{ 7//2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7.5 % 2 }} {{ 2**10 }} {{ 2**-1 }} {{ 1e20 }} {{ 0.1+0.2 }} {{ 1e-5 }} {{ 1.5e15 }} {{ 1e16 }} {{ 100.0 }} {{ -0.0 }}", R"json({})json", "0.5 2.0 3 -4 2 1.5 1024 0.5 1e+20 0.30000000000000004 1e-05 1500000000000000.0 1e+16 100.0 -0.0", false},
    {"{{ 'a' ~ 1 ~ none ~ true ~ undefined_var }} {{ 'a' + 'b' }} {{ [1] + [2] }} {{ 'ab' * 2 }} {{ -3 }} {{ +3 }} {{ 3 - -3 }}", R"json({})json", "a1NoneTrue ab [1, 2] abab -3 3 6", false},
    {"{{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[-2:] }} {{ [1,2,3,4][::2] }} {{ 'héllo'[1] }} {{ 'héllo'|length }} {{ xs[-1] }} {{ xs.0 }}", R"json({"xs": [7, 8, 9]})json", "bc fedcba ef [1, 3] é 5 9 7", false},
    {"{{ 'a' if x else 'b' }} {{ 'c' if not x }}|{{ 1 if x else 2 if y else 3 }}", R"json({"x": false, "y": true})json", "b c|2", false},
    {"{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' in 'cat' }} {{ 2 in [1,2] }} {{ 'k' in {'k':1} }} {{ 3 not in [1] }} {{ 'b' > 'a' }} {{ [1,2] == [1,2] }} {{ none == none }} {{ x == none }}", R"json({})json", "True True True True True True True True True True False", false},
    {"{{ not a and b or c }} {{ a or 'dflt' }} {{ 'x' and 'y' }} {{ 0 or [] }}", R"json({"a": 0, "b": 1, "c": 0})json", "1 dflt y []", false},
    {"{{ x is string }}{{ x is mapping }}{{ d is mapping }}{{ l is iterable }}{{ d is sequence }}{{ l is sequence }}{{ 1 is number }}{{ 1 is integer }}{{ 1.0 is float }}{{ true is boolean }}{{ true is number }}{{ 1 is boolean }}{{ n is none }}{{ u is undefined }}{{ u is iterable }}", R"json({"x": "s", "d": {}, "l": [], "n": null})json", "TrueFalseTrueTrueTrueTrueTrueTrueTrueTrueTrueFalseTrueTrueTrue", false},
    {"{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}{{ true is true }}{{ 1 is true }}{{ false is false }}{{ n is sameas none }}{{ 2 is eq 2 }}{{ 2 is equalto 3 }}{{ 3 is gt 2 }}{{ 'a' is in 'abc' }}{{ 'AB' is upper }}{{ 'ab' is lower }}{{ x is not none }}", R"json({"n": null, "x": 1})json", "TrueTrueTrueFalseTrueFalseTrueTrueTrueFalseTrueTrueTrueTrueTrue", false},
    {"{{ '  hi  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ 'hello world-foo (bar'|title }}|{{ 'hELLO wORLD'|capitalize }}|{{ 'Ab'|upper }}{{ 'Ab'|lower }}", R"json({})json", "hi|hi|Hello World-Foo (Bar|Hello world|ABab", false},
    {"{{ xs|length }} {{ xs|count }} {{ 'abc'|length }} {{ d|length }} {{ xs|first }} {{ xs|last }} {{ xs|join(', ') }} {{ xs|join }} {{ us|join(',', attribute='n') }}", R"json({"xs": [3, 1, 2], "d": {"a": 1}, "us": [{"n": "a"}, {"n": "b"}]})json", "3 3 3 1 3 2 3, 1, 2 312 a,b", false},
    {"{{ 'a-b-c'|replace('-', '+') }} {{ 'a-b-c'|replace('-', '+', 1) }} {{ u|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ none|default('d') }} {{ u|d('x') }}", R"json({})json", "a+b+c a+b-c d  d None x", false},
    {"{{ x|tojson }} {{ s|tojson }} {{ x|tojson(indent=2) }} {{ e|tojson }} {{ x|tojson(sort_keys=true) }} {{ x|tojson(separators=(',', ':')) }}", R"json({"x": {"b": [1, 2.0, null, true], "a": {"c": "é\n\"<>&'"}}, "s": "日本\u0001", "e": {"l": [], "d": {}}})json", "{\"b\": [1, 2.0, null, true], \"a\": {\"c\": \"é\\n\\\"<>&'\"}} \"日本\\u0001\" {\n  \"b\": [\n    1,\n    2.0,\n    null,\n    true\n  ],\n  \"a\": {\n    \"c\": \"é\\n\\\"<>&'\"\n  }\n} {\"l\": [], \"d\": {}} {\"a\": {\"c\": \"é\\n\\\"<>&'\"}, \"b\": [1, 2.0, null, true]} {\"b\":[1,2.0,null,true],\"a\":{\"c\":\"é\\n\\\"<>&'\"}}", false},
    {"{{ d|items|list }} {{ d|dictsort }} {{ d|dictsort(reverse=true) }} {{ d|dictsort(by='value') }}", R"json({"d": {"b": 1, "A": 3, "c": 2}})json", "[('b', 1), ('A', 3), ('c', 2)] [('A', 3), ('b', 1), ('c', 2)] [('c', 2), ('b', 1), ('A', 3)] [('b', 1), ('c', 2), ('A', 3)]", false},
    {"{{ us|map(attribute='n')|list }} {{ xs|map('string')|join('|') }} {{ us|selectattr('ok')|map(attribute='n')|list }} {{ us|rejectattr('ok')|list }} {{ us|selectattr('n', 'equalto', 'b')|list }}", R"json({"xs": [1, 2], "us": [{"n": "a", "ok": true}, {"n": "b", "ok": false}]})json", "['a', 'b'] 1|2 ['a'] [{'n': 'b', 'ok': False}] [{'n': 'b', 'ok': False}]", false},
    {"{{ xs|select('odd')|list }} {{ xs|reject('odd')|list }} {{ xs|select|list }} {{ [0,1,'',none,'x']|select|list }}", R"json({"xs": [1, 2, 3, 4]})json", "[1, 3] [2, 4] [1, 2, 3, 4] [1, 'x']", false},
    {"{{ 3|string }}{{ none|string }} {{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '2.5'|float }} {{ 3|float }} {{ 'x'|float }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.567|round(2) }} {{ 2.1|round(0, 'ceil') }} {{ 5|round }} {{ -3|abs }} {{ -2.5|abs }}", R"json({})json", "3None 42 4 0 7 3 2.5 3.0 0.0 2.0 4.0 2.57 3.0 5 3 2.5", false},
    {"{{ [3,1,2,1]|unique|list }} {{ ['a','A','b']|unique|list }} {{ [1,2,3]|reverse|list }} {{ 'abc'|reverse }} {{ ['b','C','a']|sort }} {{ [3,1,2]|sort(reverse=true) }} {{ us|sort(attribute='n')|map(attribute='n')|join }}", R"json({"us": [{"n": "b"}, {"n": "a"}]})json", "[3, 1, 2] ['a', 'b'] [3, 2, 1] cba ['a', 'b', 'C'] [3, 2, 1] ab", false},
    {"{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\n\nb'|indent(2, blank=true) }}|{{ 'x\n'|indent }}|{{ 'one two  three'|wordcount }}|{{ 'x'|safe }}", R"json({})json", "a\n  b\n\n  c|  a\n  b|a\n  \n  b|x\n|3|x", false},
    {"{{ [1,2,3,4,5]|batch(2)|list }} {{ [1,2,3]|batch(2, 0)|list }} {{ [3,1,2]|min }} {{ [3,1,2]|max }} {{ [1,2,3]|sum }} {{ '%s-%05.1f'|format('a', 2.25) }} {{ '%d%%' % 5 }}", R"json({})json", "[[1, 2], [3, 4], [5]] [[1, 2], [3, 0]] 1 3 6 a-002.2 5%", false},
    {"{% filter upper %}shout {{ x }}{% endfilter %}", R"json({"x": "it"})json", "SHOUT IT", false},
    {"{{ ' a '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ 'a b  c'.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith('bc') }}{{ 'abc'.startswith(('x', 'a')) }}", R"json({})json", "a|axx|xxa|['a', 'b', 'c']|['a', 'b', '', 'c']|['a', 'b,c']|TrueTrueTrue", false},
    {"{{ 'a-b'.replace('-', '_') }} {{ 'ab'.upper() }} {{ 'AB'.lower() }} {{ 'hello wORLD'.title() }} {{ 'hELLO'.capitalize() }} {{ '{} and {}'.format(1, 'b') }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ '{name}!'.format(name='n') }} {{ 'banana'.find('an') }} {{ 'banana'.count('an') }} {{ 'banana'.find('z') }}", R"json({})json", "a_b AB ab Hello World Hello 1 and b xyx n! 1 2 -1", false},
    {"{{ d.items()|list }} {{ d.keys()|list }} {{ d.values()|list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 5) }} {{ d['a'] }} {{ d.a }}", R"json({"d": {"a": 1, "b": 2}})json", "[('a', 1), ('b', 2)] ['a', 'b'] [1, 2] 1 None 5 1 1", false},
    {"{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(3, 0, -1)|list }} {{ dict(a=1, b='x') }} {{ namespace(a=1).a }}", R"json({})json", "[0, 1, 2] [1, 3, 5] [3, 2, 1] {'a': 1, 'b': 'x'} 1", false},
    {"[{{ u }}][{{ d.missing }}][{{ u|length }}][{{ d.missing is defined }}][{{ u is none }}][{{ xs[5] }}][{{ 'abc'.nope }}][{{ none.x }}]", R"json({"d": {}, "xs": [1]})json", "[][][0][False][False][][][]", false},
    {"{{ s|upper }} {{ s|lower }} {{ s|title }} {{ s.title() }} {{ s|capitalize }} {{ s|length }} {{ s[1:4] }} {{ s|reverse }} {{ s|tojson }} {{ s|tojson(ensure_ascii=true) }}", R"json({"s": "héllo wÖrld ÿ ΑΒΓ δεζ Жук ñ 😀"})json", "HÉLLO WÖRLD Ÿ ΑΒΓ ΔΕΖ ЖУК Ñ 😀 héllo wörld ÿ αβγ δεζ жук ñ 😀 Héllo Wörld Ÿ Αβγ Δεζ Жук Ñ 😀 Héllo Wörld Ÿ Αβγ Δεζ Жук Ñ 😀 Héllo wörld ÿ αβγ δεζ жук ñ 😀 29 éll 😀 ñ куЖ ζεδ ΓΒΑ ÿ dlrÖw olléh \"héllo wÖrld ÿ ΑΒΓ δεζ Жук ñ 😀\" \"h\\u00e9llo w\\u00d6rld \\u00ff \\u0391\\u0392\\u0393 \\u03b4\\u03b5\\u03b6 \\u0416\\u0443\\u043a \\u00f1 \\ud83d\\ude00\"", false},
    {"a\r\nb\r{{ 1 }}\n", R"json({})json", "a\nb\n1", false},
    {"x\n\n", R"json({})json", "x\n", false},
    {"{{ 2.675|round(2) }} {{ 0.125|round(2) }} {{ 2.5|round }} {{ 3.5|round }} {{ -0.5|round }} {{ 2.1|round(1, 'floor') }} {{ 7|round(0, 'ceil') }}", R"json({})json", "2.67 0.12 2.0 4.0 -0.0 2.1 7.0", false},
    {"{{ '{:5d}|{:<5d}|{:^7}|{:*>6}|{:06.2f}|{:+d}|{:x}|{:.1%}|{:e}|{}|{:.3}|{:10}|{:.2s}'.format(42, 7, 'mid', 'r', 3.14159, 5, 255, 0.256, 12345.678, 1.5, 2.0, 1.25, 'abc') }} {{ '{{lit}} {}'.format(1) }}", R"json({})json", "   42|7    |  mid  |*****r|003.14|+5|ff|25.6%|1.234568e+04|1.5|2.0|      1.25|ab {lit} 1", false},
    {"{{ d.items() }} {{ d.keys() }} {{ d.values() }} {{ d.items()|list }}", R"json({"d": {"b": 1, "a": [1, 2]}})json", "dict_items([('b', 1), ('a', [1, 2])]) dict_keys(['b', 'a']) dict_values([1, [1, 2]]) [('b', 1), ('a', [1, 2])]", false},
    {"{% macro m() %}[{{ caller('z') }}]{% endmacro %}{% call(x) m() %}got {{ x }}{% endcall %}", R"json({})json", "[got z]", false},
    {"{{ u.attr }}", R"json({})json", "UndefinedError: 'u' is undefined", true},
    {"{{ d.missing.x }}", R"json({"d": {}})json", "UndefinedError: 'dict object' has no attribute 'missing'", true},
    {"{{ u + 1 }}", R"json({})json", "UndefinedError: 'u' is undefined", true},
    {"{{ 'a' + 1 }}", R"json({})json", "TypeError: can only concatenate str (not \"int\") to str", true},
    {"{{ 1 + 'a' }}", R"json({})json", "TypeError: unsupported operand type(s) for +: 'int' and 'str'", true},
    {"{{ raise_exception('boom') }}", R"json({})json", "TemplateError: boom", true},
    {"{% for x in n %}{% endfor %}", R"json({"n": null})json", "TypeError: 'NoneType' object is not iterable", true},
    {"{{ 1 < 'a' }}", R"json({})json", "TypeError: '<' not supported between instances of 'int' and 'str'", true},
    {"{{ xs.append(1) }}", R"json({"xs": []})json", "SecurityError: access to attribute 'append' of 'list' object is unsafe.", true},
    {"{{ x|tojson }}", R"json({"x": [1]})json", "[1]", false},
    {"{{ x|nosuchfilter }}", R"json({})json", "TemplateAssertionError: No filter named 'nosuchfilter'.", true},
    {"{{ 1 / 0 }}", R"json({})json", "ZeroDivisionError: division by zero", true},
    {"{{ x|reverse|tojson }}", R"json({"x": [1]})json", "TypeError: Object of type list_reverseiterator is not JSON serializable", true},
    {"{% if %}", R"json({})json", "TemplateSyntaxError: Expected an expression, got 'end of statement block'", true},
    {"{% for x in y %}", R"json({})json", "TemplateSyntaxError: Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'.", true},
    {"{{ 'unterminated }}", R"json({})json", "TemplateSyntaxError: unexpected char \"'\" at 3", true},
    {"{% endfor %}", R"json({})json", "TemplateSyntaxError: Encountered unknown tag 'endfor'.", true},
    {"{{ 1 + }}", R"json({})json", "TemplateSyntaxError: unexpected 'end of print statement'", true},
    {"{% set ns = 1 %}{% set ns.x = 2 %}", R"json({})json", "TemplateRuntimeError: cannot assign attribute on non-namespace object", true},
    {"{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", R"json({})json", "TypeError: macro 'm' takes not more than 1 argument(s)", true},

};
// clang-format on

std::string error_class(const std::string& message) {
  return message.substr(0, message.find(':'));
}

TEST(TemplateFeatures, MatchJinja2) {
  int index = 0;
  for (const Case& c : kCases) {
    SCOPED_TRACE("case " + std::to_string(index++) + ": " + c.source);
    auto parsed = Template::parse(c.source);
    Result<std::string> out = parsed.ok() ? parsed->render(nlohmann::ordered_json::parse(c.context))
                                          : Result<std::string>(parsed.status());
    if (!c.error) {
      ASSERT_TRUE(out.ok()) << out.status().message();
      EXPECT_EQ(*out, c.expected);
      continue;
    }
    ASSERT_FALSE(out.ok()) << "rendered: " << *out;
    const std::string& msg = out.status().message();
    // "line L, column C: ErrorClass: ..." with jinja2's error class.
    EXPECT_EQ(msg.rfind("line ", 0), 0u) << msg;
    size_t cls = msg.find(": ");
    ASSERT_NE(cls, std::string::npos) << msg;
    EXPECT_EQ(error_class(msg.substr(cls + 2)), error_class(c.expected)) << msg;
  }
}

}  // namespace
}  // namespace hearth::tmpl
