// `spendex model eval` on the hand-labelled fixture prints one JSON report; bad usage gives exit code 2.

import { afterEach, expect, spyOn, test } from "bun:test";
import { join } from "node:path";
import { parseCountOption, parseExpertsOption, runModelCommand } from "../../src/cli/model";

const fixture = join(import.meta.dir, "../fixtures/classify/labelled.jsonl");
const spies: Array<{ mockRestore(): void }> = [];
afterEach(() => {
  for (const spy of spies.splice(0)) spy.mockRestore();
});

function capture(stream: NodeJS.WriteStream): string[] {
  const lines: string[] = [];
  const spy = spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  spies.push(spy);
  return lines;
}

test("model eval --json prints the report of the shipped model", async () => {
  const out = capture(process.stdout);
  expect(await runModelCommand(["model", "eval", "--data", fixture, "--json"])).toBe(0);
  const report = JSON.parse(out.join("")) as { count: number; accuracy: number; confusion: unknown };
  expect(report.count).toBe(12);
  expect(report.accuracy).toBeGreaterThanOrEqual(0.5);
  expect(Object.keys(report.confusion as object)).toEqual(["simple", "medium", "complex"]);
});

test.each([
  [["eval"], 2],
  [["frobnicate"], 2],
  [["help"], 0],
])("%p exits with %i", async (argv, code) => {
  capture(process.stderr);
  expect(await runModelCommand(argv)).toBe(code);
});

test.each([
  [undefined, undefined],
  ["0", 0],
  ["8", 8],
  ["16", 16],
])(
  "model build --experts %p builds %p gated experts per member (absent: the build's default)",
  (value, experts) => {
    expect(parseExpertsOption(value)).toBe(experts);
  },
);

test.each(["x", "-1", "2.5", "", "8e0", " 8"])("model build --experts %p is refused", (value) => {
  expect(() => parseExpertsOption(value)).toThrow(`--experts must be a non-negative integer, got ${value}`);
});

test("model build --dense-members takes the same counts and names itself when refusing one", () => {
  expect(parseCountOption("--dense-members", "2")).toBe(2);
  expect(parseCountOption("--dense-members", undefined)).toBeUndefined();
  expect(() => parseCountOption("--dense-members", "-2")).toThrow(
    "--dense-members must be a non-negative integer, got -2",
  );
});
