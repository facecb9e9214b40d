// QuickJS WebAssembly modules: one compiled module per process, one capped memory per instance, a warm-up.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { newQuickJSWASMModule, newVariant, type QuickJSWASMModule, RELEASE_SYNC } from "quickjs-emscripten";
import { PRELUDE_SOURCE } from "./prelude";

export interface ModuleSlot {
  module: QuickJSWASMModule;
  memory: WebAssembly.Memory;
}

const PAGE_BYTES = 64 * 1024;

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

export async function loadModule(maxBytes: number): Promise<ModuleSlot> {
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
export function warmUp(module: QuickJSWASMModule): void {
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
