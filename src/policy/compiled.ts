// One compiled policy revision in its QuickJS runtime: the per-decision call, its deadline and answer checks.

import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten";
import type { Clock } from "./clock";
import { describeWith, type FailureKind, failureKind, failureMessage } from "./errors";
import { FastCall, type FastResult } from "./fastcall";
import type { SandboxLimits } from "./sandbox";
import type { EncodedInput } from "./transport";

export type CallResult = { ok: true; text: string } | { ok: false; kind: FailureKind; message: string };

/** A valid decision is well under 8 KB (8 fallbacks, 500-character reason, 16 tags): anything far larger is abuse. */
const MAX_ANSWER_CHARS = 64 * 1024;

/**
 * Candidate lists each compiled policy keeps parsed and frozen in its VM. Parsing ~3 KB of candidates costs
 * ~95 µs here, so requests from keys with different allowed models must not evict each other's list.
 */
const CANDIDATE_SLOTS = 4;

/** Whether `tail` equals `numbers` from `at` on (NaN equal to NaN: it stands for a null p50). */
function sameTail(tail: Float64Array, numbers: Float64Array, at: number): boolean {
  if (tail.length !== numbers.length - at) return false;
  for (let index = 0; index < tail.length; index++) {
    const a = tail[index] as number;
    const b = numbers[at + index] as number;
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b))) return false;
  }
  return true;
}

/** Compiling parses the source and runs its top level once: allow more than one decision's time. */
export const COMPILE_DEADLINE_MS = 100;

/** What the host callbacks of a runtime read during a call; empty between calls. */
export interface CurrentInput {
  classification: EncodedInput["classification"] | undefined;
}

export interface PolicyParts {
  file: string;
  runtime: QuickJSRuntime;
  context: QuickJSContext;
  clock: Clock;
  describe: QuickJSHandle;
  call: QuickJSHandle;
  /** The sandbox host it was compiled by: its limits, and the module generation it belongs to. */
  host: { readonly limits: SandboxLimits; readonly generation: number };
  current: CurrentInput;
}

/**
 * One compiled revision. Holds exactly two long-lived handles (call, describe) and one host function bound
 * inside the VM (the signals reader); everything else is per call.
 */
export class SandboxPolicy {
  readonly generation: number;
  /** Set when the runtime may hold state from a call (pending jobs, memory error): the owner recompiles. */
  tainted = false;
  /**
   * What the VM holds in each slot: the candidates' static JSON and the health and p50 numbers its list was
   * built from (undefined: unknown, resend).
   */
  private readonly slots: Array<{ json: string; dynamic: Float64Array | undefined } | undefined> = [];
  private nextSlot = 0;
  /** The strings JSON the VM last parsed (undefined: unknown, resend). */
  private lastStrings: string | undefined;
  private readonly fast: FastCall;

  constructor(private readonly parts: PolicyParts) {
    this.generation = parts.host.generation;
    this.fast = new FastCall(parts.context, parts.call);
  }

  /** Runs route(); a candidate list crosses only when this VM does not hold it parsed already. */
  call(input: EncodedInput, deadlineMs = this.parts.host.limits.deadlineMs): CallResult {
    const { context, clock, host } = this.parts;
    clock.arm(deadlineMs);
    // Candidates cross only when the VM does not hold them: "<slot>" reuses a slot as it is, "<slot>*" rebuilds
    // its list from the health and p50 numbers at the end of `numbers` (reusing every unchanged candidate),
    // "<slot><json>" fills it from scratch.
    const json = input.candidates;
    const numbers = input.numbers;
    let slot = this.slots.findIndex((held) => held?.json === json);
    let list: string;
    const held = this.slots[slot];
    if (held !== undefined) {
      list =
        held.dynamic !== undefined && sameTail(held.dynamic, numbers, input.dynamicAt)
          ? String(slot)
          : `${slot}*`;
      held.dynamic = undefined; // unknown until the call succeeds
    } else {
      slot = this.nextSlot;
      this.nextSlot = (slot + 1) % CANDIDATE_SLOTS;
      this.slots[slot] = undefined; // unknown until the call succeeds
      list = `${slot}${json}`;
    }
    let result: FastResult;
    try {
      this.parts.current.classification = input.classification;
      // The strings cross only when they differ from the last ones the VM parsed ("" reuses those).
      const strings = input.strings === this.lastStrings ? "" : input.strings;
      this.lastStrings = undefined; // unknown until the call succeeds
      result = this.fast.call(strings, list, input.now, input.numbers);
    } catch (error) {
      // Only the module's own allocator can fail here (it is near its cap): recompile into a fresh module.
      clock.disarm();
      this.tainted = true;
      return { ok: false, kind: "memory", message: `the sandbox could not take the input: ${String(error)}` };
    } finally {
      this.parts.current.classification = undefined;
    }
    if (!result.ok) {
      const info = describeWith(context, clock, this.parts.describe, result.error);
      result.error.dispose();
      clock.disarm();
      const kind = failureKind(info);
      // A failed call may still have queued promise jobs; they must not run into the next decision.
      if (kind === "memory" || kind === "stack" || this.parts.runtime.hasPendingJob()) this.tainted = true;
      return { ok: false, kind, message: failureMessage(kind, info, this.parts.file, host.limits) };
    }
    const text = result.text;
    if (text.length > MAX_ANSWER_CHARS) {
      clock.disarm();
      return {
        ok: false,
        kind: "error",
        message: `route() answered ${text.length} characters of JSON (limit ${MAX_ANSWER_CHARS})`,
      };
    }
    const overrun = clock.overrun(deadlineMs);
    const usedMs = overrun ? clock.used() : 0;
    clock.disarm();
    this.slots[slot] = { json, dynamic: numbers.slice(input.dynamicAt) };
    this.lastStrings = input.strings;
    if (this.parts.runtime.hasPendingJob()) {
      this.tainted = true;
      return {
        ok: false,
        kind: "jobs",
        message: "route() left promise jobs pending: policies must be synchronous",
      };
    }
    // Some native builtins never consult the interrupt handler: the host checks the time used as well.
    if (overrun) {
      return {
        ok: false,
        kind: "timeout",
        message: `exceeded the ${deadlineMs} ms deadline (${usedMs.toFixed(1)} ms of CPU)`,
      };
    }
    return { ok: true, text };
  }

  /**
   * Runs the policy a few times under a generous deadline, ignoring the answers, so the machine code for
   * the paths it uses exists before a decision is timed. A failure here is the first real call's to report.
   */
  warm(input: EncodedInput, times = 5): void {
    for (let round = 0; round < times && !this.tainted; round++) {
      if (!this.call(input, COMPILE_DEADLINE_MS).ok) break;
    }
  }

  /** QuickJS heap statistics of this runtime (tests use them to prove nothing accumulates). */
  memoryUsage(): { objects: number; bytes: number } {
    const handle = this.parts.runtime.computeMemoryUsage();
    const usage = this.parts.context.dump(handle) as { obj_count: number; memory_used_size: number };
    handle.dispose();
    return { objects: usage.obj_count, bytes: usage.memory_used_size };
  }

  /** Frees the runtime; false when QuickJS reported leaked objects or the teardown failed. */
  dispose(): boolean {
    const { runtime, context, call, describe } = this.parts;
    if (!context.alive) return true;
    this.fast.dispose();
    call.dispose();
    describe.dispose();
    try {
      context.dispose();
      runtime.dispose();
      return true;
    } catch {
      // A runtime that died of a memory error can fail its own teardown; its module is being replaced.
      return false;
    }
  }
}
