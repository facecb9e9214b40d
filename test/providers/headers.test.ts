// Which forwarded client headers each provider kind gets (mergeHeaders).

import { describe, expect, test } from "bun:test";
import { mergeHeaders } from "../../src/providers/core/adapter";
import type { ProviderKind } from "../../src/providers/types";

const base = {
  "content-type": "application/json",
  "Anthropic-Version": "2023-06-01",
  "x-api-key": "operator",
};
const forwarded = {
  "OpenAI-Organization": "org-client",
  "openai-project": "proj_client",
  "OpenAI-Beta": "assistants=v2",
  "x-sim-reply": "hi",
  "anthropic-version": "1999-01-01",
  "X-Api-Key": "client",
};

describe("mergeHeaders", () => {
  test.each([
    ["openai", { "openai-beta": "assistants=v2", "x-sim-reply": "hi" }],
    ["openai-compatible", { "x-sim-reply": "hi" }],
    ["mistral", { "x-sim-reply": "hi" }],
    ["anthropic", { "x-sim-reply": "hi" }],
    ["gemini", { "x-sim-reply": "hi" }],
  ] as Array<[ProviderKind, Record<string, string>]>)("%s", (kind, added) => {
    expect(mergeHeaders(base, forwarded, kind)).toEqual({ ...base, ...added });
  });

  test.each(["openai", "anthropic", "gemini", "mistral", "openai-compatible"] as ProviderKind[])(
    "the client's Authorization (its Spendex key) never reaches %s, even when a prefix matches it",
    (kind) => {
      const own = { "content-type": "application/json", "x-goog-api-key": "operator" };
      const client = { Authorization: "Bearer spx_sk_live_secret", "accept-language": "en" };
      expect(mergeHeaders(own, client, kind)).toEqual({ ...own, "accept-language": "en" });
    },
  );

  test("nothing forwarded: the connection's own object, not a copy", () => {
    expect(mergeHeaders(base, undefined, "openai")).toBe(base);
    expect(mergeHeaders(base, { "openai-organization": "org" }, "openai")).toBe(base);
  });
});
