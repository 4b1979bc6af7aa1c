// The openai npm package against a --format openai endpoint, as its quick-start uses it
// (https://platform.openai.com/docs/api-reference/chat/create?lang=node.js): node client.mjs <baseURL> [x-api-key].
// Prints one JSON object with what each scenario saw; the pack test asserts on it.
import OpenAI from 'openai';

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({
  baseURL,
  apiKey: 'unused',                                             // the function does not check OpenAI's key
  defaultHeaders: apiKey ? { 'x-api-key': apiKey } : undefined, // a REST API's key
  maxRetries: 0,
});
const out = {};

async function collect(stream) {
  const seen = { text: '', chunks: 0, finish: null, usage: null, toolCalls: [] };
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (choice?.delta?.content) { seen.text += choice.delta.content; seen.chunks++; }
    for (const call of choice?.delta?.tool_calls ?? []) {
      const known = (seen.toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
      known.id += call.id ?? '';
      known.name += call.function?.name ?? '';
      known.arguments += call.function?.arguments ?? '';
    }
    if (choice?.finish_reason) seen.finish = choice.finish_reason;
    if (chunk.usage) seen.usage = chunk.usage;
  }
  return seen;
}

const user = (content) => [{ role: 'user', content }];

out.stream = await collect(await client.chat.completions.create({
  model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: user('#echo Streamed to node, piece by piece.'),
}));

const whole = await client.chat.completions.create({ model: 'gpt-4o', messages: user('#echo Whole for node.') });
out.whole = { text: whole.choices[0].message.content, finish: whole.choices[0].finish_reason, model: whole.model };

const tools = [{ type: 'function', function: { name: 'get_time', description: 'The time in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
const ask = user('#tool:get_time{"city":"Oslo"} What time is it in Oslo?');
const call = await collect(await client.chat.completions.create({ model: 'gpt-4o', stream: true, tools, messages: ask }));
const [toolCall] = call.toolCalls;
const answer = await client.chat.completions.create({
  model: 'gpt-4o', tools, messages: [
    ...ask,
    { role: 'assistant', content: null, tool_calls: [{ id: toolCall.id, type: 'function', function: { name: toolCall.name, arguments: toolCall.arguments } }] },
    { role: 'tool', tool_call_id: toolCall.id, content: `noon in ${JSON.parse(toolCall.arguments).city}` },
  ],
});
out.tool = { finish: call.finish, name: toolCall.name, arguments: toolCall.arguments, answer: answer.choices[0].message.content };

let partial = '';
try {
  const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: user('#fault:stream-throttling@5 #tokens:30 a story') });
  for await (const chunk of stream) partial += chunk.choices[0]?.delta?.content ?? '';
  out.midStream = { raised: false, partial };
} catch (e) {
  out.midStream = { raised: true, error: e.constructor.name, message: e.message, partial };
}

try {
  await client.chat.completions.create({ model: 'gpt-4o', stream: true, messages: user('#fault:throttling hello') });
  out.before = { raised: false };
} catch (e) {
  out.before = { raised: true, error: e.constructor.name, status: e.status, type: e.type };
}

out.models = (await client.models.list()).data.map((m) => m.id);
console.log(JSON.stringify(out));
