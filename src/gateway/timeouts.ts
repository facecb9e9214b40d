// The timeouts of one upstream call: the configured defaults, the model's own overrides, and whether it streams.

import type { TimeoutOverrides } from "../catalog";
import type { Settings } from "../config";
import type { Timeouts } from "../providers/types";

interface Resolved {
  stream: Timeouts;
  json: Timeouts;
}

/**
 * A non-streaming upstream sends its headers only once the whole answer is ready, which a reasoning model at high
 * effort can take minutes to produce: its first-byte deadline is `nonStreamingFirstByteMs`, `totalMs` unless set.
 * A stream's headers come at once from a healthy upstream, so `firstByteMs` keeps failing over a hung one quickly,
 * and `idleMs` bounds the silences between chunks. Before its first chunk, though, a stream is as silent as a
 * non-streaming call while the model thinks (OpenAI's and Gemini's streams send nothing then), so that wait is
 * `firstChunkMs`, which follows the non-streaming first-byte deadline unless set. Resolved once per model.
 */
export class CallTimeouts {
  /** Keyed by the catalog's model objects (chat and embedding models alike). */
  private readonly byModel = new WeakMap<object, Resolved>();

  constructor(private readonly defaults: Settings["timeouts"]) {}

  for(model: { timeouts?: TimeoutOverrides }, stream: boolean): Timeouts {
    let resolved = this.byModel.get(model);
    if (!resolved) {
      resolved = this.resolve(model);
      this.byModel.set(model, resolved);
    }
    return stream ? resolved.stream : resolved.json;
  }

  private resolve(model: { timeouts?: TimeoutOverrides }): Resolved {
    const merged = { ...this.defaults, ...model.timeouts };
    const firstByteMs = merged.nonStreamingFirstByteMs ?? merged.totalMs;
    const json = { firstByteMs, idleMs: merged.idleMs, totalMs: merged.totalMs };
    const firstChunkMs = merged.firstChunkMs ?? firstByteMs;
    return {
      stream: {
        firstByteMs: merged.firstByteMs,
        idleMs: merged.idleMs,
        totalMs: merged.totalMs,
        firstChunkMs,
      },
      json,
    };
  }
}
