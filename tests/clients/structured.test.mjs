// Structured output through the official clients against a running hearth server (HEARTH_URL,
// started by run_clients.py): the openai client's response_format json_schema (strict), streaming
// and not, and the ollama client's `format: <schema>`. Each answer is parsed as JSON and checked
// against the schema, property order included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { Ollama } from 'ollama';

const url = process.env.HEARTH_URL;
const model = process.env.HEARTH_MODEL;
assert.ok(url && model, 'HEARTH_URL and HEARTH_MODEL must be set (run through run_clients.py)');
const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
const ollama = new Ollama({ host: url });

// Properties deliberately not in alphabetical order: the output must follow this order.
const schema = {
  type: 'object',
  properties: {
    city: { type: 'string', enum: ['Paris', 'Oslo', 'Lima'] },
    temperature: { type: 'integer', minimum: -40, maximum: 45 },
    sunny: { type: 'boolean' },
    note: { type: 'string', maxLength: 12 },
    tags: { type: 'array', items: { type: 'string', maxLength: 6 }, minItems: 1, maxItems: 2 },
    wind: { type: ['number', 'null'] },
  },
  required: ['city', 'temperature', 'sunny', 'note', 'tags', 'wind'],
  additionalProperties: false,
};

// A validator for the subset of JSON schema used above; returns the first violation or null.
function violation(value, s, path = '$') {
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const typeOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array'
    : Number.isInteger(v) ? 'integer' : typeof v);
  const t = typeOf(value);
  if (types.length && !types.includes(t) && !(t === 'integer' && types.includes('number'))) {
    return `${path}: ${t} is not ${types.join(' or ')}`;
  }
  if (s.enum && !s.enum.includes(value)) return `${path}: ${JSON.stringify(value)} not in enum`;
  if (t === 'integer' || t === 'number') {
    if (s.minimum !== undefined && value < s.minimum) return `${path}: ${value} < ${s.minimum}`;
    if (s.maximum !== undefined && value > s.maximum) return `${path}: ${value} > ${s.maximum}`;
  }
  if (t === 'string' && s.maxLength !== undefined && [...value].length > s.maxLength) {
    return `${path}: longer than ${s.maxLength}`;
  }
  if (t === 'array') {
    if (s.minItems !== undefined && value.length < s.minItems) return `${path}: too few items`;
    if (s.maxItems !== undefined && value.length > s.maxItems) return `${path}: too many items`;
    for (let i = 0; i < value.length; i++) {
      const v = violation(value[i], s.items, `${path}[${i}]`);
      if (v) return v;
    }
  }
  if (t === 'object') {
    const keys = Object.keys(value);
    for (const k of s.required ?? []) if (!keys.includes(k)) return `${path}: missing ${k}`;
    const order = Object.keys(s.properties);
    for (const k of keys) if (!order.includes(k)) return `${path}: extra property ${k}`;
    const positions = keys.map((k) => order.indexOf(k));
    if (positions.some((p, i) => i > 0 && p < positions[i - 1])) {
      return `${path}: properties ${keys.join(',')} not in schema order`;
    }
    for (const k of keys) {
      const v = violation(value[k], s.properties[k], `${path}.${k}`);
      if (v) return v;
    }
  }
  return null;
}

function checkAnswer(text) {
  let parsed;
  assert.doesNotThrow(() => { parsed = JSON.parse(text); }, `not JSON: ${text}`);
  assert.equal(violation(parsed, schema), null, text);
  return parsed;
}

const messages = [{ role: 'user', content: 'Report the weather as JSON.' }];
const responseFormat = {
  type: 'json_schema',
  json_schema: { name: 'weather', strict: true, schema },
};

test('openai json_schema (strict), non-streaming: valid JSON in schema order', async () => {
  for (const temperature of [0, 1]) {
    const r = await openai.chat.completions.create({
      model, messages, max_tokens: 400, temperature, seed: 7, response_format: responseFormat,
    });
    assert.equal(r.choices[0].finish_reason, 'stop', 'the grammar completes before max_tokens');
    checkAnswer(r.choices[0].message.content);
  }
});

test('openai json_schema (strict), streaming equals non-streaming and validates', async () => {
  const req = { model, messages, max_tokens: 400, temperature: 0, response_format: responseFormat };
  const whole = await openai.chat.completions.create(req);
  let text = '';
  let finish = null;
  for await (const chunk of await openai.chat.completions.create({ ...req, stream: true })) {
    if (!chunk.choices.length) continue;
    text += chunk.choices[0].delta.content ?? '';
    if (chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
  }
  assert.equal(finish, 'stop');
  assert.equal(text, whole.choices[0].message.content);
  checkAnswer(text);
});

test('openai json_schema with an unsupported keyword -> BadRequestError naming it', async () => {
  const bad = { type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]+$' } } };
  await assert.rejects(
    openai.chat.completions.create({
      model, messages, max_tokens: 8,
      response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema: bad } },
    }),
    (e) => e instanceof OpenAI.BadRequestError && /pattern/.test(e.message));
});

test('ollama chat and generate with format: <schema> (streaming and not)', async () => {
  const options = { temperature: 0, num_predict: 400 };
  const chat = await ollama.chat({ model, messages, format: schema, options });
  assert.equal(chat.done_reason, 'stop');
  checkAnswer(chat.message.content);
  let text = '';
  for await (const part of await ollama.chat({ model, messages, format: schema, options, stream: true })) {
    text += part.message.content;
  }
  assert.equal(text, chat.message.content);
  const gen = await ollama.generate({
    model, prompt: 'Weather:', format: schema, options: { ...options, temperature: 1, seed: 3 },
  });
  assert.equal(gen.done_reason, 'stop');
  checkAnswer(gen.response);
});
