// Many concurrent requests over a listening server while upstreams fail in every way at once: each client gets an
// OpenAI-format answer or error, every request leaves exactly one log row, nothing stays in flight.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { requests } from "../../src/store/schema";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "anthropic", "gemini", "mistral"],
    config: {
      breaker: { failureThreshold: 1000, cooldownMs: 1 },
      timeouts: { firstByteMs: 150, firstChunkMs: 150, idleMs: 150, totalMs: 3_000 },
      retry: { attemptsPerModel: 2, baseDelayMs: 1, maxDelayMs: 20, maxCandidates: 4 },
    },
  });
  base = h.listen();
});
afterAll(() => h.close());

const FAULTS = [
  "",
  "503",
  "529",
  "429:0",
  "cut:0",
  "cut:2",
  "error:0",
  "error:2",
  "stall:1",
  "hang",
  "500*1",
];
const MODELS = ["gpt-5-nano", "claude-haiku-4-5", "gemini-2.5-flash-lite", "mistral-small"];

interface Outcome {
  status: number;
  kind: "json" | "stream-done" | "stream-error" | "error" | "aborted";
}

async function one(index: number): Promise<Outcome> {
  const fault = FAULTS[index % FAULTS.length] as string;
  const model = MODELS[Math.floor(index / FAULTS.length) % MODELS.length] as string;
  const stream = index % 2 === 0;
  const abort = index % 7 === 3;
  const controller = new AbortController();
  const headers: Record<string, string> = {
    authorization: `Bearer ${h.key}`,
    "content-type": "application/json",
    "x-sim-tps": "50",
  };
  if (fault) headers["x-sim-fault"] = fault;
  if (abort) setTimeout(() => controller.abort(), 30);
  try {
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers,
      signal: controller.signal,
      body: JSON.stringify({
        model,
        messages: [{ role: "user", content: `request ${index} one two three four five` }],
        stream,
      }),
    });
    const text = await response.text();
    if (response.status !== 200) {
      const error = (JSON.parse(text) as { error: { message: string; type: string; code: string } }).error;
      expect(typeof error.message).toBe("string");
      expect(typeof error.code).toBe("string");
      return { status: response.status, kind: "error" };
    }
    if (!stream) {
      expect((JSON.parse(text) as { object: string }).object).toBe("chat.completion");
      return { status: 200, kind: "json" };
    }
    // Every event is `data: <JSON>` or the final [DONE]; an error event is last and has no [DONE] after it.
    const events = text.split("\n\n").filter(Boolean);
    for (const event of events) expect(event.startsWith("data: ")).toBe(true);
    const last = events.at(-1) as string;
    if (last === "data: [DONE]") return { status: 200, kind: "stream-done" };
    expect((JSON.parse(last.slice(6)) as { error?: unknown }).error).toBeDefined();
    return { status: 200, kind: "stream-error" };
  } catch (error) {
    expect(abort).toBe(true);
    expect((error as Error).name).toBe("AbortError");
    return { status: 0, kind: "aborted" };
  }
}

test("120 concurrent requests under mixed upstream faults: no 500, no lost row, nothing left in flight", async () => {
  const count = 120;
  const outcomes = await Promise.all(Array.from({ length: count }, (_, index) => one(index)));
  expect(outcomes.filter((o) => o.status === 500)).toEqual([]);
  expect(outcomes.some((o) => o.kind === "json")).toBe(true);
  expect(outcomes.some((o) => o.kind === "stream-done")).toBe(true);
  expect(outcomes.some((o) => o.kind === "stream-error")).toBe(true);
  expect(outcomes.some((o) => o.kind === "aborted")).toBe(true);
  for (let i = 0; i < 200 && h.server.gateway.inFlight() > 0; i++) await Bun.sleep(10);
  expect(h.server.gateway.inFlight()).toBe(0);
  h.server.store.log.flush();
  const rows = h.server.store.db.select().from(requests).all();
  expect(rows).toHaveLength(count);
  expect(new Set(rows.map((row) => row.id)).size).toBe(count);
  // Rows of clients that went away say so; the others carry the status the client saw.
  expect(rows.filter((row) => row.status === 500)).toEqual([]);
  expect(rows.filter((row) => row.outcome === "client_aborted").length).toBeGreaterThanOrEqual(1);
  const next = await h.call("/v1/chat/completions", {
    json: { model: "gpt-5-nano", messages: [{ role: "user", content: "still there?" }] },
  });
  expect(next.status).toBe(200);
}, 30_000);
