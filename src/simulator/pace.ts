// Response pacing: the latency / time-to-first-token / tokens-per-second settings and abortable waits.

import type { Pace } from "./types";

export const NO_PACE: Pace = { latencyMs: 0, ttftMs: 0, tokensPerSecond: 0 };

/** The server's pace with any `x-sim-latency-ms`, `x-sim-ttft-ms`, `x-sim-tps` request headers applied. */
export function resolvePace(defaults: Pace, headers: Headers): Pace {
  const latency = headers.get("x-sim-latency-ms");
  const ttft = headers.get("x-sim-ttft-ms");
  const tps = headers.get("x-sim-tps");
  if (latency === null && ttft === null && tps === null) return defaults;
  return {
    latencyMs: toNumber(latency) ?? defaults.latencyMs,
    ttftMs: toNumber(ttft) ?? defaults.ttftMs,
    tokensPerSecond: toNumber(tps) ?? defaults.tokensPerSecond,
  };
}

function toNumber(text: string | null): number | undefined {
  if (text === null) return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Waits `ms`; resolves true when the time passed, false as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Resolves when the signal aborts (never otherwise): how `hang` and `stall` wait for the client to give up. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
