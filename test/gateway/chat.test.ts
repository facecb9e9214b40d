// The chat endpoint through app.handle: auth, validation, routing errors, forwarding, pricing, headers, log rows.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ providers: ["openai"] });
});
afterAll(() => h.close());

const hello = { model: "gpt-5-nano", messages: [{ role: "user", content: "Hello there" }] };

async function errorOf(response: Response) {
  const body = (await response.json()) as {
    error: { message: string; type: string; param: string | null; code: string };
  };
  return { status: response.status, ...body.error };
}

describe("authenticate", () => {
  test.each([
    ["missing", undefined],
    ["not bearer", "Basic abc"],
    ["malformed", "Bearer sk-1234567890"],
    ["unknown", "Bearer spx_sk_test_AAAAAAAAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
  ])("%s key → 401 invalid_api_key, never reaches a provider", async (_name, authorization) => {
    const before = h.sim.records().length;
    const headers: Record<string, string> = {};
    if (authorization) headers.authorization = authorization;
    const response = await h.server.app.handle(
      new Request("http://spendex.local/v1/chat/completions", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(hello),
      }),
    );
    const error = await errorOf(response);
    expect(error.status).toBe(401);
    expect(error.code).toBe("invalid_api_key");
    expect(error.type).toBe("authentication_error");
    expect(h.sim.records().length).toBe(before);
  });

  test("a key with the wrong env prefix is rejected", async () => {
    const live = h.key.replace("spx_sk_test_", "spx_sk_live_");
    const response = await h.call("/v1/chat/completions", {
      json: hello,
      headers: { authorization: `Bearer ${live}` },
    });
    expect(response.status).toBe(401);
  });

  test("a revoked key is rejected once the revocation is read", async () => {
    const issued = h.server.store.keys.create({ name: "to-revoke", env: "live" });
    const ok = await h.call("/v1/chat/completions", {
      json: hello,
      headers: { authorization: `Bearer ${issued.key}` },
    });
    expect(ok.status).toBe(200);
    h.server.store.keys.revoke("to-revoke");
    await Bun.sleep(2_100);
    const denied = await h.call("/v1/chat/completions", {
      json: hello,
      headers: { authorization: `Bearer ${issued.key}` },
    });
    const error = await errorOf(denied);
    expect(error.status).toBe(401);
    expect(error.message).toContain("revoked");
  });
});

describe("parse", () => {
  test.each([
    ["empty messages", { model: "gpt-5-nano", messages: [] }, "messages"],
    ["bad role", { model: "gpt-5-nano", messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
    ["message not an object", { model: "gpt-5-nano", messages: ["hi"] }, "messages[0]"],
    ["no model", { messages: [{ role: "user", content: "x" }] }, "model"],
    ["temperature 3", { ...hello, temperature: 3 }, "temperature"],
    ["top_p 1.5", { ...hello, top_p: 1.5 }, "top_p"],
    ["max_tokens 0", { ...hello, max_tokens: 0 }, "max_tokens"],
    ["max_completion_tokens 1.5", { ...hello, max_completion_tokens: 1.5 }, "max_completion_tokens"],
    ["stream string", { ...hello, stream: "yes" }, "stream"],
    ["five stops", { ...hello, stop: ["a", "b", "c", "d", "e"] }, "stop"],
    [
      "tool without name",
      { ...hello, tools: [{ type: "function", function: {} }] },
      "tools[0].function.name",
    ],
    ["tool of another type", { ...hello, tools: [{ type: "retrieval" }] }, "tools[0].type"],
  ])("%s → 400 naming the parameter", async (_name, body, param) => {
    const error = await errorOf(await h.call("/v1/chat/completions", { json: body }));
    expect(error.status).toBe(400);
    expect(error.type).toBe("invalid_request_error");
    expect(error.param).toBe(param);
  });

  test("the error never echoes prompt text", async () => {
    const secret = "my secret prompt text";
    const error = await errorOf(
      await h.call("/v1/chat/completions", { json: { model: "gpt-5-nano", messages: [secret] } }),
    );
    expect(error.message).not.toContain(secret);
  });

  test.each([
    ["malformed JSON", '{"model": ', 400, "invalid_json"],
    ["a JSON array", "[1,2]", 400, "invalid_request"],
    ["an empty body", "", 400, "invalid_request"],
  ])("%s → 4xx with its code", async (_name, raw, status, code) => {
    const error = await errorOf(await h.call("/v1/chat/completions", { method: "POST", body: raw }));
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
  });

  test("a body over the limit → 413", async () => {
    const small = await startHarness({ config: { bodyLimitBytes: 2048 } });
    try {
      const big = { ...hello, messages: [{ role: "user", content: "x".repeat(5000) }] };
      const error = await errorOf(await small.call("/v1/chat/completions", { json: big }));
      expect(error.status).toBe(413);
      expect(error.code).toBe("request_too_large");
    } finally {
      await small.close();
    }
  });
});

describe("decide", () => {
  test("unknown model → 404 model_not_found", async () => {
    const error = await errorOf(
      await h.call("/v1/chat/completions", { json: { ...hello, model: "gpt-99" } }),
    );
    expect(error).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
  });

  test("known model of an unconnected provider → 400 naming the env var", async () => {
    const error = await errorOf(
      await h.call("/v1/chat/completions", { json: { ...hello, model: "claude-sonnet-4-6" } }),
    );
    expect(error).toMatchObject({ status: 400, code: "provider_not_connected" });
    expect(error.message).toContain("ANTHROPIC_API_KEY");
  });

  test("provider/model references resolve", async () => {
    const response = await h.call("/v1/chat/completions", { json: { ...hello, model: "openai/gpt-5-mini" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-spendex-routed-model")).toBe("openai/gpt-5-mini");
    expect(response.headers.get("x-spendex-tier")).toBe("medium");
  });

  test("x-spendex-providers excluding the pinned model's provider → 400 provider_not_allowed", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: hello,
      headers: { "x-spendex-providers": "anthropic" },
    });
    expect((await errorOf(response)).code).toBe("provider_not_allowed");
  });
});

describe("forward and price", () => {
  test("the body is forwarded untouched, unknown fields included, with the upstream model name", async () => {
    const body = { ...hello, seed: 7, logit_bias: { "50256": -100 }, some_future_field: { nested: [1, 2] } };
    const response = await h.call("/v1/chat/completions", { json: body });
    expect(response.status).toBe(200);
    const sent = h.sim.records().at(-1)?.body as Record<string, unknown>;
    expect(sent.some_future_field).toEqual({ nested: [1, 2] });
    expect(sent.logit_bias).toEqual({ "50256": -100 });
    expect(sent.seed).toBe(7);
    expect(sent.model).toBe("gpt-5-nano");
  });

  test("cost uses cached tokens at the cached price; saved is 0 for a pinned model", async () => {
    const prompt = "word ".repeat(400);
    const response = await h.call("/v1/chat/completions", {
      json: { model: "gpt-5-mini", messages: [{ role: "user", content: prompt }] },
      headers: { "x-sim-cached-tokens": "300" },
    });
    const body = (await response.json()) as {
      usage: {
        prompt_tokens: number;
        completion_tokens: number;
        prompt_tokens_details: { cached_tokens: number };
      };
      spendex: Record<string, unknown>;
    };
    const { prompt_tokens: prompt_, completion_tokens: completion } = body.usage;
    expect(body.usage.prompt_tokens_details.cached_tokens).toBe(300);
    const expected = ((prompt_ - 300) * 0.25 + 300 * 0.025 + completion * 2.0) / 1e6;
    expect(body.spendex.cost_usd as number).toBeCloseTo(expected, 12);
    expect(body.spendex).toMatchObject({
      routed_model: "gpt-5-mini",
      provider: "openai",
      tier: "medium",
      saved_usd: 0,
      baseline_model: "openai/gpt-5",
    });
    expect(body.spendex.request_id).toBe(response.headers.get("x-request-id") as string);
  });

  test("server-timing names the stages", async () => {
    const response = await h.call("/v1/chat/completions", { json: hello });
    const timing = response.headers.get("server-timing") ?? "";
    for (const stage of ["authenticate", "parse", "decide", "dispatch"])
      expect(timing).toContain(`${stage};dur=`);
  });

  test("upstream 429 keeps retry-after when it is the real cause", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: hello,
      headers: { "x-sim-fault": "429:30", "x-spendex-failover": "off" },
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    expect((await errorOf(response)).type).toBe("rate_limit_error");
  });

  test("upstream 400 is returned at once, not retried", async () => {
    const before = h.sim.records().length;
    const response = await h.call("/v1/chat/completions", { json: hello, headers: { "x-sim-fault": "400" } });
    expect(response.status).toBe(400);
    expect(h.sim.records().length - before).toBe(1);
  });
});

describe("side routes", () => {
  test("GET /v1/models lists connected models plus auto in OpenAI's list format", async () => {
    const body = (await (await h.call("/v1/models")).json()) as {
      object: string;
      data: { id: string; owned_by: string }[];
    };
    expect(body.object).toBe("list");
    const ids = body.data.map((m) => m.id);
    // Chat models (with their tier) first, then the embedding models (decision 0008).
    expect(ids).toEqual([
      "auto",
      "openai/gpt-5-nano",
      "openai/gpt-5-mini",
      "openai/gpt-5",
      "openai/text-embedding-3-small",
      "openai/text-embedding-3-large",
      "openai/text-embedding-ada-002",
    ]);
  });

  test("GET /v1/models needs a key", async () => {
    const response = await h.server.app.handle(new Request("http://spendex.local/v1/models"));
    expect(response.status).toBe(401);
  });

  test("/health and /ready", async () => {
    expect(((await (await h.call("/health")).json()) as { status: string }).status).toBe("ok");
    const ready = (await (await h.call("/ready")).json()) as {
      status: string;
      store: string;
      catalog_models: number;
    };
    expect(ready).toMatchObject({ status: "ready", store: "ok", catalog_models: 11 });
  });

  test("an unknown URL is an OpenAI-style 404", async () => {
    const error = await errorOf(await h.call("/v1/nothing"));
    expect(error).toMatchObject({ status: 404, type: "not_found_error" });
  });
});

describe("record", () => {
  test("every request gets one row with its tokens, cost and stages; no prompt text", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: { ...hello, messages: [{ role: "user", content: "remember-this-text" }] },
    });
    const id = response.headers.get("x-request-id");
    h.server.store.log.flush();
    const { requests } = await import("../../src/store/schema");
    const { eq } = await import("drizzle-orm");
    const row = h.server.store.db
      .select()
      .from(requests)
      .where(eq(requests.id, id as string))
      .get();
    expect(row).toMatchObject({
      status: 200,
      routedModel: "openai/gpt-5-nano",
      provider: "openai",
      outcome: "complete",
    });
    expect(row?.promptTokens).toBeGreaterThan(0);
    expect(row?.costUsd).toBeGreaterThan(0);
    const stages = JSON.parse(row?.stages ?? "{}") as Record<string, number>;
    expect(Object.keys(stages)).toEqual(
      expect.arrayContaining(["authenticate", "parse", "decide", "dispatch", "record"]),
    );
    // Serialised at the flush, to the microsecond.
    for (const ms of Object.values(stages)) {
      expect(typeof ms).toBe("number");
      expect(Math.round(ms * 1000) / 1000).toBe(ms);
    }
    expect(stages.dispatch).toBeGreaterThan(0);
    expect(JSON.parse(row?.attempts ?? "null")).toMatchObject([{ model: "openai/gpt-5-nano", status: 200 }]);
    expect(JSON.stringify(row)).not.toContain("remember-this-text");
  });

  test("rejected requests are logged too", async () => {
    const response = await h.call("/v1/chat/completions", { json: { ...hello, model: "nope" } });
    const id = response.headers.get("x-request-id");
    h.server.store.log.flush();
    const { requests } = await import("../../src/store/schema");
    const { eq } = await import("drizzle-orm");
    const row = h.server.store.db
      .select()
      .from(requests)
      .where(eq(requests.id, id as string))
      .get();
    expect(row).toMatchObject({ status: 404, errorCode: "model_not_found", outcome: "failed" });
  });
});
