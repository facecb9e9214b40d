// What the official SDK does with Spendex's errors at its default retry settings: a provider key that the upstream
// rejects is not worth retrying, and the SDK is told so.

import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  // The simulator expects another key than the one the gateway was given: every upstream call is a 401.
  h = await startHarness({ providers: ["openai"], simulator: { requireKey: "sk-the-real-key" } });
  client = new OpenAI({ apiKey: h.key, baseURL: `${h.listen()}/v1` }); // default maxRetries: 2
});
afterAll(() => h.close());

test("a rejected provider key: one 502 with x-should-retry: false, so the SDK does not retry it", async () => {
  const since = h.sim.records().length;
  const error = await client.chat.completions
    .create({ model: "gpt-5-nano", messages: [{ role: "user", content: "Hi" }] })
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  const apiError = error as InstanceType<typeof OpenAI.InternalServerError>;
  expect(apiError.status).toBe(502);
  expect(apiError.code).toBe("upstream_auth_error");
  expect(apiError.headers?.get("x-should-retry")).toBe("false");
  expect(apiError.message).not.toContain("test-openai-key");
  expect(h.sim.records().length - since).toBe(1);
});
