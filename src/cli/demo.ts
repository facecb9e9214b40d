// `bun run demo`: the simulator and the gateway on loopback, a fresh key, sample requests through the official
// `openai` SDK, and a table of what was routed where, what it cost and what it saved.

import { parseArgs } from "node:util";
import OpenAI from "openai";
import { buildServer } from "../app";
import { loadSettings, resolveSettings } from "../config";
import { listen } from "../http";
import { startSimulator } from "../simulator";
import { openStore } from "../store";
import { printTable } from "./table";

interface StepResult {
  response?: Record<string, unknown>;
  error?: string;
  text?: string;
}

interface Step {
  title: string;
  model: string;
  run(client: OpenAI): Promise<StepResult>;
  before?: () => void;
  after?: () => void;
}

const user = (content: string): OpenAI.Chat.ChatCompletionMessageParam[] => [{ role: "user", content }];

export const USAGE = `usage: spendex demo

Starts the provider simulator and a gateway on loopback (store: DATABASE_URL, default sqlite:./data/spendex.db),
creates a test key, sends sample requests (pinned, streaming, tool call, failover, an error, auto) through the
official openai SDK and prints what was routed where, the cost and the saving. PORT fixes the gateway's port.`;

export async function runDemo(argv: string[]): Promise<number> {
  // The demo takes no options: a typo'd one is refused (exit 2 with the usage), not silently ignored.
  parseArgs({ args: argv, options: {}, strict: true, allowPositionals: false });
  const base = loadSettings(process.env);
  const sim = await startSimulator({ port: 0, pace: { latencyMs: 20, ttftMs: 30, tokensPerSecond: 200 } });
  const env: Record<string, string> = { DATABASE_URL: base.databaseUrl };
  for (const provider of ["OPENAI", "ANTHROPIC", "GEMINI", "MISTRAL"]) {
    env[`${provider}_API_KEY`] = `demo-${provider.toLowerCase()}-key`;
    env[`${provider}_BASE_URL`] = provider === "OPENAI" || provider === "MISTRAL" ? `${sim.url}/v1` : sim.url;
  }
  const settings = resolveSettings({ breaker: { failureThreshold: 2, cooldownMs: 30_000 } }, env);
  const store = openStore({ url: settings.databaseUrl });
  const server = await buildServer(settings, { store, log: (line) => console.log(`  ${line}`) });
  const url = `http://127.0.0.1:${listen(server.app, { port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1" })}`;
  const name = `demo-${new Date().toISOString().replaceAll(/[:.]/g, "-")}`;
  const key = (await store.keys.create({ name, env: "test" })).key;
  console.log(
    `\nSpendex demo: simulator ${sim.url}, gateway ${url}, key '${name}' (spx_sk_test_…${key.slice(-4)})\n`,
  );

  const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 0 });
  const autoOn = server.routing?.auto !== undefined;
  const steps = demoSteps(sim, autoOn);
  const rows: Record<string, unknown>[] = [];
  for (const [index, step] of steps.entries()) {
    process.stdout.write(`[${index + 1}/${steps.length}] ${step.title}… `);
    step.before?.();
    const started = performance.now();
    const result: StepResult = await step.run(client).catch((error: unknown) => ({ error: describe(error) }));
    step.after?.();
    const ms = Math.round(performance.now() - started);
    const spendex = (result.response?.spendex ?? {}) as Record<string, unknown>;
    console.log(result.error ? `error: ${result.error}` : "ok");
    rows.push({
      request: step.title,
      asked: step.model,
      routed: result.error ? "—" : `${spendex.provider}/${spendex.routed_model}`,
      tier: spendex.tier ?? "",
      tries: Array.isArray(spendex.fallbacks) ? spendex.fallbacks.length : result.error ? "" : 1,
      cost_usd: typeof spendex.cost_usd === "number" ? spendex.cost_usd.toFixed(7) : "",
      saved_usd: typeof spendex.saved_usd === "number" ? spendex.saved_usd.toFixed(7) : "",
      ms,
      answer: result.error ?? truncate(result.text ?? "", 38),
    });
  }
  console.log("");
  printTable(rows);
  if (!autoOn)
    console.log(
      "\n(auto routing is off: no classifier model in models/. Run 'bun run spendex model build'.)",
    );
  await server.app.server?.stop(true);
  await server.close();
  await sim.stop();
  console.log(`\nEvery request above is one row in the request log (${settings.databaseUrl}).`);
  return 0;
}

function demoSteps(sim: Awaited<ReturnType<typeof startSimulator>>, autoOn: boolean): Step[] {
  const plain = (title: string, model: string, content: string): Step => ({
    title,
    model,
    async run(client) {
      const response = await client.chat.completions.create({ model, messages: user(content) });
      return {
        response: response as unknown as Record<string, unknown>,
        text: response.choices[0]?.message.content ?? "",
      };
    },
  });
  const steps: Step[] = [
    plain("plain, pinned", "gpt-5-nano", "Hello! What can you do?"),
    {
      title: "streaming",
      model: "claude-sonnet-4-6",
      async run(client) {
        const stream = await client.chat.completions.create({
          model: "claude-sonnet-4-6",
          messages: user("Explain quantum computing in two sentences"),
          stream: true,
        });
        let text = "";
        let last: Record<string, unknown> | undefined;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? "";
          last = chunk as unknown as Record<string, unknown>;
        }
        return { response: last ?? {}, text };
      },
    },
    {
      title: "tool call",
      model: "gemini-2.5-flash",
      async run(client) {
        const response = await client.chat.completions.create({
          model: "gemini-2.5-flash",
          messages: user("What's the weather in Lisbon?"),
          tools: [
            {
              type: "function",
              function: {
                name: "get_weather",
                parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
              },
            },
          ],
        });
        const call = response.choices[0]?.message.tool_calls?.[0];
        const text = call?.type === "function" ? `${call.function.name}(${call.function.arguments})` : "";
        return { response: response as unknown as Record<string, unknown>, text };
      },
    },
    plain("mistral", "mistral-small", "Translate 'good morning' to French"),
    {
      ...plain("failover: OpenAI down", "gpt-5-mini", "Summarise the benefits of unit tests"),
      before: () => sim.setFaults({ "gpt-5-mini": { kind: "status", status: 503 } }),
      after: () => sim.setFaults({}),
    },
    plain("error: unknown model", "gpt-99", "Hi"),
  ];
  if (autoOn) {
    steps.push(
      plain("auto: small talk", "auto", "hey, thanks a lot!"),
      plain(
        "auto: ordinary code",
        "auto",
        "Write a Python function that returns the n-th Fibonacci number iteratively, with a docstring.",
      ),
      plain(
        "auto: hard proof",
        "auto",
        "Prove that for every prime p > 3, p^2 - 1 is divisible by 24, then generalise: for which integers k does k^2 ≡ 1 (mod 24) hold? Give a rigorous argument.",
      ),
    );
  }
  return steps;
}

function describe(error: unknown): string {
  if (error instanceof OpenAI.APIError) return `${error.status} ${error.code ?? error.type ?? ""}`.trim();
  return error instanceof Error ? error.message : String(error);
}

function truncate(text: string, length: number): string {
  const flat = text.replaceAll(/\s+/g, " ");
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
