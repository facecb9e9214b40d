// The QuickJS sandbox: one runtime + context per compiled policy revision, its limits, and the warm spare
// module swapped in after a memory bomb. Only src/policy/ imports quickjs-emscripten.

import type { QuickJSHandle } from "quickjs-emscripten";
import { Clock } from "./clock";
import { COMPILE_DEADLINE_MS, type CurrentInput, SandboxPolicy } from "./compiled";
import { describeWith, formatError } from "./errors";
import { PRELUDE_SOURCE, wrapPolicySource } from "./prelude";
import { provablyStateless } from "./stateless";
import { loadModule, type ModuleSlot, warmUp } from "./wasm";

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

export { type CallResult, SandboxPolicy } from "./compiled";
export type { FailureKind } from "./errors";

/** A policy that does not compile, or whose top level throws; the message names file:line:column. */
export class PolicyCompileError extends Error {
  override readonly name = "PolicyCompileError";
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
    const current: CurrentInput = { classification: undefined };
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
      // The classifier's signals cross only when a policy reads them: the prelude's getter calls this.
      const readSignals = context.newFunction("signals", () =>
        context.newString(JSON.stringify(current.classification?.signals ?? {})),
      );
      // A top level proven unable to carry state runs once here instead of once per decision (stateless.ts).
      const once = provablyStateless(source) ? context.true : context.false;
      const bound = context.callFunction(bind, context.undefined, factory.value, readSignals, once);
      readSignals.dispose();
      factory.dispose();
      if (bound.error) {
        const info = describeWith(context, clock, describe, bound.error);
        bound.dispose();
        throw new PolicyCompileError(formatError(info, file));
      }
      held.push(bound.value);
      clock.disarm();
      bind.dispose();
      return new SandboxPolicy({
        file,
        runtime,
        context,
        clock,
        describe,
        call: bound.value,
        host: this,
        current,
      });
    } catch (error) {
      for (const handle of held) if (handle.alive) handle.dispose();
      context.dispose();
      runtime.dispose();
      throw error;
    }
  }
}
