// Tool calling with the official `openai` npm client against hearth serving brown-6m with a
// Hermes-style chat template (hermes_tools.jinja via --chat-template-file; run_clients.py starts
// it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ollama } from 'ollama';
import OpenAI from 'openai';

const url = process.env.HEARTH_URL;
const model = process.env.HEARTH_MODEL;
assert.ok(url && model, 'HEARTH_URL and HEARTH_MODEL must be set (run through run_clients.py)');
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The current weather in a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', enum: ['Paris', 'London', 'Tokyo'] },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
}];
const question = [{ role: 'user', content: 'What is the weather in Paris?' }];

test('tools reach the chat template (auto)', async () => {
  const plain = await client.chat.completions.create({ model, messages: question, max_tokens: 4, temperature: 0 });
  const withTools = await client.chat.completions.create({
    model, messages: question, tools, tool_choice: 'auto', max_tokens: 4, temperature: 0,
  });
  // The template writes the tool signatures into a system turn.
  assert.ok(withTools.usage.prompt_tokens > plain.usage.prompt_tokens + 40,
    `${withTools.usage.prompt_tokens} vs ${plain.usage.prompt_tokens}`);
  const c = withTools.choices[0];
  assert.ok(['stop', 'length', 'tool_calls'].includes(c.finish_reason));
  assert.equal(c.message.role, 'assistant');
  // tool_choice none: the tools are left out of the prompt.
  const none = await client.chat.completions.create({
    model, messages: question, tools, tool_choice: 'none', max_tokens: 4, temperature: 0,
  });
  assert.equal(none.usage.prompt_tokens, plain.usage.prompt_tokens);
});

test('conversation with an assistant tool_calls message and a tool result', async () => {
  const messages = [
    ...question,
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_abc123', type: 'function',
        function: { name: 'get_weather', arguments: '{"city": "Paris", "unit": "celsius"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_abc123', content: '{"temperature": 21, "sky": "clear"}' },
  ];
  const r = await client.chat.completions.create({ model, messages, tools, max_tokens: 8, temperature: 0 });
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  // Streaming the same follow-up gives the same text.
  let text = '';
  for await (const chunk of await client.chat.completions.create({
    model, messages, tools, max_tokens: 8, temperature: 0, stream: true,
  })) {
    if (chunk.choices.length && chunk.choices[0].delta.content) text += chunk.choices[0].delta.content;
  }
  assert.equal(text, r.choices[0].message.content);
});

function checkCall(call) {
  assert.match(call.id, /^call_/);
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  const args = JSON.parse(call.function.arguments);
  assert.deepEqual(Object.keys(args).sort(), ['city', 'unit']);
  assert.ok(['Paris', 'London', 'Tokyo'].includes(args.city), args.city);
  assert.ok(['celsius', 'fahrenheit'].includes(args.unit), args.unit);
  return args;
}

test('round trip: tool_choice required -> tool_calls -> tool result -> answer', async () => {
  // brown-6m never calls tools by itself: `required` constrains its sampling with a grammar
  // built from the tool's JSON schema in the template's <tool_call> format.
  const r = await client.chat.completions.create({
    model, messages: question, tools, tool_choice: 'required', max_tokens: 200, temperature: 0,
  });
  const c = r.choices[0];
  assert.equal(c.finish_reason, 'tool_calls');
  assert.equal(c.message.role, 'assistant');
  assert.equal(c.message.content, null);
  assert.equal(c.message.tool_calls.length, 1);
  checkCall(c.message.tool_calls[0]);
  const followUp = [
    ...question,
    c.message,
    { role: 'tool', tool_call_id: c.message.tool_calls[0].id, content: '{"temperature": 21, "sky": "clear"}' },
  ];
  const answer = await client.chat.completions.create({ model, messages: followUp, tools, max_tokens: 8, temperature: 0 });
  assert.equal(typeof answer.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(answer.choices[0].finish_reason));
  assert.ok(answer.usage.prompt_tokens > r.usage.prompt_tokens, 'the call and its result are in the prompt');
});

test('streamed tool call: name first, arguments in pieces while generating', async () => {
  const req = {
    model, messages: question, tools, max_tokens: 200, temperature: 0,
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
  };
  const whole = await client.chat.completions.create(req);
  const stream = await client.chat.completions.create({ ...req, stream: true });
  let id = null;
  let name = null;
  let args = '';
  let argPieces = 0;
  let finish = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    for (const tc of choice.delta.tool_calls ?? []) {
      assert.equal(tc.index, 0);
      if (tc.id) {
        assert.equal(id, null, 'the id comes once');
        id = tc.id;
        name = tc.function.name;
      }
      if (tc.function?.arguments) {
        args += tc.function.arguments;
        argPieces++;
      }
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(finish, 'tool_calls');
  const call = { id, type: 'function', function: { name, arguments: args } };
  checkCall(call);
  assert.ok(argPieces > 3, `arguments arrived in ${argPieces} pieces`);
  assert.deepEqual(JSON.parse(args), JSON.parse(whole.choices[0].message.tool_calls[0].function.arguments));
});

test('bad tool requests are BadRequestErrors', async () => {
  await assert.rejects(
    client.chat.completions.create({
      model, messages: question, tools, tool_choice: { type: 'function', function: { name: 'nope' } },
    }),
    (e) => e instanceof OpenAI.BadRequestError && /nope/.test(e.message));
  await assert.rejects(
    client.chat.completions.create({ model, messages: question, tool_choice: 'required' }),
    (e) => e instanceof OpenAI.BadRequestError && /tools/.test(e.message));
  await assert.rejects(
    client.chat.completions.create({ model, messages: question, tools: [{ type: 'function' }] }),
    (e) => e instanceof OpenAI.BadRequestError && /tools\[0\]/.test(e.message));
  // A schema feature the grammar compiler lacks fails closed, naming it.
  const patterned = [{ type: 'function', function: { name: 'f', parameters: {
    type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]+$' } } } } }];
  await assert.rejects(
    client.chat.completions.create({ model, messages: question, tools: patterned, tool_choice: 'required' }),
    (e) => e instanceof OpenAI.BadRequestError && /pattern/.test(e.message));
});

test('ollama chat with tools and a tool result', async () => {
  const ollama = new Ollama({ host: url });
  const messages = [
    ...question,
    { role: 'assistant', content: '',
      tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } } }] },
    { role: 'tool', content: '{"temperature": 21}' },
  ];
  const r = await ollama.chat({ model, messages, tools, options: { temperature: 0, num_predict: 6 } });
  assert.equal(r.done, true);
  assert.equal(r.message.role, 'assistant');
  assert.ok(r.prompt_eval_count > 100, `the tools and the call are in the prompt (${r.prompt_eval_count})`);
});
