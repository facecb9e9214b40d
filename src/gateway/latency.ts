// Recent upstream latency per model (a small ring), read by policies as `p50_ms`.

const WINDOW = 64;

interface Ring {
  values: Float64Array;
  count: number;
  /** The median as of `count` when it was last computed: policies read it on every `auto` request. */
  median: number | null;
  medianAt: number;
}

export class LatencyTracker {
  private readonly rings = new Map<string, Ring>();

  observe(model: string, ms: number): void {
    let ring = this.rings.get(model);
    if (!ring) {
      ring = { values: new Float64Array(WINDOW), count: 0, median: null, medianAt: -1 };
      this.rings.set(model, ring);
    }
    ring.values[ring.count % WINDOW] = ms;
    ring.count += 1;
  }

  /** Median of the recent window, or null when the model has not answered yet. Recomputed every 8 answers. */
  p50(model: string): number | null {
    const ring = this.rings.get(model);
    if (!ring || ring.count === 0) return null;
    if (ring.medianAt < 0 || ring.count - ring.medianAt >= 8 || ring.count < WINDOW) {
      const sorted = ring.values.slice(0, Math.min(ring.count, WINDOW)).sort();
      ring.median = Math.round((sorted[sorted.length >> 1] ?? 0) * 100) / 100;
      ring.medianAt = ring.count;
    }
    return ring.median;
  }
}
