// Every command answers --help with its usage, and a wrong option with a one-line error and exit code 2, not a crash.

import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "spendex-cli-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const database = join(dir, "args.db");
const env = { ...process.env, DATABASE_URL: `sqlite:${database}`, SPENDEX_CONFIG: "" };

function spendex(...args: string[]) {
  const result = Bun.spawnSync(["bun", "src/cli/index.ts", ...args], { env, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

test.each([
  [["keys", "create", "--help"], "spendex keys create --name NAME"],
  [["budgets", "set", "-h"], "spendex budgets set"],
  [["log", "import", "--help"], "spendex log import"],
  [["replay", "--help"], "spendex replay --policy"],
  [["policy", "bench", "--help"], "usage: spendex policy"],
  [["model", "eval", "--help"], "spendex model eval --data FILE"],
  [["simulate", "--help"], "spendex simulate [--port N]"],
  [["demo", "--help"], "usage: spendex demo"],
])("%p prints the command's usage and exits 0", (args, usage) => {
  const result = spendex(...args);
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(usage);
  expect(result.stderr).not.toMatch(STACK_LINE);
});

test("--help runs nothing: the demo does not start and no database is created", () => {
  expect(spendex("demo", "--help").stdout).not.toContain("simulator http://");
  expect(spendex("keys", "list", "--help").code).toBe(0);
  expect(existsSync(database)).toBe(false);
});

test.each([
  [["replay", "--since", "x"], "spendex replay: Unknown option '--since'", "spendex replay --policy"],
  [["keys", "list", "--bogus"], "spendex keys: Unknown option '--bogus'", "spendex keys revoke NAME"],
  [
    ["budgets", "set", "--key"],
    "spendex budgets: Option '--key <value>' argument missing",
    "spendex budgets list",
  ],
  [["log", "import", "--fil", "x"], "spendex log: Unknown option '--fil'", "spendex log import"],
  [
    ["replay", "--policy", "default", "--days", "x"],
    "--days must be a positive number",
    "spendex replay --policy",
  ],
  [
    ["replay", "--policy", "default", "--limit", "0"],
    "--limit a positive integer",
    "spendex replay --policy",
  ],
  [["policy"], "spendex policy: policy needs a command", "bench FILE [--iterations N]"],
  [["policy", "check"], "spendex policy: policy check needs a FILE", "check FILE"],
  [["policy", "bench"], "spendex policy: policy bench needs a FILE", "bench FILE [--iterations N]"],
  [
    ["policy", "bench", "policies/default.js", "--iterations", "x"],
    "spendex policy: --iterations must be a positive integer",
    "bench FILE [--iterations N]",
  ],
  [["policy", "frob"], "spendex policy: unknown policy command 'frob'", "test [DIR]"],
  [
    ["model", "eval", "--bogus"],
    "spendex model eval: Unknown option '--bogus'",
    "spendex model eval --data FILE",
  ],
  [
    ["model", "build", "--seed", "x"],
    "spendex model build: --seed must be an integer, got x",
    "spendex model build [--data DIR]",
  ],
  [
    ["model", "build", "--experts", "x"],
    "spendex model build: --experts must be a non-negative integer, got x",
    "spendex model build [--data DIR]",
  ],
  [
    ["model", "build", "--ensemble", "0"],
    "spendex model build: --ensemble must be a positive integer, got 0",
    "spendex model build [--data DIR]",
  ],
  [["demo", "--bogus"], "spendex demo: Unknown option '--bogus'", "usage: spendex demo"],
  [
    ["simulate", "--port", "x"],
    "Invalid --port x: expected a non-negative number.",
    "spendex simulate [--port N]",
  ],
])(
  "%p is refused with the option named, the usage, exit code 2 and no stack trace",
  (args, message, usage) => {
    const result = spendex(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(usage);
    expect(result.stderr).not.toMatch(STACK_LINE);
  },
);
