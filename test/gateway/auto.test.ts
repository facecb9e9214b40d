// `model: "auto"` end to end: classify → policy → dispatch, with the policy's fallbacks, errors and rejections.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Classification, Classifier, ClassifyInput } from "../../src/classify/types";
import { requests } from "../../src/store/schema";
import { type Harness, startHarness } from "../support/harness";

/** A stand-in for the ONNX model: the tier is read from the prompt, so each test picks the tier it needs. */
class KeywordClassifier implements Classifier {
  async classify(input: ClassifyInput): Promise<Classification> {
    const text = String(input.messages.at(-1)?.content ?? "");
    const tier = text.includes("prove") ? "complex" : text.includes("code") ? "medium" : "simple";
    const confidence = text.includes("unsure") ? 0.4 : 0.9;
    const rest = (1 - confidence) / 2;
    const scores = {
      simple: rest,
      medium: rest,
      complex: rest,
      [tier]: confidence,
    } as Classification["scores"];
    return {
      tier,
      confidence,
      scores,
      signals: {
        estimatedTokens: text.length / 4,
        turns: 1,
        userTurns: 1,
        systemChars: 0,
        lastUserChars: text.length,
        codeFences: 0,
        codeTokenRatio: 0,
        mathDensity: 0,
        digitRatio: 0,
        questions: 0,
        listItems: 0,
        tools: input.tools,
        images: input.images,
        jsonMode: input.jsonMode,
      },
    };
  }
}

const dir = mkdtempSync(join(tmpdir(), "spendex-policies-"));
writeFileSync(
  join(dir, "cheapest.js"),
  `function route(input) {
  const tier = input.classification.tier;
  const pool = input.candidates.filter((c) => c.tier === tier && c.healthy);
  pool.sort((a, b) => (3 * a.prices.input + a.prices.output) - (3 * b.prices.input + b.prices.output));
  if (input.request.headers["x-spendex-test"] === "reject") {
    return { reject: { status: 402, code: "payment_required", message: "Team budget is spent." } };
  }
  if (input.request.headers["x-spendex-test"] === "throw") throw new Error("policy bug");
  const [first, ...rest] = pool;
  return { model: first.id, fallbacks: rest.map((c) => c.id), reason: "cheapest " + tier };
}
`,
);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    providers: ["openai", "mistral"],
    config: { routing: { policyDir: dir, policy: "cheapest" } },
    build: { routing: true, classifier: new KeywordClassifier() },
  });
});
afterAll(() => h.close());

const auto = (content: string) => ({ model: "auto", messages: [{ role: "user", content }] });

interface Spendex {
  routed_model: string;
  provider: string;
  tier: string;
  cost_usd: number;
  saved_usd: number;
  confidence: number;
  policy: string;
  policy_revision: string;
  reason?: string;
  policy_error?: string;
  fallbacks?: { model: string; status: number }[];
}

async function spendexOf(response: Response): Promise<Spendex> {
  expect(response.status).toBe(200);
  return ((await response.json()) as { spendex: Spendex }).spendex;
}

describe("auto", () => {
  test("a simple request goes to the cheapest simple model; saved is against the baseline", async () => {
    const response = await h.call("/v1/chat/completions", { json: auto("What is the capital of France?") });
    const spendex = await spendexOf(response);
    expect(spendex).toMatchObject({
      routed_model: "gpt-5-nano",
      tier: "simple",
      policy: "cheapest",
      reason: "cheapest simple",
    });
    expect(spendex.policy_revision).toMatch(/^[0-9a-f]{8,}$/);
    expect(spendex.confidence).toBe(0.9);
    expect(spendex.saved_usd).toBeGreaterThan(0);
    // gpt-5 costs 25× gpt-5-nano on both input and output, so the saving is 24× the cost.
    expect(spendex.saved_usd).toBeCloseTo(spendex.cost_usd * 24, 10);
    expect(response.headers.get("server-timing")).toContain("classify;dur=");
  });

  test("a medium request goes to the cheapest medium model of the connected providers", async () => {
    const spendex = await spendexOf(
      await h.call("/v1/chat/completions", { json: auto("write code for a parser") }),
    );
    expect(spendex).toMatchObject({ routed_model: "gpt-5-mini", provider: "openai", tier: "medium" });
  });

  test("the policy's fallbacks are tried before other failover candidates", async () => {
    h.sim.setFaults({ "gpt-5-nano": { kind: "status", status: 503 } });
    try {
      const spendex = await spendexOf(await h.call("/v1/chat/completions", { json: auto("hello") }));
      expect(spendex.routed_model).toBe("mistral-small");
      expect(spendex.fallbacks?.map((f) => f.model)).toEqual([
        "openai/gpt-5-nano",
        "openai/gpt-5-nano",
        "mistral/mistral-small",
      ]);
    } finally {
      h.sim.setFaults({});
    }
  });

  test("a policy that throws falls back to the built-in policy and says so", async () => {
    const spendex = await spendexOf(
      await h.call("/v1/chat/completions", { json: auto("hello"), headers: { "x-spendex-test": "throw" } }),
    );
    expect(spendex.routed_model).toBe("gpt-5-nano");
    expect(spendex.policy_error).toContain("policy bug");
  });

  test("a policy rejection becomes the status and code it chose", async () => {
    const response = await h.call("/v1/chat/completions", {
      json: auto("hello"),
      headers: { "x-spendex-test": "reject" },
    });
    expect(response.status).toBe(402);
    expect(response.headers.get("x-should-retry")).toBe("false");
    const body = (await response.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({
      type: "billing_error",
      code: "payment_required",
      message: "Team budget is spent.",
    });
  });

  test("the decision input is logged for replay, without prompt text", async () => {
    const response = await h.call("/v1/chat/completions", { json: auto("a private question about code") });
    const id = response.headers.get("x-request-id") as string;
    h.server.store.log.flush();
    const row = h.server.store.db.select().from(requests).where(eq(requests.id, id)).get();
    expect(row).toMatchObject({
      requestedModel: "auto",
      routedModel: "openai/gpt-5-mini",
      tier: "medium",
      policy: "cheapest",
    });
    const input = JSON.parse(row?.decisionInput ?? "{}") as {
      classification: { tier: string };
      candidates: { id: string }[];
    };
    expect(input.classification.tier).toBe("medium");
    expect(input.candidates.map((c) => c.id)).toContain("mistral/mistral-large");
    expect(row?.decisionInput).not.toContain("private question");
  });

  test("without routing loaded, auto is a clear 400", async () => {
    const plain = await startHarness();
    try {
      const response = await plain.call("/v1/chat/completions", { json: auto("hello") });
      const body = (await response.json()) as { error: { code: string } };
      expect(response.status).toBe(400);
      expect(body.error.code).toBe("auto_routing_not_configured");
    } finally {
      await plain.close();
    }
  });
});
