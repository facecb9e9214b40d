// Fault injection and pacing, seen through the official `openai` SDK: cut, hang, stall, error, times, pace.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import OpenAI, { type APIError } from "openai";
import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import { type SimulatorHandle, startSimulator } from "../../src/simulator";
import { parseFault } from "../../src/simulator/faults";

let sim: SimulatorHandle;
let client: OpenAI;
const messages = [{ role: "user" as const, content: "one two three four five six" }];

beforeAll(async () => {
  sim = await startSimulator();
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => sim.reset());

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await Bun.sleep(5);
}

describe("fault specs", () => {
  test.each([
    ["500", { kind: "status", status: 500 }],
    ["429:30", { kind: "status", status: 429, retryAfterSeconds: 30 }],
    ["529", { kind: "status", status: 529 }],
    ["hang", { kind: "hang" }],
    ["cut:3", { kind: "cut", afterChunks: 3 }],
    ["stall:0", { kind: "stall", afterChunks: 0 }],
    ["error:2", { kind: "error", afterChunks: 2 }],
    ["error:2:500", { kind: "error", afterChunks: 2, status: 500 }],
    ["503*2", { kind: "status", status: 503, times: 2 }],
    ["nonsense", undefined],
    ["200", undefined],
    ["cut:x", undefined],
  ])("%s", (spec, want) => {
    expect(parseFault(spec)).toEqual(want as ReturnType<typeof parseFault>);
  });
});

describe("faults", () => {
  test("cut:K: the SDK sees K content chunks, then an error, never a clean end", async () => {
    const stream = await client.chat.completions.create(
      { model: "gpt-5", stream: true, messages },
      { headers: { "x-sim-fault": "cut:2" } },
    );
    const chunks: ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Simulated reply");
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    expect(sim.abortedCount()).toBe(0);
  });

  test("cut on a non-streaming request: a truncated body is an SDK error", async () => {
    const error = await client.chat.completions
      .create({ model: "gpt-5", messages }, { headers: { "x-sim-fault": "cut:0" } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
  });

  test("hang + client abort: counted in abortedCount and marked on the record", async () => {
    const controller = new AbortController();
    const pending = client.chat.completions
      .create({ model: "gpt-5", messages }, { headers: { "x-sim-fault": "hang" }, signal: controller.signal })
      .catch((caught: unknown) => caught);
    await until(() => sim.records().length === 1);
    await Bun.sleep(20);
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await until(() => sim.abortedCount() === 1);
    expect(sim.abortedCount()).toBe(1);
    expect(sim.records()[0]!.aborted).toBe(true);
  });

  test("hang: the SDK's own timeout fires and the simulator counts the abort", async () => {
    const error = await client.chat.completions
      .create({ model: "gpt-5", messages }, { headers: { "x-sim-fault": "hang" }, timeout: 100 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await until(() => sim.abortedCount() === 1);
    expect(sim.abortedCount()).toBe(1);
  });

  test("stall:K: K chunks arrive, then silence until the client aborts", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "gpt-5", stream: true, messages },
      { headers: { "x-sim-fault": "stall:1" }, signal: controller.signal },
    );
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch(() => undefined);
    await until(() => seen.length === 2);
    await Bun.sleep(50);
    expect(seen).toEqual(["", "Simulated"]);
    controller.abort();
    await reading;
    await until(() => sim.abortedCount() === 1);
    expect(sim.abortedCount()).toBe(1);
    expect(sim.records()[0]!.aborted).toBe(true);
  });

  test("abort mid-stream under a slow pace is counted", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "gpt-5", stream: true, messages },
      { headers: { "x-sim-tps": "20" }, signal: controller.signal },
    );
    let count = 0;
    for await (const _chunk of stream) {
      count++;
      if (count === 2) break;
    }
    await until(() => sim.abortedCount() === 1);
    expect(sim.abortedCount()).toBe(1);
  });

  test("error:K: K chunks, then the provider's in-stream error event", async () => {
    const stream = await client.chat.completions.create(
      { model: "gpt-5", stream: true, messages },
      { headers: { "x-sim-fault": "error:1:500" } },
    );
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((caught: unknown) => caught);
    expect(seen).toEqual(["", "Simulated"]);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as APIError).type).toBe("server_error");
  });

  test("per-model fault with times: n applies to the first n requests, then clears", async () => {
    sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503, times: 2 } });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const result = await client.chat.completions
        .create({ model: "gpt-5-nano", messages })
        .then(() => 200)
        .catch((error: APIError) => error.status ?? 0);
      statuses.push(result);
    }
    expect(statuses).toEqual([503, 503, 200]);
    // Other models were never affected.
    const other = await client.chat.completions.create({ model: "gpt-5", messages });
    expect(other.choices[0]!.finish_reason).toBe("stop");
  });

  test("per-model fault from options, and the header wins over it", async () => {
    const faulty = await startSimulator({
      faults: { "gpt-5": { kind: "status", status: 429, retryAfterSeconds: 3 } },
    });
    try {
      const local = new OpenAI({ apiKey: "sk", baseURL: `${faulty.url}/v1`, maxRetries: 0 });
      const limited = await local.chat.completions
        .create({ model: "gpt-5", messages })
        .catch((error) => error);
      expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
      expect((limited as APIError).headers?.get("retry-after")).toBe("3");
      const overridden = await local.chat.completions
        .create({ model: "gpt-5", messages }, { headers: { "x-sim-fault": "500" } })
        .catch((error) => error);
      expect((overridden as APIError).status).toBe(500);
    } finally {
      await faulty.stop();
    }
  });

  test("pace: latency and ttft delay the answer; tps spaces the chunks", async () => {
    const started = performance.now();
    await client.chat.completions.create(
      { model: "gpt-5", messages },
      { headers: { "x-sim-latency-ms": "60" } },
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    const streamStarted = performance.now();
    const stream = await client.chat.completions.create(
      { model: "gpt-5", stream: true, messages: [{ role: "user", content: "hi" }] },
      { headers: { "x-sim-ttft-ms": "40", "x-sim-tps": "100" } },
    );
    let firstContentAt = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && !firstContentAt) firstContentAt = performance.now();
    }
    const total = performance.now() - streamStarted;
    expect(firstContentAt - streamStarted).toBeGreaterThanOrEqual(35);
    // "Simulated reply to: hi" is 4 word chunks: ttft + 3 intervals of 10 ms.
    expect(total).toBeGreaterThanOrEqual(60);
    expect(sim.abortedCount()).toBe(0);
  });

  test("records are bounded and reset clears them", async () => {
    await client.chat.completions.create({ model: "gpt-5", messages });
    expect(sim.records()).toHaveLength(1);
    sim.reset();
    expect(sim.records()).toHaveLength(0);
  });
});

describe("aborts in the other formats", () => {
  test("anthropic: a stalled stream aborted by the SDK is counted", async () => {
    const anthropic = new Anthropic({ apiKey: "k", baseURL: sim.url, maxRetries: 0 });
    const stream = anthropic.messages.stream(
      { model: "claude-haiku-4-5", max_tokens: 64, messages: [{ role: "user", content: "one two three" }] },
      { headers: { "x-sim-fault": "stall:1" } },
    );
    let text = "";
    stream.on("text", (delta) => {
      text += delta;
    });
    await until(() => text.length > 0);
    expect(text).toBe("Simulated");
    stream.abort();
    await stream.done().catch(() => undefined);
    await until(() => sim.abortedCount() === 1);
    expect(sim.abortedCount()).toBe(1);
    expect(sim.records()[0]).toMatchObject({ format: "anthropic", aborted: true, stream: true });
  });

  test("gemini: a hung request aborted through abortSignal is counted", async () => {
    const gemini = new GoogleGenAI({ apiKey: "k", httpOptions: { baseUrl: sim.url } });
    const controller = new AbortController();
    const pending = gemini.models
      .generateContent({
        model: "gemini-2.5-flash",
        contents: "hi",
        config: { abortSignal: controller.signal, httpOptions: { headers: { "x-sim-fault": "hang" } } },
      })
      .catch((error: unknown) => error);
    await until(() => sim.records().length === 1);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await until(() => sim.abortedCount() === 1);
    expect(sim.records()[0]).toMatchObject({ format: "gemini", aborted: true });
  });

  test("error:K on a non-streaming request is the provider's error status", async () => {
    const response = await fetch(`${sim.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "k", "anthropic-version": "2023-06-01", "x-sim-fault": "error:2" },
      body: JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(response.status).toBe(529);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("overloaded_error");
  });
});
