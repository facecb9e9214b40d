// Records the simulator's wire payloads into test/fixtures/<provider>/ (run: bun test/simulator/record-fixtures.ts).

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { startSimulator } from "../../src/simulator";

const root = join(import.meta.dir, "..", "fixtures");
const sim = await startSimulator();

const weatherSchema = {
  type: "object",
  properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
  required: ["city", "unit"],
};
const timeSchema = { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] };

interface Capture {
  file: string;
  path: string;
  body: unknown;
  headers?: Record<string, string>;
}

async function capture(provider: string, captures: Capture[], auth: Record<string, string>): Promise<void> {
  await mkdir(join(root, provider), { recursive: true });
  for (const { file, path, body, headers } of captures) {
    const response = await fetch(`${sim.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth, ...headers },
      body: JSON.stringify(body),
    });
    // Ids and timestamps are pinned, so that re-recording only changes files whose content changed.
    let text = (await response.text())
      .replace(/sim[0-9a-z]{8}/g, "simfixture")
      .replace(/"created":\d+/g, '"created":1764115200');
    // JSON bodies are pretty-printed for reading; SSE bodies are kept byte for byte.
    if (file.endsWith(".json")) text = `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
    await Bun.write(join(root, provider, file), text);
    console.log(`${provider}/${file}: ${response.status}`);
  }
}

const openaiTools = [
  {
    type: "function",
    function: { name: "get_weather", description: "Weather for a city", parameters: weatherSchema },
  },
  { type: "function", function: { name: "get_time", parameters: timeSchema } },
];
const chat = (extra: Record<string, unknown>) => ({
  model: "gpt-5-mini",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "What is the weather in Paris today?" },
  ],
  ...extra,
});
await capture(
  "openai",
  [
    { file: "text.json", path: "/v1/chat/completions", body: chat({}) },
    { file: "text.sse", path: "/v1/chat/completions", body: chat({ stream: true }) },
    {
      file: "text-usage.sse",
      path: "/v1/chat/completions",
      body: chat({ stream: true, stream_options: { include_usage: true } }),
      headers: { "x-sim-cached-tokens": "4" },
    },
    {
      file: "cached.json",
      path: "/v1/chat/completions",
      body: chat({}),
      headers: { "x-sim-cached-tokens": "8" },
    },
    {
      file: "tools.json",
      path: "/v1/chat/completions",
      body: chat({ tools: openaiTools }),
      headers: { "x-sim-tool-calls": "2" },
    },
    {
      file: "tools.sse",
      path: "/v1/chat/completions",
      body: chat({ tools: openaiTools, stream: true, stream_options: { include_usage: true } }),
      headers: { "x-sim-tool-calls": "2" },
    },
    { file: "length.json", path: "/v1/chat/completions", body: chat({ max_completion_tokens: 3 }) },
    {
      file: "content-filter.json",
      path: "/v1/chat/completions",
      body: chat({}),
      headers: { "x-sim-finish": "content_filter" },
    },
    { file: "error-400.json", path: "/v1/chat/completions", body: { model: "gpt-5-mini", messages: [] } },
    {
      file: "error-429.json",
      path: "/v1/chat/completions",
      body: chat({}),
      headers: { "x-sim-fault": "429:20" },
    },
    {
      file: "error-500.json",
      path: "/v1/chat/completions",
      body: chat({}),
      headers: { "x-sim-fault": "500" },
    },
    {
      file: "error-503.json",
      path: "/v1/chat/completions",
      body: chat({}),
      headers: { "x-sim-fault": "503" },
    },
    {
      file: "stream-error.sse",
      path: "/v1/chat/completions",
      body: chat({ stream: true }),
      headers: { "x-sim-fault": "error:3:500" },
    },
  ],
  { authorization: "Bearer sk-fixture" },
);

const anthropicTools = [
  { name: "get_weather", description: "Weather for a city", input_schema: weatherSchema },
  { name: "get_time", input_schema: timeSchema },
];
const messages = (extra: Record<string, unknown>) => ({
  model: "claude-sonnet-4-6",
  max_tokens: 1024,
  system: "You are a helpful assistant.",
  messages: [{ role: "user", content: "What is the weather in Paris today?" }],
  ...extra,
});
await capture(
  "anthropic",
  [
    { file: "text.json", path: "/v1/messages", body: messages({}) },
    { file: "text.sse", path: "/v1/messages", body: messages({ stream: true }) },
    {
      file: "cached.json",
      path: "/v1/messages",
      body: messages({}),
      headers: { "x-sim-cached-tokens": "8" },
    },
    {
      file: "cached.sse",
      path: "/v1/messages",
      body: messages({ stream: true }),
      headers: { "x-sim-cached-tokens": "8" },
    },
    {
      file: "tools.json",
      path: "/v1/messages",
      body: messages({ tools: anthropicTools }),
      headers: { "x-sim-tool-calls": "2" },
    },
    {
      file: "tools.sse",
      path: "/v1/messages",
      body: messages({ tools: anthropicTools, stream: true }),
      headers: { "x-sim-tool-calls": "2" },
    },
    {
      file: "stop-sequence.json",
      path: "/v1/messages",
      body: messages({ stop_sequences: ["Paris"] }),
    },
    { file: "max-tokens.json", path: "/v1/messages", body: messages({ max_tokens: 3 }) },
    {
      file: "refusal.json",
      path: "/v1/messages",
      body: messages({}),
      headers: { "x-sim-finish": "content_filter" },
    },
    { file: "error-400.json", path: "/v1/messages", body: { model: "claude-sonnet-4-6", messages: [] } },
    {
      file: "error-429.json",
      path: "/v1/messages",
      body: messages({}),
      headers: { "x-sim-fault": "429:20" },
    },
    { file: "error-500.json", path: "/v1/messages", body: messages({}), headers: { "x-sim-fault": "500" } },
    { file: "error-529.json", path: "/v1/messages", body: messages({}), headers: { "x-sim-fault": "529" } },
    {
      file: "stream-error.sse",
      path: "/v1/messages",
      body: messages({ stream: true }),
      headers: { "x-sim-fault": "error:3:529" },
    },
  ],
  { "x-api-key": "sk-ant-fixture", "anthropic-version": "2023-06-01" },
);

const geminiTools = [
  {
    functionDeclarations: [
      { name: "get_weather", parameters: weatherSchema },
      { name: "get_time", parameters: timeSchema },
    ],
  },
];
const generate = (extra: Record<string, unknown>) => ({
  systemInstruction: { parts: [{ text: "You are a helpful assistant." }] },
  contents: [{ role: "user", parts: [{ text: "What is the weather in Paris today?" }] }],
  ...extra,
});
const flash = "/v1beta/models/gemini-2.5-flash";
const pro = "/v1beta/models/gemini-2.5-pro";
await capture(
  "gemini",
  [
    { file: "text.json", path: `${flash}:generateContent`, body: generate({}) },
    { file: "text.sse", path: `${flash}:streamGenerateContent?alt=sse`, body: generate({}) },
    {
      file: "thinking-cached.json",
      path: `${pro}:generateContent`,
      body: generate({}),
      headers: { "x-sim-cached-tokens": "8" },
    },
    {
      file: "thinking-cached.sse",
      path: `${pro}:streamGenerateContent?alt=sse`,
      body: generate({}),
      headers: { "x-sim-cached-tokens": "8" },
    },
    {
      file: "tools.json",
      path: `${flash}:generateContent`,
      body: generate({ tools: geminiTools }),
      headers: { "x-sim-tool-calls": "2" },
    },
    {
      file: "tools.sse",
      path: `${flash}:streamGenerateContent?alt=sse`,
      body: generate({ tools: geminiTools }),
      headers: { "x-sim-tool-calls": "2" },
    },
    {
      file: "json.json",
      path: `${flash}:generateContent`,
      body: generate({
        generationConfig: { responseMimeType: "application/json", responseSchema: weatherSchema },
      }),
    },
    {
      file: "max-tokens.json",
      path: `${flash}:generateContent`,
      body: generate({ generationConfig: { maxOutputTokens: 3 } }),
    },
    {
      file: "safety.json",
      path: `${flash}:generateContent`,
      body: generate({}),
      headers: { "x-sim-finish": "content_filter" },
    },
    { file: "error-400.json", path: `${flash}:generateContent`, body: { contents: [] } },
    {
      file: "error-429.json",
      path: `${flash}:generateContent`,
      body: generate({}),
      headers: { "x-sim-fault": "429:20" },
    },
    {
      file: "error-500.json",
      path: `${flash}:generateContent`,
      body: generate({}),
      headers: { "x-sim-fault": "500" },
    },
    {
      file: "error-503.json",
      path: `${flash}:generateContent`,
      body: generate({}),
      headers: { "x-sim-fault": "503" },
    },
    {
      file: "stream-error.sse",
      path: `${flash}:streamGenerateContent?alt=sse`,
      body: generate({}),
      headers: { "x-sim-fault": "error:3:503" },
    },
  ],
  { "x-goog-api-key": "gemini-fixture" },
);

await sim.stop();
