// Prometheus text exposition (format 0.0.4): counters and histograms kept as plain numbers, rendered on scrape only.

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A label value as the format wants it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** HELP text escapes backslash and line feed (not quotes). */
function escapeHelp(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** `{a="x",b="y"}` from names and values in the same order; empty when there are no labels. */
export function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return "";
  let out = "{";
  for (let i = 0; i < names.length; i++) {
    out += `${i === 0 ? "" : ","}${names[i]}="${escapeLabelValue(values[i] ?? "")}"`;
  }
  return `${out}}`;
}

/** Builds one scrape: each family's HELP and TYPE precede its samples, and a family appears once. */
export class Exposition {
  private text = "";

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): this {
    this.text += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
    return this;
  }

  sample(name: string, labels: string, value: number): this {
    this.text += `${name}${labels} ${formatValue(value)}\n`;
    return this;
  }

  histogram(name: string, labelNames: readonly string[], labelValues: readonly string[], h: Histogram): this {
    let cumulative = 0;
    const bounds = h.bounds;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += h.counts[i] ?? 0;
      const le = formatValue(bounds[i] as number);
      this.sample(`${name}_bucket`, labelText([...labelNames, "le"], [...labelValues, le]), cumulative);
    }
    const labels = labelText(labelNames, labelValues);
    this.sample(`${name}_bucket`, labelText([...labelNames, "le"], [...labelValues, "+Inf"]), h.count);
    this.sample(`${name}_sum`, labels, h.sum);
    this.sample(`${name}_count`, labels, h.count);
    return this;
  }

  toString(): string {
    return this.text;
  }
}

/** A histogram's buckets as non-cumulative counts (one increment per observation); cumulated when rendered. */
export class Histogram {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; above the last bound only `count` grows. */
  readonly counts: Float64Array;
  count = 0;
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.count += 1;
    this.sum += value;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] ?? 0) + 1;
        return;
      }
    }
  }
}
