// A graceful stop under load: SIGTERM while requests are in flight loses no request and no log row.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../../src/simulator";
import { openStore } from "../../src/store";
import { requests } from "../../src/store/schema";

const dir = mkdtempSync(join(tmpdir(), "spendex-stop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("SIGTERM under load: every in-flight request is answered and logged", async () => {
  const sim = await startSimulator({ port: 0, pace: { latencyMs: 150, ttftMs: 50, tokensPerSecond: 100 } });
  const url = `sqlite:${join(dir, "stop.db")}` as const;
  const setup = openStore({ url });
  const key = setup.keys.create({ name: "load", env: "live" }).key;
  await setup.close();
  const child = Bun.spawn(["bun", "src/main.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      DATABASE_URL: url,
      OPENAI_API_KEY: "k",
      OPENAI_BASE_URL: `${sim.url}/v1`,
      SPENDEX_CONFIG: "",
    },
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    let port = 0;
    while (!port) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`server did not start: ${seen}`);
      seen += new TextDecoder().decode(value);
      port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(seen)?.[1] ?? 0);
    }
    const send = (stream: boolean) =>
      fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          model: "gpt-5-nano",
          stream,
          messages: [{ role: "user", content: "one two three four" }],
        }),
      }).then(async (response) => ({ status: response.status, text: await response.text() }));
    const inFlight = Array.from({ length: 60 }, (_, i) => send(i % 2 === 0));
    // SIGTERM once every request is in flight upstream (the simulator answers slowly on purpose).
    const deadline = Date.now() + 10_000;
    while (sim.records().length < 60 && Date.now() < deadline) await Bun.sleep(5);
    child.kill("SIGTERM");
    const unfinishedAtStop = sim.records().filter((record) => record.status === 0).length;
    const results = await Promise.all(inFlight);
    expect(await child.exited).toBe(0);
    expect(unfinishedAtStop).toBeGreaterThan(30);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.text.includes("data: [DONE]")).length).toBe(30);
    const store = openStore({ url });
    const all = store.db.select().from(requests).all();
    const rows = { n: all.length, complete: all.filter((row) => row.outcome === "complete").length };
    await store.close();
    expect(rows).toEqual({ n: 60, complete: 60 });
  } finally {
    child.kill();
    await sim.stop();
  }
});
