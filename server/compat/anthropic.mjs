// The official Anthropic SDK (@anthropic-ai/sdk) against seekd's Messages
// API. Run by `go test ./server/compat` (see compat_test.go), or by hand:
//
//   node anthropic.mjs --url http://127.0.0.1:PORT
//
// The server's scripted model reasons and answers "The answer is 4." in
// thinking mode, calls get_weather when asked about the weather, and
// answers "It is sunny in Tokyo." once the tool result is back.
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({ options: { url: { type: 'string' } } });
if (!opt.url) throw new Error('usage: node anthropic.mjs --url URL');

// DeepSeek's layout: the SDK appends /v1/messages to the base URL.
const client = new Anthropic({ baseURL: `${opt.url}/anthropic`, apiKey: 'sk-compat', maxRetries: 0 });

let passed = 0;
async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  passed++;
  console.log(`ok   ${name} (${Date.now() - t0} ms)`);
}

const weather = {
  name: 'get_weather',
  description: 'Get the weather of a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

try {
  await check('stream with thinking: message_start, thinking_delta, text_delta, message_stop; blocks [thinking, text]', async () => {
    const stream = client.messages.stream({
      model: 'deepseek-chat',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'What is 2+2?' }],
    });
    const seen = [];
    let thinking = '';
    let text = '';
    stream.on('thinking', (delta) => { thinking += delta; });
    stream.on('text', (delta) => { text += delta; });
    for await (const ev of stream) {
      seen.push(ev.type === 'content_block_delta' ? ev.delta.type : ev.type);
    }
    const msg = await stream.finalMessage();
    for (const t of ['message_start', 'thinking_delta', 'text_delta', 'message_stop']) assert.ok(seen.includes(t), `no ${t} in ${seen}`);
    assert.ok(seen.indexOf('thinking_delta') < seen.indexOf('text_delta'), 'thinking before text');
    assert.equal(seen.at(-1), 'message_stop');
    assert.deepEqual(msg.content.map((b) => b.type), ['thinking', 'text']);
    assert.equal(msg.content[0].thinking, 'Two plus two is four.');
    assert.ok(msg.content[0].signature.length > 0, 'thinking signature');
    assert.equal(msg.content[1].text, 'The answer is 4.');
    assert.equal(thinking, msg.content[0].thinking);
    assert.equal(text, msg.content[1].text);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0, JSON.stringify(msg.usage));
    assert.equal(msg.usage.cache_read_input_tokens, 0);
    assert.match(msg.id, /^msg_/);
  });

  await check('create without thinking: one text block', async () => {
    const msg = await client.messages.create({
      model: 'my-local-claude', // unknown names mean the first model
      max_tokens: 256,
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [{ role: 'user', content: 'What is 2+2?' }],
    });
    assert.deepEqual(msg.content.map((b) => b.type), ['text']);
    assert.equal(msg.content[0].text, '4');
    assert.equal(msg.model, 'my-local-claude');
    assert.equal(msg.stop_reason, 'end_turn');
  });

  await check('stop_sequences: stop_reason stop_sequence', async () => {
    const msg = await client.messages.create({
      model: 'deepseek-chat', max_tokens: 256, stop_sequences: ['sunny'],
      messages: [{ role: 'user', content: 'Say something about the sky.' }],
    });
    assert.equal(msg.stop_reason, 'stop_sequence');
    assert.equal(msg.stop_sequence, 'sunny');
    assert.equal(msg.content[0].text, 'The sky is ');
  });

  await check('tool use round trip (streamed call, then the tool result)', async () => {
    const params = {
      model: 'deepseek-chat', max_tokens: 512, tools: [weather],
      messages: [{ role: 'user', content: 'What is the weather in Tokyo?' }],
    };
    const stream = client.messages.stream(params);
    let partial = '';
    stream.on('inputJson', (delta) => { partial += delta; });
    const call = await stream.finalMessage();
    assert.equal(call.stop_reason, 'tool_use');
    const use = call.content.find((b) => b.type === 'tool_use');
    assert.ok(use, `no tool_use in ${JSON.stringify(call.content)}`);
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, { location: 'Tokyo' });
    assert.match(use.id, /^toolu_/);
    assert.deepEqual(JSON.parse(partial), { location: 'Tokyo' });

    const answer = await client.messages.create({
      ...params,
      messages: [
        ...params.messages,
        { role: 'assistant', content: call.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"sky": "sunny"}' }] },
      ],
    });
    assert.equal(answer.stop_reason, 'end_turn');
    assert.equal(answer.content.at(-1).text, 'It is sunny in Tokyo.');
  });

  await check('thinking + tools: the thinking block goes back with the call', async () => {
    const params = {
      model: 'deepseek-chat', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, tools: [weather],
      messages: [{ role: 'user', content: 'What is the weather in Tokyo?' }],
    };
    const call = await client.messages.create(params);
    assert.deepEqual(call.content.map((b) => b.type), ['thinking', 'tool_use']);
    const use = call.content[1];
    const result = { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] };
    const answer = await client.messages.create({ ...params, messages: [...params.messages, { role: 'assistant', content: call.content }, result] });
    assert.equal(answer.content.at(-1).text, 'It is sunny in Tokyo.');
    // Without the thinking block: Anthropic's 400.
    await assert.rejects(
      client.messages.create({ ...params, messages: [...params.messages, { role: 'assistant', content: [use] }, result] }),
      (e) => e instanceof Anthropic.BadRequestError && e.status === 400 && e.error?.error?.type === 'invalid_request_error' && /thinking/.test(e.message),
    );
  });

  await check('errors map to the SDK classes', async () => {
    await assert.rejects(
      client.messages.create({ model: 'deepseek-chat', max_tokens: 16, temperature: 7, messages: [{ role: 'user', content: 'x' }] }),
      (e) => e instanceof Anthropic.BadRequestError && /temperature/.test(e.message),
    );
    const bad = new Anthropic({ baseURL: `${opt.url}/anthropic`, apiKey: 'sk-compat', maxRetries: 0 });
    await assert.rejects(
      bad.messages.create({ model: 'deepseek-chat', max_tokens: 16, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }] }] }),
      Anthropic.BadRequestError,
    );
  });

  await check('count_tokens and models.list', async () => {
    const n = await client.messages.countTokens({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'What is 2+2?' }] });
    assert.ok(n.input_tokens > 0);
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('deepseek-chat') && ids.includes('deepseek-reasoner'), `models ${ids}`);
  });

  console.log(`${passed} passed, 0 failed`);
} catch (e) {
  console.error(`FAIL after ${passed} checks: ${e.stack || e}`);
  process.exitCode = 1;
}
