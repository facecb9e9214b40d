// Streaming through the gateway: OpenAI's exact chunk sequence, spendex on the last chunk, faults, aborts.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { requests } from "../../src/store/schema";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai"],
    config: {
      providers: [
        {
          name: "backup",
          baseUrl: "{sim}/v1",
          apiKeyEnv: "BACKUP_KEY",
          models: [{ name: "backup-nano", tier: "simple", prices: { input: 0.06, output: 0.5 } }],
        },
      ],
    },
    env: { BACKUP_KEY: "backup-key" },
  });
});
afterAll(() => h.close());

interface Event {
  data: string;
  json?: Record<string, unknown>;
}

async function events(response: Response): Promise<Event[]> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => {
      const data = block.slice(6);
      return data === "[DONE]" ? { data } : { data, json: JSON.parse(data) as Record<string, unknown> };
    });
}

const body = (extra: Record<string, unknown> = {}) => ({
  model: "gpt-5-nano",
  messages: [{ role: "user", content: "Tell me something" }],
  stream: true,
  ...extra,
});

function rowOf(id: string | null) {
  h.server.store.log.flush();
  return h.server.store.db
    .select()
    .from(requests)
    .where(eq(requests.id, id as string))
    .get();
}

describe("stream", () => {
  test("without include_usage: no empty-choices chunk, spendex rides on the finish chunk, then [DONE]", async () => {
    const response = await h.call("/v1/chat/completions", { json: body() });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const list = await events(response);
    expect(list.at(-1)?.data).toBe("[DONE]");
    const chunks = list
      .slice(0, -1)
      .map((e) => e.json as { choices: unknown[]; usage?: unknown; spendex?: unknown });
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
    const last = chunks.at(-1) as { choices: { finish_reason: string }[]; spendex: Record<string, unknown> };
    expect(last.choices[0]?.finish_reason).toBe("stop");
    expect(last.spendex).toMatchObject({ routed_model: "gpt-5-nano", provider: "openai", tier: "simple" });
    expect(last.spendex.cost_usd as number).toBeGreaterThan(0);
    const text = chunks
      .map((c) => (c.choices[0] as { delta: { content?: string } }).delta.content ?? "")
      .join("");
    expect(text).toBe("Simulated reply to: Tell me something");
  });

  test("with include_usage: the usage chunk comes last with empty choices and carries spendex", async () => {
    const list = await events(
      await h.call("/v1/chat/completions", { json: body({ stream_options: { include_usage: true } }) }),
    );
    const chunks = list
      .slice(0, -1)
      .map((e) => e.json as { choices: unknown[]; usage: unknown; spendex?: unknown });
    const last = chunks.at(-1) as { choices: unknown[]; usage: { total_tokens: number }; spendex: unknown };
    expect(last.choices).toEqual([]);
    expect(last.usage.total_tokens).toBeGreaterThan(0);
    expect(last.spendex).toBeDefined();
    expect(chunks.slice(0, -1).every((c) => c.choices.length === 1 && c.usage === null)).toBe(true);
  });

  test("tool-call deltas pass through with index, id and assembled arguments", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ];
    const list = await events(await h.call("/v1/chat/completions", { json: body({ tools }) }));
    let args = "";
    let id = "";
    let finish = "";
    for (const event of list) {
      const choice = (
        event.json?.choices as
          | {
              delta: { tool_calls?: { index: number; id?: string; function?: { arguments?: string } }[] };
              finish_reason: string | null;
            }[]
          | undefined
      )?.[0];
      for (const call of choice?.delta.tool_calls ?? []) {
        expect(call.index).toBe(0);
        if (call.id) id = call.id;
        args += call.function?.arguments ?? "";
      }
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    expect(id).not.toBe("");
    expect(JSON.parse(args)).toEqual({ city: "sim" });
    expect(finish).toBe("tool_calls");
  });

  test("a stream cut after the first byte ends with an error event and no [DONE]; the log says so", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: body(),
      headers: { "x-sim-fault": "cut:2" },
    });
    const list = await events(response);
    expect(list.some((e) => e.data === "[DONE]")).toBe(false);
    const last = list.at(-1)?.json as { error: { type: string; code: string } };
    expect(last.error.code).toBeString();
    expect(rowOf(response.headers.get("x-request-id"))).toMatchObject({
      outcome: "error_after_first_byte",
      stream: true,
    });
  });

  test("a failure before the first byte fails over transparently to an equivalent model", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503 } });
    try {
      const response = await h.call("/v1/chat/completions", { json: body() });
      const list = await events(response);
      expect(list.at(-1)?.data).toBe("[DONE]");
      const spendex = (
        (list.at(-2)?.json ?? {}) as {
          spendex: { routed_model: string; provider: string; fallbacks: { model: string; status: number }[] };
        }
      ).spendex;
      expect(spendex.routed_model).toBe("backup-nano");
      expect(spendex.provider).toBe("backup");
      expect(spendex.fallbacks.map((f) => [f.model, f.status])).toEqual([
        ["openai/gpt-5-nano", 503],
        ["openai/gpt-5-nano", 503],
        ["backup/backup-nano", 200],
      ]);
    } finally {
      h.sim.setFaults({});
    }
  });

  test("a client that disconnects mid-stream aborts the upstream request", async () => {
    const base = h.listen();
    const before = h.sim.abortedCount();
    const controller = new AbortController();
    const response = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${h.key}`,
        "content-type": "application/json",
        "x-sim-fault": "stall:1",
      },
      body: JSON.stringify(body()),
      signal: controller.signal,
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    const deadline = Date.now() + 3000;
    while (h.sim.abortedCount() === before && Date.now() < deadline) await Bun.sleep(10);
    expect(h.sim.abortedCount()).toBe(before + 1);
    const id = response.headers.get("x-request-id");
    while (!rowOf(id) && Date.now() < deadline) await Bun.sleep(10);
    expect(rowOf(id)).toMatchObject({ outcome: "client_aborted" });
  });
});
