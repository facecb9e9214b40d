// A real gateway process whose upstream stays silent longer than Bun's fetch idle timer: the answer still arrives.
// Bun's fetch cuts a socket that is silent for BUN_CONFIG_HTTP_IDLE_TIMEOUT seconds (default 300); a reasoning
// model may think longer than that before its first byte. The process here gets a 1 s timer to prove it is off.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { startSimulator } from "../../src/simulator";
import type { SimulatorHandle } from "../../src/simulator/types";
import { openStore } from "../../src/store";

const dir = mkdtempSync(join(tmpdir(), "spendex-long-silence-"));
let sim: SimulatorHandle;
let gateway: Subprocess<"ignore", "pipe", "inherit">;
let base: string;
let key: string;

beforeAll(async () => {
  // Every answer of this simulator starts after 10 s of silence.
  sim = await startSimulator({
    port: 0,
    pace: { latencyMs: 10_000, ttftMs: 10_000, tokensPerSecond: 1_000 },
  });
  const url = `sqlite:${join(dir, "gateway.db")}`;
  const store = openStore({ url });
  key = (await store.keys.create({ name: "silence", env: "test" })).key;
  await store.close();
  gateway = Bun.spawn(["bun", "src/main.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      DATABASE_URL: url,
      SPENDEX_CONFIG: "",
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: `${sim.url}/v1`,
      BUN_CONFIG_HTTP_IDLE_TIMEOUT: "1",
    },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = gateway.stdout.getReader();
  let seen = "";
  while (!/listening on (http:\/\/\S+)/.test(seen)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`gateway did not start: ${seen}`);
    seen += new TextDecoder().decode(value);
  }
  base = (/listening on (http:\/\/\S+)/.exec(seen) as RegExpExecArray)[1] as string;
  void (async () => {
    while (!(await reader.read()).done) {}
  })();
}, 30_000);

afterAll(async () => {
  gateway?.kill();
  await gateway?.exited;
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("an upstream silent for 10 s (ten times Bun's fetch idle timer here) still answers through the gateway", async () => {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({ model: "gpt-5-nano", messages: [{ role: "user", content: "think hard" }] }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  expect(body.choices[0]?.message.content).toContain("think hard");
}, 40_000);
