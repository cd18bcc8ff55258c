// The official Ollama JavaScript library (ollama) against seekd's Ollama
// API on its own listener (as `seekd serve --ollama` runs it). Run by
// `go test ./server/compat` (see compat_test.go), or by hand:
//
//   node ollama.mjs --url http://127.0.0.1:PORT --model NAME
import { Ollama } from 'ollama';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({ options: { url: { type: 'string' }, model: { type: 'string', default: 'v3' } } });
if (!opt.url) throw new Error('usage: node ollama.mjs --url URL [--model NAME]');
const ollama = new Ollama({ host: opt.url });
const model = opt.model;

let passed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  passed++;
  console.log(`ok   ${name} (${Date.now() - t0} ms)`);
}

try {
  await check('"Ollama is running" and a numeric version', async () => {
    const res = await fetch(opt.url);
    assert.equal(await res.text(), 'Ollama is running');
    const { version } = await ollama.version();
    assert.match(version, /^\d+\.\d+\.\d+$/);
  });

  await check('chat with think: true streams message.thinking, then message.content, ending done/stop', async () => {
    const stream = await ollama.chat({ model, stream: true, think: true, messages: [{ role: 'user', content: 'What is 2+2?' }] });
    let thinking = '';
    let content = '';
    let last;
    for await (const part of stream) {
      if (part.message.thinking) {
        assert.equal(content, '', 'thinking after content');
        thinking += part.message.thinking;
      }
      content += part.message.content;
      last = part;
    }
    assert.equal(thinking, 'Two plus two is four.');
    assert.equal(content, 'The answer is 4.');
    assert.equal(last.done, true);
    assert.equal(last.done_reason, 'stop');
    assert.ok(last.eval_count > 0, `eval_count ${last.eval_count}`);
    assert.ok(last.prompt_eval_count > 0 && last.total_duration > 0 && last.eval_duration > 0, JSON.stringify(last));
  });

  await check('chat without streaming; think false', async () => {
    const res = await ollama.chat({ model, think: false, messages: [{ role: 'user', content: 'What is 2+2?' }] });
    assert.equal(res.message.content, '4');
    assert.equal(res.message.thinking, undefined);
    assert.equal(res.done, true);
  });

  await check('list', async () => {
    const { models } = await ollama.list();
    assert.deepEqual(models.map((m) => m.name), [model]);
    assert.ok(models[0].size > 0 && models[0].digest.length === 64 && models[0].details.family, JSON.stringify(models[0]));
  });

  await check('show: capabilities include thinking and tools; model_info has the context length', async () => {
    const info = await ollama.show({ model });
    for (const c of ['completion', 'thinking', 'tools', 'insert']) assert.ok(info.capabilities.includes(c), `capabilities ${info.capabilities}`);
    const arch = info.model_info['general.architecture'];
    assert.ok(info.model_info[`${arch}.context_length`] > 0, JSON.stringify(info.model_info));
    assert.ok(info.template.length > 0);
  });

  await check('ps', async () => {
    const { models } = await ollama.ps();
    assert.equal(models[0].name, model);
    assert.ok(models[0].context_length > 0);
  });

  await check('generate with suffix (fill-in-the-middle)', async () => {
    const res = await ollama.generate({ model, prompt: 'def add(a, b):\n', suffix: '\nprint(add(1, 2))' });
    assert.equal(res.response, '    return a + b\n');
    assert.equal(res.done, true);
    assert.equal(res.done_reason, 'stop');
    const stream = await ollama.generate({ model, prompt: 'def add(a, b):\n', suffix: '\nprint(add(1, 2))', stream: true });
    let text = '';
    for await (const part of stream) text += part.response;
    assert.equal(text, '    return a + b\n');
  });

  await check('tool calls with arguments as an object, and the round trip', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Get the weather of a city',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } } }];
    const messages = [{ role: 'user', content: 'What is the weather in Tokyo?' }];
    const res = await ollama.chat({ model, tools, messages });
    assert.equal(res.message.tool_calls.length, 1);
    const call = res.message.tool_calls[0];
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(call.function.arguments, { location: 'Tokyo' });
    const answer = await ollama.chat({ model, tools, messages: [...messages, res.message, { role: 'tool', tool_name: 'get_weather', content: 'sunny' }] });
    assert.equal(answer.message.content, 'It is sunny in Tokyo.');
  });

  await check('format: a JSON schema', async () => {
    const res = await ollama.chat({ model, format: { type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'] },
      messages: [{ role: 'user', content: 'Reply in JSON.' }] });
    assert.deepEqual(JSON.parse(res.message.content), { answer: 4 });
  });

  await check('an unknown model is an error', async () => {
    await assert.rejects(ollama.chat({ model: 'llama3', messages: [{ role: 'user', content: 'x' }] }), /not found/);
  });

  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  console.error(`FAIL after ${passed} checks: ${e.stack || e}`);
  process.exitCode = 1;
}
