// The timeouts of one upstream call: the configured defaults, the model's own overrides, and whether it streams.

import type { CatalogModel } from "../catalog";
import type { Settings } from "../config";
import type { Timeouts } from "../providers/types";

interface Resolved {
  stream: Timeouts;
  json: Timeouts;
}

/**
 * A non-streaming upstream sends its headers only once the whole answer is ready, which a reasoning model at high
 * effort can take minutes to produce: its first-byte deadline is `nonStreamingFirstByteMs`, `totalMs` unless set.
 * A stream's headers (and first chunks) come at once from a healthy upstream, so `firstByteMs` and `idleMs` keep
 * failing over a hung one quickly. Resolved once per model.
 */
export class CallTimeouts {
  private readonly byModel = new WeakMap<CatalogModel, Resolved>();

  constructor(private readonly defaults: Settings["timeouts"]) {}

  for(model: CatalogModel, stream: boolean): Timeouts {
    let resolved = this.byModel.get(model);
    if (!resolved) {
      resolved = this.resolve(model);
      this.byModel.set(model, resolved);
    }
    return stream ? resolved.stream : resolved.json;
  }

  private resolve(model: CatalogModel): Resolved {
    const merged = { ...this.defaults, ...model.timeouts };
    const stream = { firstByteMs: merged.firstByteMs, idleMs: merged.idleMs, totalMs: merged.totalMs };
    const firstByteMs = merged.nonStreamingFirstByteMs ?? merged.totalMs;
    return { stream, json: { ...stream, firstByteMs } };
  }
}
