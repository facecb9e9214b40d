// Forwarded client headers: openai-* reach only OpenAI (never its organization/project), nothing replaces an adapter's own.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let client: OpenAI;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "anthropic", "gemini", "mistral"],
    config: {
      // As the README suggests, plus headers that name an adapter's own (which must not win).
      forwardHeaders: ["x-sim-", "openai-", "x-api-key", "anthropic-version", "x-goog-api-key"],
      providers: [
        {
          name: "custom",
          baseUrl: "{sim}/v1",
          apiKeyEnv: "CUSTOM_KEY",
          models: [{ name: "custom-nano", tier: "simple", prices: { input: 0.06, output: 0.5 } }],
        },
      ],
    },
    env: { CUSTOM_KEY: "test-custom-key" },
  });
  // What the OpenAI SDK sends when a client sets its organization, project and a beta header.
  client = new OpenAI({
    apiKey: h.key,
    baseURL: `${h.listen()}/v1`,
    maxRetries: 0,
    organization: "org-client",
    project: "proj_client",
    defaultHeaders: {
      "OpenAI-Beta": "assistants=v2",
      "x-sim-reply": "forwarded",
      "x-api-key": "client-key",
      "anthropic-version": "1999-01-01",
      "x-goog-api-key": "client-key",
    },
  });
});
afterAll(() => h.close());

async function received(model: string): Promise<Record<string, string>> {
  const before = h.sim.records().length;
  const response = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: "hi" }],
  });
  // The forwarded x-sim-reply proves forwarding itself still works.
  expect(response.choices[0]?.message.content).toBe("forwarded");
  const records = h.sim.records();
  expect(records).toHaveLength(before + 1);
  return records.at(-1)!.headers;
}

describe("client headers forwarded upstream", () => {
  test("OpenAI gets OpenAI-Beta but not the client's organization or project", async () => {
    const headers = await received("openai/gpt-5-nano");
    expect(headers["openai-beta"]).toBe("assistants=v2");
    expect(headers).not.toHaveProperty("openai-organization");
    expect(headers).not.toHaveProperty("openai-project");
    expect(headers.authorization).toBe("Bearer test-openai-key");
  });

  test.each([
    ["anthropic/claude-haiku-4-5", { "x-api-key": "test-anthropic-key", "anthropic-version": "2023-06-01" }],
    ["gemini/gemini-2.5-flash-lite", { "x-goog-api-key": "test-gemini-key" }],
    ["mistral/mistral-small", { authorization: "Bearer test-mistral-key" }],
    ["custom/custom-nano", { authorization: "Bearer test-custom-key" }],
  ])("%s gets no openai-* header, and its own headers are not replaced", async (model, own) => {
    const headers = await received(model);
    expect(Object.keys(headers).filter((name) => name.startsWith("openai-"))).toEqual([]);
    expect(headers).toMatchObject(own);
  });
});
