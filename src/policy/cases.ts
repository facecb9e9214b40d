// The policy test runner: `<name>.cases.json` beside each policy, used by `spendex policy test` and bun test alike.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type PolicyDecision, policyInputErrors } from "./contract";
import type { PolicyEngine } from "./engine";
import { mergeInput, sampleInput } from "./samples";

/** One case: `input` is merged onto `sampleInput()` (objects by key, arrays replaced); `want` is a partial decision. */
export interface PolicyCase {
  note: string;
  input: unknown;
  want: unknown;
}

export interface CaseResult {
  file: string;
  policy: string;
  note: string;
  pass: boolean;
  /** Why a case failed. */
  detail?: string;
  decision?: PolicyDecision;
  elapsedUs?: number;
}

const CASES_FILE = /^([a-z0-9][a-z0-9_-]*)\.cases\.json$/i;

/** Case files in `dir` as [policy name, file name] pairs, sorted. */
export function listCaseFiles(dir: string): Array<{ policy: string; file: string }> {
  let files: string[];
  try {
    files = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const found: Array<{ policy: string; file: string }> = [];
  for (const file of files) {
    const policy = CASES_FILE.exec(file)?.[1];
    if (policy !== undefined) found.push({ policy, file });
  }
  return found;
}

/** Reads and runs one case file against a loaded engine. A malformed file is one failing result. */
export function runCaseFile(engine: PolicyEngine, dir: string, policy: string, file: string): CaseResult[] {
  let cases: PolicyCase[];
  try {
    cases = parseCases(readFileSync(join(dir, file), "utf8"));
  } catch (error) {
    return [
      {
        file,
        policy,
        note: "(file)",
        pass: false,
        detail: error instanceof Error ? error.message : String(error),
      },
    ];
  }
  return cases.map((testCase) => runCase(engine, file, policy, testCase));
}

export function runCases(engine: PolicyEngine, dir: string): CaseResult[] {
  return listCaseFiles(dir).flatMap(({ policy, file }) => runCaseFile(engine, dir, policy, file));
}

function runCase(engine: PolicyEngine, file: string, policy: string, testCase: PolicyCase): CaseResult {
  const base = { file, policy, note: testCase.note };
  if (engine.revision(policy) === undefined) {
    const why = engine.compileError(policy) ?? `no policy ${policy}.js`;
    return { ...base, pass: false, detail: why };
  }
  const input = mergeInput(sampleInput(), testCase.input);
  const invalid = policyInputErrors(input);
  if (invalid.length > 0) return { ...base, pass: false, detail: `invalid input: ${invalid.join("; ")}` };
  const outcome = engine.decide(policy, input as Parameters<PolicyEngine["decide"]>[1]);
  const result = { ...base, decision: outcome.decision, elapsedUs: outcome.elapsedUs };
  if (outcome.builtin) return { ...result, pass: false, detail: `policy failed: ${outcome.error}` };
  const mismatch = partialMismatch(testCase.want, outcome.decision, "");
  return mismatch === undefined ? { ...result, pass: true } : { ...result, pass: false, detail: mismatch };
}

function parseCases(text: string): PolicyCase[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error("a cases file holds a JSON array of { note, input, want }");
  return parsed.map((item: unknown, index) => {
    const candidate = item as Partial<PolicyCase> | null;
    if (typeof candidate?.note !== "string" || candidate.want === undefined) {
      throw new Error(`case ${index}: needs "note" (string), "input" and "want"`);
    }
    return { note: candidate.note, input: candidate.input ?? {}, want: candidate.want };
  });
}

/**
 * Where `actual` departs from `want`, or undefined when it matches: every key of a wanted object must match
 * (other keys are ignored); arrays and scalars must be equal.
 */
export function partialMismatch(want: unknown, actual: unknown, path: string): string | undefined {
  if (want !== null && typeof want === "object" && !Array.isArray(want)) {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return `${path || "decision"}: want an object, got ${JSON.stringify(actual)}`;
    }
    for (const [key, value] of Object.entries(want)) {
      const mismatch = partialMismatch(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
      if (mismatch !== undefined) return mismatch;
    }
    return undefined;
  }
  if (JSON.stringify(want) === JSON.stringify(actual)) return undefined;
  return `${path.slice(1) || "decision"}: want ${JSON.stringify(want)}, got ${JSON.stringify(actual)}`;
}
