// Upstreams that answer 2xx with something that is not a chat completion, or fail in ways the simulator does not
// model: each attempt is named by what went wrong, the client gets an OpenAI error, and gzip bodies pass.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Harness, startHarness } from "../support/harness";

const completion = (content: string) => ({
  id: "x",
  object: "chat.completion",
  created: 1,
  model: "m",
  choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});

const upstream = Bun.serve({
  port: 0,
  async fetch(request) {
    await request.text();
    switch (request.headers.get("x-sim-raw")) {
      case "not-json":
        return new Response("{not json", { headers: { "content-type": "application/json" } });
      case "html-200":
        return new Response("<html>maintenance</html>", { headers: { "content-type": "text/html" } });
      case "error-200":
        return Response.json({
          error: { message: "overloaded, key sk-live-abcdefghijkl", type: "server_error" },
        });
      case "gzip":
        return new Response(Bun.gzipSync(JSON.stringify(completion("zipped"))), {
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
        });
      default:
        return Response.json(completion("ok"));
    }
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    providers: [],
    config: {
      breaker: { failureThreshold: 1000, cooldownMs: 1 },
      providers: [
        {
          name: "raw",
          baseUrl: `http://127.0.0.1:${upstream.port}/v1`,
          apiKeyEnv: "RAW_API_KEY",
          models: [{ name: "raw-nano", tier: "simple", prices: { input: 0.05, output: 0.4 } }],
        },
      ],
    },
    env: { RAW_API_KEY: "sk-raw-secret-value" },
  });
});
afterAll(async () => {
  await h.close();
  upstream.stop(true);
});

const ask = (mode: string) =>
  h.call("/v1/chat/completions", {
    json: { model: "raw-nano", messages: [{ role: "user", content: "hi" }] },
    headers: { "x-sim-raw": mode },
  });

for (const mode of ["not-json", "html-200", "error-200"]) {
  test(`a 200 that is not a chat completion (${mode}) is retried, then a 503 naming upstream_bad_response`, async () => {
    const response = await ask(mode);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string; type: string } };
    expect(body.error.code).toBe("provider_unavailable");
    expect(body.error.message).toBe(
      "No provider could serve this request. Tried: raw/raw-nano (upstream_bad_response), raw/raw-nano (upstream_bad_response).",
    );
    expect(JSON.stringify(body)).not.toContain("sk-");
  });
}

test("a gzip-encoded body is decoded, priced and answered without its content-encoding", async () => {
  const response = await ask("gzip");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-encoding")).toBeNull();
  const body = (await response.json()) as {
    choices: Array<{ message: { content: string } }>;
    spendex: { routed_model: string; cost_usd: number };
  };
  expect(body.choices[0]?.message.content).toBe("zipped");
  expect(body.spendex.routed_model).toBe("raw-nano");
  expect(body.spendex.cost_usd).toBeCloseTo((3 * 0.05 + 2 * 0.4) / 1_000_000, 12);
});
