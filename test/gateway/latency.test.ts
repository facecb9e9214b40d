// The latency tracker policies read: median of a recent window per model.

import { expect, test } from "bun:test";
import { LatencyTracker } from "../../src/gateway/latency";

test("p50 is null before any answer, then the median of the recent window", () => {
  const tracker = new LatencyTracker();
  expect(tracker.p50("openai/gpt-5")).toBeNull();
  for (const ms of [5, 1, 3]) tracker.observe("openai/gpt-5", ms);
  expect(tracker.p50("openai/gpt-5")).toBe(3);
  for (let i = 0; i < 64; i++) tracker.observe("openai/gpt-5", 10 + (i % 4));
  expect(tracker.p50("openai/gpt-5")).toBe(12);
  expect(tracker.p50("anthropic/claude-opus-4-6")).toBeNull();
});
