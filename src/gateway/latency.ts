// Recent upstream latency per model (a small ring), read by policies as `p50_ms`.

const WINDOW = 64;

export class LatencyTracker {
  private readonly rings = new Map<string, { values: Float64Array; count: number }>();

  observe(model: string, ms: number): void {
    let ring = this.rings.get(model);
    if (!ring) {
      ring = { values: new Float64Array(WINDOW), count: 0 };
      this.rings.set(model, ring);
    }
    ring.values[ring.count % WINDOW] = ms;
    ring.count += 1;
  }

  /** Median of the recent window, or null when the model has not answered yet. */
  p50(model: string): number | null {
    const ring = this.rings.get(model);
    if (!ring || ring.count === 0) return null;
    const values = Array.from(ring.values.subarray(0, Math.min(ring.count, WINDOW))).sort((a, b) => a - b);
    return Math.round((values[values.length >> 1] ?? 0) * 100) / 100;
  }
}
