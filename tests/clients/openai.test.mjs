// The official `openai` npm client against a running hearth server (HEARTH_URL, started by
// run_clients.py): chat and text completions, streaming with usage, models, errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

const url = process.env.HEARTH_URL;
const model = process.env.HEARTH_MODEL;
assert.ok(url && model, 'HEARTH_URL and HEARTH_MODEL must be set (run through run_clients.py)');
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });

const messages = [
  { role: 'system', content: 'You are a newspaper.' },
  { role: 'user', content: 'What did the jury say?' },
];

test('chat.completions.create (non-streaming)', async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, model);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].index, 0);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0);
  assert.ok(r.usage.completion_tokens > 0 && r.usage.completion_tokens <= 8);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('chat.completions.create (streaming, include_usage) equals the non-streaming text', async () => {
  const req = { model, messages, max_tokens: 12, temperature: 0 };
  const whole = await client.chat.completions.create(req);
  const stream = await client.chat.completions.create({
    ...req, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let role = null;
  let finish = null;
  let usage = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) {
      assert.equal(chunk.choices.length, 0, 'the usage chunk has no choices');
      usage = chunk.usage;
      continue;
    }
    const c = chunk.choices[0];
    if (c.delta.role) role = c.delta.role;
    if (c.delta.content) text += c.delta.content;
    if (c.finish_reason) finish = c.finish_reason;
  }
  assert.ok(chunks >= 3);
  assert.equal(role, 'assistant');
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.equal(text, whole.choices[0].message.content);
  assert.ok(usage, 'stream_options.include_usage gives a usage chunk');
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
  assert.equal(usage.prompt_tokens, whole.usage.prompt_tokens);
});

test('completions.create (non-streaming and streaming)', async () => {
  const req = { model, prompt: 'The jury said', max_tokens: 8, temperature: 0 };
  const r = await client.completions.create(req);
  assert.equal(r.object, 'text_completion');
  assert.equal(r.usage.completion_tokens, 8);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.ok(r.choices[0].text.length > 0);
  let text = '';
  for await (const chunk of await client.completions.create({ ...req, stream: true })) {
    if (chunk.choices.length) text += chunk.choices[0].text;
  }
  assert.equal(text, r.choices[0].text);
});

test('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [model]);
});

test('unknown model -> NotFoundError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 2 }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && /no-such-model/.test(e.message));
});

test('bad field -> BadRequestError naming the parameter', async () => {
  await assert.rejects(
    client.chat.completions.create({ model, messages, temperature: 7 }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /temperature/.test(e.message));
  await assert.rejects(
    client.chat.completions.create({ model, messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError && /messages/.test(e.message));
});
