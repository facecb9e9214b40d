// Bad input never crashes the gateway: random bodies get a 2xx or an OpenAI-style 4xx, never a 500.

import { afterAll, beforeAll, expect, test } from "bun:test";
import fc from "fast-check";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ providers: ["openai", "anthropic", "gemini"] });
});
afterAll(() => h.close());

const part = fc.oneof(
  fc.record({ type: fc.constant("text"), text: fc.string() }),
  fc.record({
    type: fc.constant("image_url"),
    image_url: fc.record({ url: fc.oneof(fc.webUrl(), fc.constant("data:image/png;base64,iVBORw0KGgo=")) }),
  }),
  fc.record({ type: fc.string(), data: fc.jsonValue() }),
);
const message = fc.record(
  {
    role: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom("system", "user", "assistant", "tool", "developer") },
      fc.string(),
    ),
    content: fc.oneof(
      { weight: 3, arbitrary: fc.string() },
      fc.array(part, { maxLength: 3 }),
      fc.constant(null),
      fc.jsonValue(),
    ),
    tool_call_id: fc.string(),
    name: fc.string(),
  },
  { requiredKeys: ["role"] },
);
const body = fc.record(
  {
    model: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom("gpt-5-nano", "claude-haiku-4-5", "gemini-2.5-flash-lite") },
      fc.constantFrom("gpt-5-nano", "claude-haiku-4-5", "gemini-2.5-flash-lite", "nope", ""),
      fc.jsonValue(),
    ),
    messages: fc.oneof(
      { weight: 4, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }) },
      fc.jsonValue(),
    ),
    temperature: fc.oneof(
      { weight: 4, arbitrary: fc.double({ noNaN: true, min: 0, max: 2 }) },
      fc.jsonValue(),
    ),
    top_p: fc.oneof({ weight: 4, arbitrary: fc.double({ noNaN: true, min: 0, max: 1 }) }, fc.double()),
    max_tokens: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 50 }) }, fc.jsonValue()),
    stream: fc.oneof({ weight: 4, arbitrary: fc.boolean() }, fc.jsonValue()),
    stop: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 6 })),
    tools: fc.oneof(
      fc.array(
        fc.record({
          type: fc.constant("function"),
          function: fc.record({
            name: fc.string({ minLength: 1, maxLength: 10 }),
            parameters: fc.jsonValue(),
          }),
        }),
        { maxLength: 2 },
      ),
      fc.jsonValue(),
    ),
    response_format: fc.oneof(
      fc.record({ type: fc.constantFrom("text", "json_object", "json_schema") }),
      fc.jsonValue(),
    ),
    n: fc.integer({ min: 0, max: 3 }),
  },
  { requiredKeys: ["model", "messages"] },
);

test("random request bodies: 2xx or an OpenAI error object, never 500", async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(body, async (json) => {
      const response = await h.call("/v1/chat/completions", { json });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status).not.toBe(500);
      if (response.status >= 400) {
        const error = (JSON.parse(text) as { error: { message: string; type: string } }).error;
        expect(typeof error.message).toBe("string");
        expect(typeof error.type).toBe("string");
      }
    }),
    { numRuns: 300, seed: 42 },
  );
  // The generator must reach the adapters too, not only the validator.
  expect(statuses.get(200) ?? 0).toBeGreaterThan(3);
  const health = await h.call("/health");
  expect(health.status).toBe(200);
});

test("random bytes as a body are a 400", async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (bytes) => {
      const response = await h.call("/v1/chat/completions", { method: "POST", body: bytes });
      expect([400, 413]).toContain(response.status);
      await response.arrayBuffer();
    }),
    { numRuns: 100, seed: 7 },
  );
});
