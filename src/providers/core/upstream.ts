// One upstream HTTP call with the gateway's timeouts and the client's abort signal wired to a single controller.

import type { Timeouts } from "../types";
import { type TransportFailure, transportError } from "./errors";

export interface SendOptions {
  fetchImpl: typeof fetch;
  url: string;
  headers: Record<string, string>;
  /** Already serialised: adapters call JSON.stringify exactly once. */
  body: string;
}

// Timer callbacks are module functions taking the call as an argument, so a request allocates no closures for them.
function onFirstByte(call: UpstreamCall): void {
  call.fail("first_byte");
}
function onTotal(call: UpstreamCall): void {
  call.fail("total");
}
function onIdle(call: UpstreamCall): void {
  // Silence only counts while we are waiting on the upstream, not while the consumer is slow to read.
  if (call.reading) call.fail("idle");
  else call.idleTimer?.refresh();
}

/**
 * Owns the AbortController of one upstream call. A client abort (the caller's signal), a timeout or `abort()`
 * all abort the same controller, so the fetch and the body read stop at once. `finish()` must be called when
 * the call is over (body consumed, stream ended or cancelled) to release the timers and the listener.
 */
export class UpstreamCall {
  readonly controller = new AbortController();
  /** True while a body read is pending: the idle timer only fires then. */
  reading = false;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Told at once when the client goes away, so a stream drops what it has queued instead of serving it. */
  watcher: { clientAborted(reason: unknown): void } | undefined;
  private failure: TransportFailure | undefined;
  private totalTimer: ReturnType<typeof setTimeout> | undefined;
  private finished = false;

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
    this.totalTimer = setTimeout(onTotal, this.timeouts.totalMs, this);
    const firstByte = setTimeout(onFirstByte, this.timeouts.firstByteMs, this);
    try {
      return await options.fetchImpl(options.url, {
        method: "POST",
        headers: options.headers,
        body: options.body,
        signal: this.controller.signal,
      });
    } catch (error) {
      this.finish();
      throw this.failureFrom(error, "unreachable");
    } finally {
      clearTimeout(firstByte);
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
    this.controller.abort(transportError(this.provider, failure));
  }

  /** Starts the idle timer (streams only). */
  watchIdle(): void {
    this.idleTimer = setTimeout(onIdle, this.timeouts.idleMs, this);
  }

  /** Aborts the upstream, e.g. when the consumer cancels the stream. */
  abort(reason?: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    this.finish();
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.totalTimer);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
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
