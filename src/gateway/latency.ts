// Recent upstream latency per model (a small ring), read by policies as `p50_ms`.
//
// Policies see the median rounded to two significant digits and refreshed at most once a second: the policy
// engine keeps the candidate list parsed inside the sandbox for as long as it does not change, and re-parsing
// it costs more than the whole rest of a decision.

const WINDOW = 64;
const REFRESH_MS = 1_000;

interface Ring {
  values: Float64Array;
  count: number;
  median: number | null;
  computedAt: number;
}

export class LatencyTracker {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly now: () => number = Date.now) {}

  observe(model: string, ms: number): void {
    let ring = this.rings.get(model);
    if (!ring) {
      ring = {
        values: new Float64Array(WINDOW),
        count: 0,
        median: null,
        computedAt: Number.NEGATIVE_INFINITY,
      };
      this.rings.set(model, ring);
    }
    ring.values[ring.count % WINDOW] = ms;
    ring.count += 1;
  }

  /** Median of the recent window (two significant digits), or null when the model has not answered yet. */
  p50(model: string): number | null {
    const ring = this.rings.get(model);
    if (!ring || ring.count === 0) return null;
    const now = this.now();
    if (ring.median === null || now - ring.computedAt >= REFRESH_MS) {
      const sorted = ring.values.slice(0, Math.min(ring.count, WINDOW)).sort();
      ring.median = Number((sorted[sorted.length >> 1] ?? 0).toPrecision(2));
      ring.computedAt = now;
    }
    return ring.median;
  }
}
