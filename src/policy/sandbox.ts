// The QuickJS sandbox: capped WebAssembly modules, one runtime + context per compiled policy revision,
// and the CPU, memory and stack limits. The only module in Spendex that imports quickjs-emscripten.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
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
import type { EncodedInput } from "./transport";

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

/**
 * CPU time of this thread in ms. Wall time alone made good policies time out when the host was starved or
 * descheduled; the process clock counts the engine's own background compiler threads. This clock advances
 * in steps of up to ~4 ms here, so it only confirms an overrun the wall clock has already seen.
 */
function threadCpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * The deadline the interrupt handler consults. A call is stopped once it has used its budget in both wall
 * time and thread CPU time (so a starved or descheduled host does not fail good policies), or 20 times
 * its budget in wall time whatever the CPU says. The cheap wall-clock test comes first.
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

  /** Whether the budget is spent, read after a call that returned (builtins may skip the interrupt handler). */
  overrun(budgetMs: number): boolean {
    return performance.now() > this.wallDeadline && this.used() > budgetMs;
  }

  /** Thread CPU ms used since the last arm(). */
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

/**
 * One compiled WebAssembly.Module for the process: each instance (with its own capped memory) then loads in
 * about a millisecond instead of tens, and the engine's tiered-up machine code is shared by all of them.
 */
let compiledWasm: WebAssembly.Module | undefined;
function quickjsWasm(): WebAssembly.Module {
  const path = createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
  compiledWasm ??= new WebAssembly.Module(readFileSync(path));
  return compiledWasm;
}

async function loadModule(maxBytes: number): Promise<ModuleSlot> {
  const maximum = Math.max(16, Math.floor(maxBytes / PAGE_BYTES));
  const memory = new WebAssembly.Memory({ initial: Math.min(maximum, 256), maximum });
  const variant = newVariant(RELEASE_SYNC, { wasmModule: quickjsWasm(), wasmMemory: memory });
  const module = await newQuickJSWASMModule(variant);
  return { module, memory };
}

/**
 * WebAssembly starts interpreted and is compiled to machine code as it runs: until then a decision can cost
 * milliseconds and trip the deadline. Once per process, run a workload touching the builtins policies use
 * (JSON, arrays, strings, numbers, dates, regexps, maps); each policy is also warmed on a sample at compile.
 */
let warmed = false;
function warmUp(module: QuickJSWASMModule): void {
  if (warmed) return;
  warmed = true;
  const context = module.newContext();
  const result = context.evalCode(`${PRELUDE_SOURCE};
    const sample = JSON.stringify({ now: "2026-11-26T14:00:00.000Z", request: { model: "auto", tools: false, metadata: { a: "b" } },
      candidates: Array.from({ length: 12 }, (_, i) => ({ id: "p/m" + i, tier: ["simple", "medium", "complex"][i % 3],
        prices: { input: i / 10, output: i }, capabilities: { tools: true, vision: i % 2 === 0 }, healthy: i !== 3 })) });
    for (let round = 0; round < 300; round++) {
      const input = Object.freeze(JSON.parse(sample));
      const ranked = input.candidates.filter((c) => c.healthy && c.capabilities.tools)
        .sort((a, b) => a.prices.input - b.prices.input || (a.id < b.id ? -1 : 1)).map((c) => c.id);
      const byTier = new Map(input.candidates.map((c) => [c.tier, c]));
      const when = new Date(Date.parse(input.now) + round * 1000);
      const text = [when.toISOString(), String(when), when.getUTCHours(), (round / 7).toFixed(3), Math.min(round, 3),
        "a-b-c".split("-").join("/"), input.request.model.toUpperCase(), "x".repeat(3).padStart(6), /m(\\d+)/.exec(ranked[0])?.[1],
        ranked.includes("p/m1"), ranked.find((id) => id.endsWith("2")), Object.keys(input).length, byTier.size].join(",");
      JSON.stringify({ model: ranked[0], fallbacks: ranked.slice(1, 3), reason: \`round \${round} \${text}\`, tags: [] });
    }`);
  result.dispose();
  context.dispose();
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
    const slot = await loadModule(limits.moduleMemoryBytes);
    warmUp(slot.module);
    const host = new SandboxHost(slot, limits);
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

  /** Runs route(); the candidates' JSON crosses only when it differs from the previous call's. */
  call(input: EncodedInput, deadlineMs = this.parts.host.limits.deadlineMs): CallResult {
    const { context, clock, host } = this.parts;
    clock.arm(deadlineMs);
    const fresh = input.candidates !== this.lastCandidates;
    this.lastCandidates = undefined;
    const rest = context.newString(input.rest);
    const list = context.newString(fresh ? input.candidates : "");
    const signals = context.newString(input.signals);
    const result = context.callFunction(this.parts.call, context.undefined, rest, list, signals);
    rest.dispose();
    list.dispose();
    signals.dispose();
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
    const overrun = clock.overrun(deadlineMs);
    const usedMs = overrun ? clock.used() : 0;
    clock.disarm();
    this.lastCandidates = input.candidates;
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
