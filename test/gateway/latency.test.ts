// The latency tracker policies read: median of a recent window per model, coarse and refreshed once a second.

import { expect, test } from "bun:test";
import { LatencyTracker } from "../../src/gateway/latency";

test("p50 is null before any answer, then the median of the recent window, refreshed once a second", () => {
  let now = 0;
  const tracker = new LatencyTracker(() => now);
  expect(tracker.p50("openai/gpt-5")).toBeNull();
  for (const ms of [5, 1, 3]) tracker.observe("openai/gpt-5", ms);
  expect(tracker.p50("openai/gpt-5")).toBe(3);
  for (let i = 0; i < 64; i++) tracker.observe("openai/gpt-5", 120.4 + (i % 4));
  expect(tracker.p50("openai/gpt-5")).toBe(3);
  now += 1_000;
  expect(tracker.p50("openai/gpt-5")).toBe(120);
  expect(tracker.p50("anthropic/claude-opus-4-6")).toBeNull();
});
