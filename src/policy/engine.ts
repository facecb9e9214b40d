// The policy engine: compiled revisions by name, hot reload, and `decide` with validation and the built-in fallback.

import { builtinDecide } from "./builtin";
import type { PolicyInput, PolicyOutcome } from "./contract";
import { normaliseDecision } from "./decision";
import { type PolicySource, readPolicyDir, watchPolicyDir } from "./loader";
import { sampleInput } from "./samples";
import {
  DEFAULT_LIMITS,
  PolicyCompileError,
  SandboxHost,
  type SandboxLimits,
  type SandboxPolicy,
} from "./sandbox";
import { type EncodedInput, InputEncoder } from "./transport";

export interface PolicyErrorEvent {
  policy: string;
  revision: string;
  message: string;
  /** "compile": a file failed to load (the previous revision stays live); "decide": one decision fell back. */
  phase: "compile" | "decide";
}

export interface PolicyEngineOptions {
  /** Directory of `*.js` policies (normally `policies/`). */
  dir: string;
  /** Reload on file changes (fs.watch, debounced). Default false. */
  watch?: boolean;
  /** Load only these policy names from `dir` (the CLI checks one file this way). */
  only?: readonly string[];
  limits?: Partial<SandboxLimits>;
  onError?: (event: PolicyErrorEvent) => void;
  /**
   * A policy that keeps failing expensively (deadline, memory or stack: each costs up to its limit) is paused after
   * `failures` such failures in a row: for `pauseMs` the built-in answers at once, then the policy is tried again.
   * Default 5 failures, 30 s. A new revision starts fresh.
   */
  breaker?: { failures: number; pauseMs: number };
}

const DEFAULT_BREAKER = { failures: 5, pauseMs: 30_000 };

export interface PolicyEngine {
  /** Synchronous; never throws for a policy's fault: the built-in answers and `error` says why. */
  decide(policyName: string, input: PolicyInput): PolicyOutcome;
  /** The live revision of a policy, undefined when it is unknown or never compiled. */
  revision(policyName: string): string | undefined;
  /** Names of the policies with a live revision, sorted. */
  policies(): string[];
  /** The last compile error of a policy when its newest file revision is not live. */
  compileError(policyName: string): string | undefined;
  /** Sandbox health for readiness checks and tests. */
  stats(): { moduleGeneration: number; moduleMemoryBytes: number };
  /** Re-reads the directory now (what the watcher does after a change). */
  reload(): void;
  close(): void;
}

interface LivePolicy {
  source: PolicySource;
  compiled: SandboxPolicy | undefined;
  /** Expensive failures (timeout, memory, stack) in a row. */
  strikes: number;
  /** performance.now() until which the policy is paused; 0 when it runs. */
  pausedUntil: number;
}

/** Loads and compiles every policy in `options.dir`; resolves once the sandbox module is ready. */
export async function createPolicyEngine(options: PolicyEngineOptions): Promise<PolicyEngine> {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS, ...options.limits };
  // Several runtimes share one module: a larger per-policy heap needs a larger module cap to mean anything.
  if (options.limits?.moduleMemoryBytes === undefined) {
    limits.moduleMemoryBytes = Math.max(DEFAULT_LIMITS.moduleMemoryBytes, 4 * limits.memoryBytes);
  }
  const host = await SandboxHost.create(limits);
  const live = new Map<string, LivePolicy>();
  const failed = new Map<string, { revision: string; message: string }>();
  const report = options.onError ?? (() => {});
  const breaker = options.breaker ?? DEFAULT_BREAKER;

  function reload(): void {
    const sources = readPolicyDir(options.dir, options.only);
    const present = new Set(sources.map((source) => source.name));
    for (const source of sources) {
      const current = live.get(source.name);
      if (current?.source.revision === source.revision) {
        failed.delete(source.name);
        continue;
      }
      if (failed.get(source.name)?.revision === source.revision) continue;
      try {
        // Compile fully before swapping: a decision sees the old revision or the new one, never a mix.
        const compiled = warmed(host.compile(source.file, source.source));
        current?.compiled?.dispose();
        live.set(source.name, { source, compiled, strikes: 0, pausedUntil: 0 });
        failed.delete(source.name);
      } catch (error) {
        const message = error instanceof PolicyCompileError ? error.message : String(error);
        failed.set(source.name, { revision: source.revision, message });
        report({ policy: source.name, revision: source.revision, message, phase: "compile" });
      }
    }
    for (const [name, entry] of live) {
      if (present.has(name)) continue;
      entry.compiled?.dispose();
      live.delete(name);
    }
    for (const name of failed.keys()) if (!present.has(name)) failed.delete(name);
    maybeReplaceModule();
  }

  /** The runtime for a live policy, recompiled after a module swap or a call that may have left state. */
  function runnable(entry: LivePolicy): SandboxPolicy | undefined {
    const compiled = entry.compiled;
    if (compiled !== undefined && !compiled.tainted && compiled.generation === host.generation)
      return compiled;
    compiled?.dispose();
    entry.compiled = undefined;
    try {
      // No warm-up here: machine code is shared by every module of the process, and a policy that bombs
      // on the sample would fill each fresh module it is moved to.
      entry.compiled = host.compile(entry.source.file, entry.source.source);
    } catch {
      // Compiled before, so only the sandbox itself can fail here; decide() reports it and falls back.
    }
    return entry.compiled;
  }

  /** Module memory never shrinks: after a bomb, move every policy to the spare module. */
  function maybeReplaceModule(): void {
    if (!host.shouldReplace() || !host.replace()) return;
    for (const entry of live.values()) runnable(entry);
  }

  const encoder = new InputEncoder();

  /** The built-in's answer in place of the policy's; every failure is reported. */
  function fallback(
    input: PolicyInput,
    name: string,
    revision: string,
    error: string,
    start: number,
  ): PolicyOutcome {
    report({ policy: name, revision, message: error, phase: "decide" });
    const decision = builtinDecide(input);
    return { decision, policy: name, revision, error, builtin: true, elapsedUs: since(start) };
  }

  function decide(name: string, input: PolicyInput): PolicyOutcome {
    const start = performance.now();
    const entry = live.get(name);
    if (entry === undefined) {
      const compileError = failed.get(name);
      const error = compileError
        ? `policy "${name}" does not compile: ${compileError.message}`
        : `unknown policy "${name}"`;
      return fallback(input, name, compileError?.revision ?? "builtin", error, start);
    }
    const revision = entry.source.revision;
    if (entry.pausedUntil > start) {
      // Paused: answered by the built-in without paying the policy's limits again (reported once, when paused).
      const decision = builtinDecide(input);
      const error = `policy "${name}" is paused for ${Math.ceil((entry.pausedUntil - start) / 1000)} s more after ${entry.strikes} failures in a row (deadline, memory or stack); the built-in policy answered`;
      return { decision, policy: name, revision, error, builtin: true, elapsedUs: since(start) };
    }
    const compiled = runnable(entry);
    if (compiled === undefined)
      return fallback(input, name, revision, "the sandbox could not load the policy", start);
    const result = compiled.call(encoder.encode(input));
    // Checked after every call (one property read): a bloated module is swapped even if no call failed.
    maybeReplaceModule();
    if (!result.ok) {
      if (result.kind === "timeout" || result.kind === "memory" || result.kind === "stack") {
        entry.strikes += 1;
        if (entry.strikes >= breaker.failures) {
          entry.pausedUntil = performance.now() + breaker.pauseMs;
          report({
            policy: name,
            revision,
            message: `paused for ${Math.round(breaker.pauseMs / 1000)} s after ${entry.strikes} failures in a row (last: ${result.message}); the built-in policy answers meanwhile`,
            phase: "decide",
          });
        }
      }
      return fallback(input, name, revision, result.message, start);
    }
    entry.strikes = 0;
    const normalised = normaliseDecision(JSON.parse(result.text) as unknown, input.candidates);
    if (!normalised.ok) return fallback(input, name, revision, normalised.error, start);
    const outcome: PolicyOutcome = {
      decision: normalised.decision,
      policy: name,
      revision,
      builtin: false,
      elapsedUs: since(start),
    };
    if (normalised.notes.length > 0) {
      outcome.error = normalised.notes.join("; ");
      report({ policy: name, revision, message: outcome.error, phase: "decide" });
    }
    return outcome;
  }

  reload();
  const stopWatching = options.watch ? watchPolicyDir(options.dir, safeReload) : () => {};
  function safeReload(): void {
    try {
      reload();
    } catch (error) {
      report({ policy: "*", revision: "", message: `reload failed: ${String(error)}`, phase: "compile" });
    }
  }

  return {
    decide,
    revision: (name) => live.get(name)?.source.revision,
    policies: () => [...live.keys()].sort(),
    compileError: (name) => failed.get(name)?.message,
    stats: () => ({ moduleGeneration: host.generation, moduleMemoryBytes: host.memoryBytes() }),
    reload: safeReload,
    close() {
      stopWatching();
      for (const entry of live.values()) entry.compiled?.dispose();
      live.clear();
      host.close();
    },
  };
}

let warmInput: EncodedInput | undefined;
/** A new revision runs a few times on a sample first, so its first timed decision is not its slowest. */
function warmed(compiled: SandboxPolicy): SandboxPolicy {
  warmInput ??= new InputEncoder().encode(sampleInput());
  compiled.warm(warmInput);
  return compiled;
}

function since(start: number): number {
  return Math.round((performance.now() - start) * 1000);
}
