// Hot reload: a changed file is a new revision, a broken edit keeps the previous one live and says where it broke.

import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createPolicyEngine,
  type PolicyEngine,
  type PolicyErrorEvent,
  policyRevision,
  sampleInput,
} from "../../src/policy";

const v1 = `function route(input) { return { model: "openai/gpt-5-nano", reason: "v1" }; }\n`;
const v2 = `function route(input) {\n  return { model: "openai/gpt-5-mini", reason: "v2" };\n}\n`;
const broken = `function route(input) {\n  const x = ;\n  return { model: "openai/gpt-5" };\n}\n`;
const throwsAtTop = `const table = undefined.nope;\nfunction route(input) { return { model: "openai/gpt-5" }; }\n`;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function setup(
  watch: boolean,
): Promise<{ dir: string; engine: PolicyEngine; events: PolicyErrorEvent[] }> {
  const dir = mkdtempSync(join(tmpdir(), "spendex-reload-"));
  writeFileSync(join(dir, "p.js"), v1);
  const events: PolicyErrorEvent[] = [];
  const engine = await createPolicyEngine({ dir, watch, onError: (event) => events.push(event) });
  cleanups.push(() => {
    engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, engine, events };
}

/** Polls until `check` holds (the watcher debounces by 50 ms); fails after two seconds. */
async function until(check: () => boolean): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > 2000) throw new Error("timed out waiting for a reload");
    await Bun.sleep(10);
  }
}

const reasonOf = (engine: PolicyEngine) => {
  const { decision } = engine.decide("p", sampleInput());
  return "reason" in decision ? decision.reason : undefined;
};

test("the revision is the first 12 hex digits of the source's SHA-256", async () => {
  const { engine } = await setup(false);
  expect(engine.revision("p")).toBe(policyRevision(v1));
  expect(policyRevision(v1)).toBe(new Bun.CryptoHasher("sha256").update(v1).digest("hex").slice(0, 12));
  expect(engine.policies()).toEqual(["p"]);
});

test("an edit on disk becomes the live revision without a restart", async () => {
  const { dir, engine } = await setup(true);
  expect(reasonOf(engine)).toBe("v1");
  writeFileSync(join(dir, "p.js"), v2);
  await until(() => engine.revision("p") === policyRevision(v2));
  expect(reasonOf(engine)).toBe("v2");
  expect(engine.decide("p", sampleInput()).revision).toBe(policyRevision(v2));
});

test("a broken edit keeps the previous revision live and reports file and line", async () => {
  const { dir, engine, events } = await setup(true);
  writeFileSync(join(dir, "p.js"), broken);
  await until(() => events.length > 0);
  expect(events[0]).toMatchObject({ policy: "p", revision: policyRevision(broken), phase: "compile" });
  expect(events[0]?.message).toMatch(/SyntaxError: .* at p\.js:2:\d+/);
  expect(engine.revision("p")).toBe(policyRevision(v1));
  expect(engine.compileError("p")).toBe(events[0]?.message);
  expect(reasonOf(engine)).toBe("v1");
  expect(engine.decide("p", sampleInput()).builtin).toBe(false);

  writeFileSync(join(dir, "p.js"), v2);
  await until(() => engine.revision("p") === policyRevision(v2));
  expect(engine.compileError("p")).toBeUndefined();
});

test("a top level that throws is a compile error at its line", async () => {
  const { dir, engine, events } = await setup(false);
  writeFileSync(join(dir, "p.js"), throwsAtTop);
  engine.reload();
  expect(events.at(-1)?.message).toMatch(/TypeError: .* at p\.js:1:\d+/);
  expect(engine.revision("p")).toBe(policyRevision(v1));
});

test("a file without route() does not load", async () => {
  const { dir, engine, events } = await setup(false);
  writeFileSync(join(dir, "q.js"), "const notRoute = 1;\n");
  engine.reload();
  expect(events.at(-1)).toMatchObject({
    policy: "q",
    message: expect.stringContaining("must define function route"),
  });
  const outcome = engine.decide("q", sampleInput());
  expect(outcome).toMatchObject({ builtin: true, revision: policyRevision("const notRoute = 1;\n") });
  expect(outcome.error).toContain('policy "q" does not compile');
});

test("a deleted file is unloaded, an unknown policy answers through the built-in", async () => {
  const { dir, engine } = await setup(false);
  unlinkSync(join(dir, "p.js"));
  engine.reload();
  expect(engine.policies()).toEqual([]);
  expect(engine.decide("p", sampleInput())).toMatchObject({
    builtin: true,
    revision: "builtin",
    error: 'unknown policy "p"',
  });
});

test("a script that would close the wrapper is refused", async () => {
  const { dir, engine, events } = await setup(false);
  writeFileSync(
    join(dir, "escape.js"),
    `}); let leak = []; (function () {\nfunction route() { return { model: "x" }; }\n`,
  );
  engine.reload();
  expect(engine.revision("escape")).toBeUndefined();
  expect(events.at(-1)?.message).toMatch(/SyntaxError/);
});
