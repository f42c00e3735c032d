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
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
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
