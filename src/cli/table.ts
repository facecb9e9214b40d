// Plain-text tables for every report a person reads.

export function formatTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  if (rows.length === 0) return "(none)";
  const keys = columns ?? Object.keys(rows[0] ?? {});
  const cells = rows.map((row) => keys.map((key) => format(row[key])));
  const widths = keys.map((key, i) => Math.max(key.length, ...cells.map((line) => (line[i] ?? "").length)));
  const numeric = keys.map((_, i) => rows.every((row) => typeof row[keys[i] as string] === "number"));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i] ?? 0) : value.padEnd(widths[i] ?? 0)))
      .join("  ");
  return [line(keys), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

export function printTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): void {
  console.log(formatTable(rows, columns));
}

function format(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number")
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}
