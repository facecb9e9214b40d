// Benchmark plumbing: child processes that report their port, latency sampling, percentiles, tables.

import type { Subprocess } from "bun";

export interface Child {
  port: number;
  process: Subprocess;
}

/** Starts `bun SCRIPT` with env; resolves once it prints `READY <port>` (or a "listening on ...:PORT" line). */
export async function spawnServer(script: string, env: Record<string, string>): Promise<Child> {
  const child = Bun.spawn(["bun", script], {
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += decoder.decode(value);
    const match = /READY (\d+)/.exec(seen) ?? /listening on http:\/\/[^:]+:(\d+)/.exec(seen);
    if (match) {
      // Keep draining stdout so the child never blocks on a full pipe.
      void (async () => {
        for (;;) if ((await reader.read()).done) break;
      })();
      return { port: Number(match[1]), process: child };
    }
  }
  child.kill();
  throw new Error(`${script} did not start: ${seen}`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export interface LatencyStats {
  p50: number;
  p99: number;
  mean: number;
  n: number;
}

export function stats(samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / Math.max(1, sorted.length);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, n: sorted.length };
}

/** Sequential requests (concurrency 1); returns per-request ms, from send to the end of the body. */
export async function sequential(count: number, send: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await send();
    out.push(performance.now() - start);
  }
  return out;
}

/** `concurrency` workers share `count` requests; returns requests per second. */
export async function throughput(
  count: number,
  concurrency: number,
  send: () => Promise<void>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next += 1;
        await send();
      }
    }),
  );
  return (count / (performance.now() - start)) * 1000;
}

export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
