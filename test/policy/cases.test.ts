// Every shipped policy passes its *.cases.json through the same runner as `spendex policy test`.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  type CaseResult,
  createPolicyEngine,
  listCaseFiles,
  type PolicyEngine,
  runCaseFile,
} from "../../src/policy";

const dir = resolve(import.meta.dir, "../../policies");
const files = listCaseFiles(dir);
let engine: PolicyEngine;

beforeAll(async () => {
  engine = await createPolicyEngine({ dir });
});
afterAll(() => engine.close());

const notesOf = (file: string): string[] =>
  (JSON.parse(readFileSync(resolve(dir, file), "utf8")) as Array<{ note: string }>).map((item) => item.note);

test("every shipped policy has a cases file with at least five cases", () => {
  const policies = readdirSync(dir).filter((file) => file.endsWith(".js"));
  expect(policies.sort()).toEqual([
    "agent-budgets.js",
    "default.js",
    "quality-first.js",
    "single-provider.js",
  ]);
  for (const policy of policies) {
    const cases = JSON.parse(
      readFileSync(resolve(dir, policy.replace(/\.js$/, ".cases.json")), "utf8"),
    ) as unknown[];
    expect(cases.length).toBeGreaterThanOrEqual(5);
  }
});

describe.each(files.map(({ policy, file }) => [policy, file] as const))("%s", (policy, file) => {
  test("compiles", () => {
    expect(engine.compileError(policy)).toBeUndefined();
    expect(engine.revision(policy)).toMatch(/^[0-9a-f]{12}$/);
  });

  let results: CaseResult[] | undefined;
  test.each(notesOf(file))("%s", (note) => {
    results ??= runCaseFile(engine, dir, policy, file);
    const result = results.find((item) => item.note === note);
    expect(result?.detail).toBeUndefined();
    expect(result?.pass).toBe(true);
  });
});
