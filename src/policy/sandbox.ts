// The QuickJS sandbox: capped WebAssembly modules, one runtime + context per compiled policy revision,
// and the CPU, memory and stack limits. The only module in Spendex that imports quickjs-emscripten.

import {
  newQuickJSWASMModule,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from "quickjs-emscripten";
import { PRELUDE_SOURCE, WRAP_PREFIX_LENGTH, wrapPolicySource } from "./prelude";

export interface SandboxLimits {
  /** CPU time per decision, enforced by the interrupt handler and checked again by the host. */
  deadlineMs: number;
  /** QuickJS heap limit of one policy's runtime. */
  memoryBytes: number;
  /** QuickJS stack limit; above ~256 KiB the host stack overflowed in our tests (PITFALLS.md). */
  stackBytes: number;
  /** Cap of each WebAssembly.Memory: what stops typed-array bombs that setMemoryLimit misses. */
  moduleMemoryBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  deadlineMs: 5,
  memoryBytes: 16 * 1024 * 1024,
  stackBytes: 256 * 1024,
  moduleMemoryBytes: 64 * 1024 * 1024,
};

export type FailureKind = "timeout" | "memory" | "stack" | "error" | "jobs";
export type CallResult = { ok: true; text: string } | { ok: false; kind: FailureKind; message: string };

/** A policy that does not compile, or whose top level throws; the message names file:line:column. */
export class PolicyCompileError extends Error {
  override readonly name = "PolicyCompileError";
}

interface ModuleSlot {
  module: QuickJSWASMModule;
  memory: WebAssembly.Memory;
}

const PAGE_BYTES = 64 * 1024;

/** CPU time of this thread in ms. Wall time alone made good policies time out when the host was descheduled. */
const threadCpuMs: () => number =
  typeof process.threadCpuUsage === "function"
    ? () => {
        const usage = process.threadCpuUsage();
        return (usage.user + usage.system) / 1000;
      }
    : () => performance.now();

/**
 * The deadline the interrupt handler consults. A call is stopped once it used its budget of CPU time, or
 * 20 times that in wall time whatever the CPU says (a bound on latency on a starved machine). The cheap
 * wall-clock test comes first, so an ordinary decision never pays for reading the CPU clock.
 */
class Clock {
  private wallDeadline = Number.POSITIVE_INFINITY;
  private hardDeadline = Number.POSITIVE_INFINITY;
  private cpuDeadline = Number.POSITIVE_INFINITY;
  private cpuStart = 0;

  arm(budgetMs: number): void {
    const now = performance.now();
    this.wallDeadline = now + budgetMs;
    this.hardDeadline = now + budgetMs * 20;
    this.cpuStart = threadCpuMs();
    this.cpuDeadline = this.cpuStart + budgetMs;
  }

  disarm(): void {
    this.wallDeadline = this.hardDeadline = this.cpuDeadline = Number.POSITIVE_INFINITY;
  }

  /** CPU ms used since the last arm(). */
  used(): number {
    return threadCpuMs() - this.cpuStart;
  }

  expired(): boolean {
    const now = performance.now();
    if (now <= this.wallDeadline) return false;
    return now > this.hardDeadline || threadCpuMs() > this.cpuDeadline;
  }
}
/** Compiling parses the source and runs its top level once: allow more than one decision's time. */
const COMPILE_DEADLINE_MS = 100;

async function loadModule(maxBytes: number): Promise<ModuleSlot> {
  const maximum = Math.max(16, Math.floor(maxBytes / PAGE_BYTES));
  const memory = new WebAssembly.Memory({ initial: Math.min(maximum, 256), maximum });
  const module = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
  return { module, memory };
}

/**
 * Owns the current module and a warm spare. Module memory never shrinks, so after a memory bomb (or when it
 * has grown past half its cap) the engine swaps in the spare synchronously and loads a new spare in the
 * background; `decide` never waits on WebAssembly instantiation.
 */
export class SandboxHost {
  private spare: ModuleSlot | undefined;
  private loading: Promise<void> | undefined;
  private closed = false;
  /** Bumped on every module swap; a policy compiled in an older generation must be recompiled. */
  generation = 0;

  private constructor(
    private current: ModuleSlot,
    readonly limits: SandboxLimits,
  ) {}

  static async create(limits: SandboxLimits): Promise<SandboxHost> {
    const host = new SandboxHost(await loadModule(limits.moduleMemoryBytes), limits);
    void host.refill();
    return host;
  }

  /** Bytes the current module's linear memory has grown to. */
  memoryBytes(): number {
    return this.current.memory.buffer.byteLength;
  }

  shouldReplace(): boolean {
    return this.memoryBytes() > this.limits.moduleMemoryBytes / 2;
  }

  /** Swaps in the spare module; false when none is ready yet (the current one stays, capped and working). */
  replace(): boolean {
    const spare = this.spare;
    if (spare === undefined) {
      void this.refill();
      return false;
    }
    this.current = spare;
    this.spare = undefined;
    this.generation += 1;
    void this.refill();
    return true;
  }

  /** Resolves once a spare module is loaded (tests and start-up use it). */
  refill(): Promise<void> {
    if (this.spare !== undefined || this.closed) return Promise.resolve();
    this.loading ??= loadModule(this.limits.moduleMemoryBytes).then(
      (slot) => {
        this.loading = undefined;
        if (!this.closed) this.spare = slot;
      },
      () => {
        this.loading = undefined;
      },
    );
    return this.loading;
  }

  close(): void {
    this.closed = true;
    this.spare = undefined;
  }

  /** Compiles one policy revision into a fresh runtime; throws PolicyCompileError with file:line. */
  compile(file: string, source: string): SandboxPolicy {
    const runtime = this.current.module.newRuntime();
    const clock = new Clock();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(this.limits.stackBytes);
    runtime.setInterruptHandler(() => clock.expired());
    const context = runtime.newContext();
    const held: QuickJSHandle[] = [];
    try {
      clock.arm(COMPILE_DEADLINE_MS);
      const prelude = context.evalCode(PRELUDE_SOURCE, "spendex-prelude.js").unwrap();
      const bind = context.getProp(prelude, "bind");
      const describe = context.getProp(prelude, "describe");
      prelude.dispose();
      held.push(bind, describe);

      // A standalone compile first: exact syntax errors, and proof the source cannot close the wrapper.
      const parsed = context.evalCode(source, file, { compileOnly: true });
      if (parsed.error) {
        const info = describeWith(context, clock, describe, parsed.error);
        parsed.dispose();
        throw new PolicyCompileError(formatError(info, file, false));
      }
      parsed.dispose();
      const factory = context.evalCode(wrapPolicySource(source), file);
      if (factory.error) {
        const info = describeWith(context, clock, describe, factory.error);
        factory.dispose();
        throw new PolicyCompileError(formatError(info, file));
      }
      const bound = context.callFunction(bind, context.undefined, factory.value);
      factory.dispose();
      if (bound.error) {
        const info = describeWith(context, clock, describe, bound.error);
        bound.dispose();
        throw new PolicyCompileError(formatError(info, file));
      }
      held.push(bound.value);
      clock.disarm();
      bind.dispose();
      return new SandboxPolicy({ file, runtime, context, clock, describe, call: bound.value, host: this });
    } catch (error) {
      for (const handle of held) if (handle.alive) handle.dispose();
      context.dispose();
      runtime.dispose();
      throw error;
    }
  }
}

interface ErrorInfo {
  name: string;
  message: string;
  stack: string;
}

interface PolicyParts {
  file: string;
  runtime: QuickJSRuntime;
  context: QuickJSContext;
  clock: Clock;
  describe: QuickJSHandle;
  call: QuickJSHandle;
  host: SandboxHost;
}

/** One compiled revision. Holds exactly two long-lived handles (call, describe); everything else is per call. */
export class SandboxPolicy {
  readonly generation: number;
  /** Set when the runtime may hold state from a call (pending jobs, memory error): the owner recompiles. */
  tainted = false;
  private lastCandidates: string | undefined;

  constructor(private readonly parts: PolicyParts) {
    this.generation = parts.host.generation;
  }

  /**
   * Runs route() on an input given as JSON without its candidates, plus the candidates' JSON, which
   * crosses into the VM only when it differs from the previous call's (it is the bulk of the input).
   */
  call(restJson: string, candidatesJson: string): CallResult {
    const { context, clock, host } = this.parts;
    const deadlineMs = host.limits.deadlineMs;
    clock.arm(deadlineMs);
    const fresh = candidatesJson !== this.lastCandidates;
    this.lastCandidates = undefined;
    const rest = context.newString(restJson);
    const list = context.newString(fresh ? candidatesJson : "");
    const result = context.callFunction(this.parts.call, context.undefined, rest, list);
    rest.dispose();
    list.dispose();
    if (result.error) {
      const info = describeWith(context, clock, this.parts.describe, result.error);
      result.dispose();
      clock.disarm();
      const kind = failureKind(info);
      if (kind === "memory" || kind === "stack") this.tainted = true;
      return { ok: false, kind, message: failureMessage(kind, info, this.parts.file, host.limits) };
    }
    const text = context.getString(result.value);
    result.dispose();
    const usedMs = clock.used();
    clock.disarm();
    this.lastCandidates = candidatesJson;
    if (this.parts.runtime.hasPendingJob()) {
      this.tainted = true;
      return {
        ok: false,
        kind: "jobs",
        message: "route() left promise jobs pending: policies must be synchronous",
      };
    }
    // Some native builtins never consult the interrupt handler: the host checks the time used as well.
    if (usedMs > deadlineMs) {
      return {
        ok: false,
        kind: "timeout",
        message: `exceeded the ${deadlineMs} ms deadline (${usedMs.toFixed(1)} ms of CPU)`,
      };
    }
    return { ok: true, text };
  }

  /** QuickJS heap statistics of this runtime (tests use them to prove nothing accumulates). */
  memoryUsage(): { objects: number; bytes: number } {
    const handle = this.parts.runtime.computeMemoryUsage();
    const usage = this.parts.context.dump(handle) as { obj_count: number; memory_used_size: number };
    handle.dispose();
    return { objects: usage.obj_count, bytes: usage.memory_used_size };
  }

  dispose(): void {
    const { runtime, context, call, describe } = this.parts;
    if (!context.alive) return;
    call.dispose();
    describe.dispose();
    try {
      context.dispose();
      runtime.dispose();
    } catch {
      // A runtime that died of a memory error can fail its own teardown; its module is being replaced.
    }
  }
}

/** Reads an error inside the VM under a short fresh deadline, so a hostile getter cannot stall the host. */
function describeWith(
  context: QuickJSContext,
  clock: Clock,
  describe: QuickJSHandle,
  error: QuickJSHandle,
): ErrorInfo {
  clock.arm(2);
  const described = context.callFunction(describe, context.undefined, error);
  if (described.error) {
    described.dispose();
    return { name: "InternalError", message: "interrupted", stack: "" };
  }
  const info = JSON.parse(context.getString(described.value)) as ErrorInfo;
  described.dispose();
  return info;
}

function failureKind(info: ErrorInfo): FailureKind {
  if (info.name !== "InternalError") return "error";
  if (info.message === "interrupted") return "timeout";
  if (info.message === "stack overflow") return "stack";
  if (/out of memory|too long/.test(info.message)) return "memory";
  return "error";
}

function failureMessage(kind: FailureKind, info: ErrorInfo, file: string, limits: SandboxLimits): string {
  const where = locate(info.stack, file);
  const at = where ? ` at ${where}` : "";
  if (kind === "timeout") return `exceeded the ${limits.deadlineMs} ms deadline${at}`;
  if (kind === "memory")
    return `${info.message} (limit ${Math.round(limits.memoryBytes / 1048576)} MiB)${at}`;
  if (kind === "stack") return `stack overflow (limit ${Math.round(limits.stackBytes / 1024)} KiB)${at}`;
  return formatError(info, file);
}

/** `TypeError: x is not a function at default.js:12:5`. */
function formatError(info: ErrorInfo, file: string, wrapped = true): string {
  const where = locate(info.stack, file, wrapped);
  return `${info.name}: ${info.message}${where ? ` at ${where}` : ` in ${file}`}`;
}

/** The first stack frame inside the policy file, as `file:line:column` of the file as written. */
function locate(stack: string, file: string, wrapped = true): string | undefined {
  for (const line of stack.split("\n")) {
    const index = line.indexOf(`${file}:`);
    if (index < 0) continue;
    const where = line.slice(index).replace(/\)\s*$/, "");
    const match = /:(\d+):(\d+)$/.exec(where);
    if (!wrapped || match?.[1] !== "1" || match[2] === undefined) return where;
    // Line 1 of a wrapped policy starts after the wrapper's prefix.
    const column = Number(match[2]) - WRAP_PREFIX_LENGTH;
    return column > 0 ? `${file}:1:${column}` : where;
  }
  return undefined;
}
