// The official `ollama` npm client against a running hearth server (HEARTH_URL, started by
// run_clients.py): generate and chat (streaming and not), list, show, ps, version.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ollama } from 'ollama';

const url = process.env.HEARTH_URL;
const model = process.env.HEARTH_MODEL;
assert.ok(url && model, 'HEARTH_URL and HEARTH_MODEL must be set (run through run_clients.py)');
const ollama = new Ollama({ host: url });
const options = { temperature: 0, num_predict: 8 };

test('generate (non-streaming) reports statistics in nanoseconds', async () => {
  const r = await ollama.generate({ model, prompt: 'The jury said', options });
  assert.equal(r.model, model);
  assert.equal(r.done, true);
  assert.ok(['stop', 'length'].includes(r.done_reason));
  assert.equal(typeof r.response, 'string');
  assert.ok(r.eval_count > 0 && r.eval_count <= 8);
  assert.ok(r.prompt_eval_count > 0);
  assert.ok(r.total_duration > 0 && r.total_duration >= r.eval_duration);
});

test('generate (streaming) equals the non-streaming text', async () => {
  const whole = await ollama.generate({ model, prompt: 'The jury said', options });
  let text = '';
  let last = null;
  let parts = 0;
  for await (const part of await ollama.generate({ model, prompt: 'The jury said', options, stream: true })) {
    parts++;
    text += part.response;
    last = part;
  }
  assert.ok(parts >= 2);
  assert.equal(last.done, true);
  assert.equal(last.eval_count, whole.eval_count);
  assert.equal(text, whole.response);
});

test('chat (streaming and not)', async () => {
  const messages = [{ role: 'user', content: 'Tell me the news.' }];
  const whole = await ollama.chat({ model, messages, options });
  assert.equal(whole.message.role, 'assistant');
  assert.equal(whole.done, true);
  let text = '';
  let done = false;
  for await (const part of await ollama.chat({ model, messages, options, stream: true })) {
    assert.equal(part.message.role, 'assistant');
    text += part.message.content;
    done = part.done;
  }
  assert.equal(done, true);
  assert.equal(text, whole.message.content);
});

test('list (tags), ps, show, version', async () => {
  const list = await ollama.list();
  assert.deepEqual(list.models.map((m) => m.name), [model]);
  assert.ok(list.models[0].size > 0);
  assert.equal(list.models[0].details.format, 'gguf');
  const ps = await ollama.ps();
  assert.deepEqual(ps.models.map((m) => m.name), [model]);
  const show = await ollama.show({ model });
  assert.equal(show.details.family, 'llama');
  assert.ok(show.model_info['llama.context_length'] > 0);
  const v = await ollama.version();
  assert.match(v.version, /^\d+\.\d+\.\d+$/);
});

test('unknown model -> ResponseError 404', async () => {
  await assert.rejects(ollama.generate({ model: 'no-such-model', prompt: 'x' }),
    (e) => e.name === 'ResponseError' && e.status_code === 404 && /no-such-model/.test(e.message));
});
