// Fault injection: parsing `x-sim-fault` / `--fault` specs and the per-model fault book with `times` countdown.

import type { Fault } from "./types";

/**
 * Parses a fault spec: `500`, `429:SECONDS`, `hang`, `cut:K`, `stall:K`, `error:K[:STATUS]`, optionally
 * followed by `*N` to apply it to the first N requests only (e.g. `503*2`). Returns undefined when invalid.
 */
export function parseFault(spec: string): Fault | undefined {
  const [body = "", timesText] = spec.trim().split("*");
  const times = timesText === undefined ? undefined : toCount(timesText);
  if (timesText !== undefined && times === undefined) return undefined;
  const fault = parseBody(body.trim().toLowerCase());
  if (fault && times !== undefined) fault.times = times;
  return fault;
}

function parseBody(body: string): Fault | undefined {
  const [head = "", first, second] = body.split(":");
  if (head === "hang") return first === undefined ? { kind: "hang" } : undefined;
  if (head === "cut" || head === "stall") {
    const afterChunks = toCount(first ?? "0");
    return afterChunks === undefined ? undefined : { kind: head, afterChunks };
  }
  if (head === "error") {
    const afterChunks = toCount(first ?? "0");
    const status = second === undefined ? undefined : toStatus(second);
    if (afterChunks === undefined || (second !== undefined && status === undefined)) return undefined;
    return status === undefined ? { kind: "error", afterChunks } : { kind: "error", afterChunks, status };
  }
  const status = toStatus(head);
  if (status === undefined) return undefined;
  if (first === undefined) return { kind: "status", status };
  const retryAfterSeconds = toCount(first);
  return retryAfterSeconds === undefined ? undefined : { kind: "status", status, retryAfterSeconds };
}

function toCount(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

function toStatus(text: string): number | undefined {
  const status = toCount(text);
  return status !== undefined && status >= 400 && status <= 599 ? status : undefined;
}

/** The per-model faults; a fault with `times` counts down on each matching request and then clears. */
export class FaultBook {
  private faults = new Map<string, Fault>();

  constructor(faults: Record<string, Fault> = {}) {
    this.set(faults);
  }

  set(faults: Record<string, Fault>): void {
    // Copies, so that counting `times` down never mutates the caller's objects.
    this.faults = new Map(Object.entries(faults).map(([model, fault]) => [model, { ...fault }]));
  }

  /** The fault for this request: the header's when present (and valid), else the model's, counted down. */
  take(model: string, header: string | null): Fault | undefined {
    if (header) {
      const fault = parseFault(header);
      if (fault) return fault;
    }
    if (this.faults.size === 0) return undefined;
    const fault = this.faults.get(model);
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.delete(model);
      if (fault.times < 0) return undefined;
    }
    return fault;
  }
}
