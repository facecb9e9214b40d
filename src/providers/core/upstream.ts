// One upstream HTTP call with the gateway's timeouts and the client's abort signal wired to a single controller.

import type { Timeouts } from "../types";
import { badResponse, type TransportFailure, transportError } from "./errors";

export interface SendOptions {
  fetchImpl: typeof fetch;
  url: string;
  headers: Record<string, string>;
  /** Already serialised: adapters call JSON.stringify exactly once. */
  body: string;
}

/**
 * One sweeper checks the deadlines of every call in flight, instead of two or three timers per call: arming and
 * clearing timers was a measurable share of the gateway's own per-request work. Deadlines fire at most one tick
 * late (timeouts are configured in seconds; a tick is 10 ms).
 */
const TICK_MS = 10;
const active = new Set<UpstreamCall>();
let sweeper: ReturnType<typeof setInterval> | undefined;

function watch(call: UpstreamCall): void {
  active.add(call);
  if (sweeper !== undefined) return;
  sweeper = setInterval(sweep, TICK_MS);
  sweeper.unref?.();
}

function unwatch(call: UpstreamCall): void {
  active.delete(call);
}

/** Calls whose deadlines are being watched (tests check that finished calls leave). */
export function watchedCalls(): number {
  return active.size;
}

/** Whether the sweeper's interval is armed (tests check that it stops once nothing is in flight). */
export function sweeperArmed(): boolean {
  return sweeper !== undefined;
}

/**
 * The sweeper stops on the first tick that finds no call in flight, not when the last call ends: at concurrency 1
 * every request would otherwise arm and clear an interval (about 4 µs of each request's path here).
 */
function sweep(): void {
  if (active.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
    return;
  }
  const now = performance.now();
  for (const call of active) call.check(now);
}

/**
 * Owns the AbortController of one upstream call. A client abort (the caller's signal), a timeout or `abort()`
 * all abort the same controller, so the fetch and the body read stop at once. `finish()` must be called when
 * the call is over (body consumed, stream ended or cancelled) to release the timers and the listener.
 */
export class UpstreamCall {
  readonly controller = new AbortController();
  /** True while a body read is pending: the idle deadline only counts then. */
  reading = false;
  /** Told at once when the client goes away, so a stream drops what it has queued instead of serving it. */
  watcher: { clientAborted(reason: unknown): void } | undefined;
  private failure: TransportFailure | undefined;
  private finished = false;
  /** Deadlines as performance.now() values; Infinity when not armed. */
  private totalAt = Number.POSITIVE_INFINITY;
  private firstByteAt = Number.POSITIVE_INFINITY;
  private idleAt = Number.POSITIVE_INFINITY;

  constructor(
    readonly provider: string,
    private readonly clientSignal: AbortSignal,
    private readonly timeouts: Timeouts,
  ) {}

  /** POSTs the body. Rejects with a ProviderError (or the client's abort reason when the client went away). */
  async send(options: SendOptions): Promise<Response> {
    if (this.clientSignal.aborted) throw this.clientSignal.reason;
    // `this` as the listener object (handleEvent) keeps the hot path free of closures.
    this.clientSignal.addEventListener("abort", this);
    const now = performance.now();
    this.totalAt = now + this.timeouts.totalMs;
    this.firstByteAt = now + this.timeouts.firstByteMs;
    watch(this);
    try {
      return await options.fetchImpl(options.url, {
        method: "POST",
        headers: options.headers,
        body: options.body,
        signal: this.controller.signal,
        // A redirect would carry the key headers (x-api-key, x-goog-api-key) and the prompt to wherever it
        // points: never follow one; errorFromStatus names it.
        redirect: "manual",
        // Bun's fetch arms its own socket idle timer (300 s by default), which would cut a reasoning model that
        // thinks longer than that before answering; the gateway's first-byte, idle and total deadlines govern.
        timeout: false,
      });
    } catch (error) {
      this.finish();
      throw this.failureFrom(error, "unreachable");
    } finally {
      this.firstByteAt = Number.POSITIVE_INFINITY;
    }
  }

  /** Called by the sweeper: fails the call whose deadline has passed. */
  check(now: number): void {
    if (now >= this.firstByteAt) this.fail("first_byte");
    else if (now >= this.totalAt) this.fail("total");
    else if (now >= this.idleAt) {
      // Silence only counts while we are waiting on the upstream, not while the consumer is slow to read.
      if (this.reading) this.fail("idle");
      else this.idleAt = now + this.timeouts.idleMs;
    }
  }

  /** The client's signal fired. */
  handleEvent(): void {
    const reason = this.clientSignal.reason;
    this.controller.abort(reason);
    this.watcher?.clientAborted(reason);
  }

  fail(failure: TransportFailure): void {
    if (this.finished || this.controller.signal.aborted) return;
    this.failure = failure;
    unwatch(this);
    this.controller.abort(transportError(this.provider, failure));
  }

  /** Starts (or restarts, on each chunk) the idle deadline (streams only). */
  touch(): void {
    this.idleAt = performance.now() + this.timeouts.idleMs;
  }

  /**
   * Reads a whole (non-streamed) answer body, then ends the call. The idle deadline covers the body too: an upstream
   * that sends its headers and then hangs is given up on after idleMs, not after the whole totalMs.
   */
  async readText(response: Response): Promise<string> {
    this.reading = true;
    this.touch();
    try {
      return await response.text();
    } catch (error) {
      throw this.failureFrom(error, "interrupted");
    } finally {
      this.finish();
    }
  }

  /**
   * `readText`, then the body as JSON. A body that is not JSON is a retryable bad response; `describe` says what
   * the body was (a size, a content type), never its content, which may echo anything.
   */
  async readJson(response: Response, describe: (text: string) => string): Promise<unknown> {
    const text = await this.readText(response);
    try {
      return JSON.parse(text);
    } catch {
      throw badResponse(this.provider, describe(text));
    }
  }

  /** A stream's headers arrived: the model may think (and send nothing) for up to `firstChunkMs`. */
  awaitFirstChunk(): void {
    this.idleAt = performance.now() + (this.timeouts.firstChunkMs ?? this.timeouts.idleMs);
  }

  /** Aborts the upstream, e.g. when the consumer cancels the stream. */
  abort(reason?: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    this.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    unwatch(this);
    this.clientSignal.removeEventListener("abort", this);
  }

  /**
   * What to throw after a fetch or read failed: the client's own abort reason (the gateway knows it aborted),
   * our timeout, or a transport failure of the given kind.
   */
  failureFrom(error: unknown, fallback: TransportFailure): unknown {
    if (this.clientSignal.aborted) return this.clientSignal.reason ?? error;
    return transportError(this.provider, this.failure ?? fallback, error);
  }
}
