// One request/response exchange: controls, faults, pacing, abort observation and the JSON / SSE writers.

import type { FaultBook } from "./faults";
import { sleep, untilAborted } from "./pace";
import type { AnswerControls } from "./reply";
import type { Fault, Pace, SimulatorRecord } from "./types";

/** What differs between the formats when writing errors. */
export interface Dialect {
  /** The error body (JSON text) the provider sends with this status. */
  errorBody(status: number, message?: string, retryAfterSeconds?: number): string;
  /** The provider's in-stream error event (a whole SSE frame). */
  streamError(status: number): string;
  /** The status `error:K` uses when the spec names none: what the provider most often sends mid-stream. */
  streamErrorStatus: number;
  /** Extra response headers the provider always sends (e.g. a request id). */
  headers?(): Record<string, string>;
}

/** One SSE frame; `content` frames are the ones pacing and `cut:K` / `stall:K` count. */
export interface Frame {
  data: string;
  content: boolean;
}

export interface ExchangeHooks {
  faults: FaultBook;
  onAbort(): void;
}

const JSON_TYPE = "application/json";
/** How long `cut` waits after the last chunk before resetting the connection. */
const CUT_GRACE_MS = 50;
const SSE_TYPE = "text/event-stream";

export class Exchange {
  // Created on first use: most requests never wait, so they never need one.
  private abort: AbortController | undefined;
  private finished = false;

  constructor(
    readonly request: Request,
    readonly record: SimulatorRecord,
    readonly pace: Pace,
    private readonly hooks: ExchangeHooks,
  ) {}

  /** Aborted when the client goes away (request signal or stream cancel). */
  get signal(): AbortSignal {
    if (!this.abort) {
      // Only requests that wait pay for a listener; instant answers cannot observe an abort anyway.
      this.abort = new AbortController();
      const requestSignal = this.request.signal;
      if (requestSignal.aborted) this.markAborted();
      else requestSignal.addEventListener("abort", () => this.markAborted(), { once: true });
    }
    return this.abort.signal;
  }

  markAborted(): void {
    this.abort ??= new AbortController();
    if (!this.abort.signal.aborted) this.abort.abort();
    if (this.finished || this.record.aborted) return;
    this.record.aborted = true;
    this.hooks.onAbort();
  }

  controls(): AnswerControls {
    const headers = this.request.headers;
    const controls: AnswerControls = {};
    const reply = headers.get("x-sim-reply");
    if (reply !== null) controls.reply = reply;
    const toolCalls = Number(headers.get("x-sim-tool-calls") ?? Number.NaN);
    if (Number.isInteger(toolCalls) && toolCalls > 0) controls.toolCalls = toolCalls;
    const cached = Number(headers.get("x-sim-cached-tokens") ?? Number.NaN);
    if (Number.isInteger(cached) && cached > 0) controls.cachedTokens = cached;
    const finish = headers.get("x-sim-finish");
    if (finish === "stop" || finish === "length" || finish === "content_filter") controls.finish = finish;
    return controls;
  }

  takeFault(model: string): Fault | undefined {
    return this.hooks.faults.take(model, this.request.headers.get("x-sim-fault"));
  }

  /** An error response in the provider's format, with `retry-after` when given. */
  error(dialect: Dialect, status: number, message?: string, retryAfterSeconds?: number): Response {
    const headers: Record<string, string> = { "content-type": JSON_TYPE, ...dialect.headers?.() };
    if (retryAfterSeconds !== undefined) headers["retry-after"] = String(retryAfterSeconds);
    return this.respond(status, dialect.errorBody(status, message, retryAfterSeconds), headers);
  }

  /** A whole JSON response, for the few error bodies a dialect's table does not cover. */
  respond(
    status: number,
    body: string,
    headers: Record<string, string> = { "content-type": JSON_TYPE },
  ): Response {
    this.record.status = status;
    this.finished = true;
    return new Response(body, { status, headers });
  }

  /**
   * Applies the faults that replace the answer (status, hang), after the latency. Returns the response to
   * send, or undefined when the request should be answered (possibly with a stream fault later). Answers
   * synchronously when there is nothing to wait for, so the common case costs no extra promise turns.
   */
  preempt(dialect: Dialect, fault: Fault | undefined): Response | undefined | Promise<Response | undefined> {
    if (fault === undefined && this.pace.latencyMs <= 0) return undefined;
    return this.preemptLater(dialect, fault);
  }

  private async preemptLater(dialect: Dialect, fault: Fault | undefined): Promise<Response | undefined> {
    if (fault?.kind === "hang") {
      await untilAborted(this.signal);
      this.record.status = 0;
      return new Response(null, { status: 499 });
    }
    if (this.pace.latencyMs > 0 && !(await sleep(this.pace.latencyMs, this.signal))) {
      return new Response(null, { status: 499 });
    }
    if (fault?.kind === "status")
      return this.error(dialect, fault.status, undefined, fault.retryAfterSeconds);
    return undefined;
  }

  /**
   * A JSON body. `cut` and `stall` truncate it after half the body; `error` has no stream to interrupt, so it
   * becomes the provider's error status.
   */
  json(dialect: Dialect, body: string, fault: Fault | undefined): Response {
    if (fault?.kind === "error") return this.error(dialect, fault.status ?? dialect.streamErrorStatus);
    this.record.status = 200;
    const headers = { "content-type": JSON_TYPE, ...dialect.headers?.() };
    if (!fault || fault.kind === "status" || fault.kind === "hang") {
      this.finished = true;
      return new Response(body, { headers });
    }
    const half = body.slice(0, Math.floor(body.length / 2));
    return new Response(this.pump([{ data: half, content: true }], dialect, { ...fault, afterChunks: 1 }), {
      headers,
    });
  }

  /** An SSE response: frames written with the pace and the stream fault applied. */
  stream(dialect: Dialect, frames: Frame[], fault: Fault | undefined): Response {
    this.record.status = 200;
    const headers = { "content-type": SSE_TYPE, "cache-control": "no-cache", ...dialect.headers?.() };
    const streamFault = fault && (fault.kind === "cut" || fault.kind === "stall" || fault.kind === "error");
    if (!streamFault && this.pace.ttftMs <= 0 && this.pace.tokensPerSecond <= 0) {
      // Nothing to wait for: one write, so the simulator stays a cheap upstream in benchmarks.
      this.finished = true;
      let text = "";
      for (const frame of frames) text += frame.data;
      return new Response(text, { headers });
    }
    return new Response(this.pump(frames, dialect, streamFault ? fault : undefined), { headers });
  }

  private pump(frames: Frame[], dialect: Dialect, fault: Fault | undefined): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    const signal = this.signal;
    const trigger = fault && "afterChunks" in fault ? triggerIndex(frames, fault.afterChunks) : -1;
    const interval = this.pace.tokensPerSecond > 0 ? 1000 / this.pace.tokensPerSecond : 0;
    let sentContent = 0;
    return new ReadableStream<Uint8Array>({
      start: async (controller) => {
        // One step past the last frame, so a fault after the final content frame still strikes.
        for (let index = 0; index <= frames.length; index++) {
          if (index === trigger && fault) {
            if (fault.kind === "cut") {
              this.finished = true;
              // Bun resets the connection (RST) when a body stream errors, and a reset can discard what the
              // client has not read yet: give it time to read the K chunks first. Erroring with no reason
              // keeps Bun from logging it; the client sees a truncated chunked body.
              await sleep(CUT_GRACE_MS, signal);
              controller.error(undefined);
              return;
            }
            if (fault.kind === "stall") {
              await untilAborted(signal);
              return;
            }
            if (fault.kind === "error") {
              this.finished = true;
              controller.enqueue(
                encoder.encode(dialect.streamError(fault.status ?? dialect.streamErrorStatus)),
              );
              controller.close();
              return;
            }
          }
          const frame = frames[index];
          if (!frame) break;
          if (frame.content) {
            const wait = sentContent === 0 ? this.pace.ttftMs : interval;
            if (wait > 0 && !(await sleep(wait, signal))) return;
            sentContent++;
          }
          if (signal.aborted) return;
          controller.enqueue(encoder.encode(frame.data));
        }
        this.finished = true;
        controller.close();
      },
      cancel: () => this.markAborted(),
    });
  }
}

/** Where a fault after K content frames strikes: before the (K+1)-th content frame, else before the tail. */
function triggerIndex(frames: Frame[], afterChunks: number): number {
  let seen = 0;
  let lastContent = -1;
  for (let index = 0; index < frames.length; index++) {
    if (!frames[index]!.content) continue;
    if (seen === afterChunks) return index;
    seen++;
    lastContent = index;
  }
  return Math.min(lastContent + 1, frames.length);
}
