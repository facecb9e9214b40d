// `spendex keys` as a person runs it: the key alone on stdout's last line, listed without secrets, revoked.

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store";

const dir = mkdtempSync(join(tmpdir(), "spendex-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, "keys.db")}`, SPENDEX_CONFIG: "" };

function spendex(...args: string[]) {
  const result = Bun.spawnSync(["bun", "src/cli/index.ts", ...args], { env, stdout: "pipe", stderr: "pipe" });
  return { code: result.exitCode, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

test("create prints the key alone on the last line; list never shows it; revoke disables it", async () => {
  const created = spendex("keys", "create", "--name", "backend", "--env", "test", "--team", "growth");
  expect(created.code).toBe(0);
  const key = created.stdout.trimEnd().split("\n").at(-1) as string;
  expect(key).toMatch(/^spx_sk_test_[0-9A-Za-z]{40}$/);

  const listed = spendex("keys", "list", "--json");
  const rows = JSON.parse(listed.stdout) as Array<{
    name: string;
    key: string;
    team: string;
    status: string;
  }>;
  expect(rows).toEqual([expect.objectContaining({ name: "backend", team: "growth", status: "active" })]);
  expect(rows[0]?.key.endsWith(key.slice(-4))).toBe(true);
  expect(listed.stdout).not.toContain(key);

  const store = openStore({ url: env.DATABASE_URL });
  const stored = await store.keys.byName("backend");
  await store.close();
  expect(stored?.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.stringify(stored)).not.toContain(key);

  expect(spendex("keys", "create", "--name", "backend").code).toBe(1);
  expect(spendex("keys", "revoke", "backend").code).toBe(0);
  expect(spendex("keys", "revoke", "backend").code).toBe(1);
  expect(JSON.parse(spendex("keys", "list", "--json").stdout)[0].status).toBe("revoked");
});

test("bad arguments print the usage and exit 2", () => {
  const result = spendex("keys", "create");
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--name is required");
});

test("a provider or policy the configuration does not name is refused, nothing is stored", () => {
  const provider = spendex("keys", "create", "--name", "typo-provider", "--providers", "openai,opnai");
  expect(provider.code).toBe(2);
  expect(provider.stderr).toContain("unknown provider 'opnai'; known: openai, anthropic, gemini, mistral");
  const empty = spendex("keys", "create", "--name", "typo-provider", "--providers", "openai,");
  expect(empty.code).toBe(2);
  const policy = spendex("keys", "create", "--name", "typo-policy", "--policy", "defualt");
  expect(policy.code).toBe(2);
  expect(policy.stderr).toContain("no policy 'defualt'; known:");
  expect(policy.stderr).toContain("quality-first");
  const names = (JSON.parse(spendex("keys", "list", "--json").stdout) as Array<{ name: string }>).map(
    (k) => k.name,
  );
  expect(names).not.toContain("typo-provider");
  expect(names).not.toContain("typo-policy");
  const good = spendex(
    "keys",
    "create",
    "--name",
    "scoped",
    "--providers",
    "anthropic",
    "--policy",
    "quality-first",
  );
  expect(good.code).toBe(0);
});

test("--rpm at creation, keys update --rpm N|off, shown by list; bad values exit 2 with the usage", () => {
  const created = spendex("keys", "create", "--name", "agent-loop", "--rpm", "60");
  expect(created.code).toBe(0);
  const rpmOf = (name: string, args: string[] = ["--json"]) => {
    const rows = JSON.parse(spendex("keys", "list", ...args).stdout) as Array<{ name: string; rpm: unknown }>;
    return rows.find((row) => row.name === name)?.rpm;
  };
  expect(rpmOf("agent-loop")).toBe(60);
  expect(rpmOf("backend")).toBeNull();

  const updated = spendex("keys", "update", "agent-loop", "--rpm", "600");
  expect(updated.code).toBe(0);
  expect(updated.stdout).toBe("'agent-loop' may send 600 requests per minute (in effect within 2 s).\n");
  expect(rpmOf("agent-loop")).toBe(600);
  const table = spendex("keys", "list").stdout;
  expect(table.split("\n")[0]).toContain("rpm");
  expect(table.split("\n").find((line) => line.startsWith("agent-loop"))).toContain("600");

  const removed = spendex("keys", "update", "agent-loop", "--rpm", "off");
  expect(removed.code).toBe(0);
  expect(removed.stdout).toBe("Removed the rate limit of 'agent-loop' (in effect within 2 s).\n");
  expect(rpmOf("agent-loop")).toBeNull();
  expect(table.split("\n").find((line) => line.startsWith("backend"))).toContain("off");

  for (const args of [
    ["create", "--name", "bad-rpm", "--rpm", "0"],
    ["create", "--name", "bad-rpm", "--rpm", "1.5"],
    ["create", "--name", "bad-rpm", "--rpm", "off"],
    ["create", "--name", "bad-rpm", "--rpm", "1000001"],
    ["update", "agent-loop", "--rpm=-3"],
  ]) {
    const result = spendex("keys", ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--rpm must be a whole number of requests per minute from 1 to 1,000,000",
    );
    expect(result.stderr).toContain("spendex keys update NAME [--rpm N|off] [--tpm N|off]");
  }
  for (const [args, problem] of [
    [["update", "agent-loop"], "update needs --rpm N|off"],
    [["update", "--rpm", "5"], "update needs exactly one key name"],
    [["update", "agent-loop", "--rpm", "5", "--team", "x"], "Unknown option '--team'"],
  ] as const) {
    const result = spendex("keys", ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(problem);
    expect(result.stderr).toContain("usage:");
  }
  expect(rpmOf("bad-rpm")).toBeUndefined();
  const missing = spendex("keys", "update", "nobody", "--rpm", "5");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("no active key named 'nobody'");
}, 60_000); // a dozen CLI processes in a row: slow on a loaded 2-core machine

test("--tpm at creation, keys update --tpm N|off (alone or with --rpm), shown by list; bad values exit 2", () => {
  const created = spendex("keys", "create", "--name", "big-prompts", "--rpm", "10", "--tpm", "200000");
  expect(created.code).toBe(0);
  const limitsOf = (name: string) => {
    const rows = JSON.parse(spendex("keys", "list", "--json").stdout) as Array<{
      name: string;
      rpm: unknown;
      tpm: unknown;
    }>;
    const row = rows.find((r) => r.name === name);
    return row ? [row.rpm, row.tpm] : undefined;
  };
  expect(limitsOf("big-prompts")).toEqual([10, 200_000]);
  expect(limitsOf("scoped")).toEqual([null, null]);

  const updated = spendex("keys", "update", "big-prompts", "--tpm", "50000");
  expect(updated.code).toBe(0);
  expect(updated.stdout).toBe("'big-prompts' may use 50000 tokens per minute (in effect within 2 s).\n");
  expect(limitsOf("big-prompts")).toEqual([10, 50_000]);
  const table = spendex("keys", "list").stdout.split("\n");
  expect(table[0]).toMatch(/rpm\s+tpm/);
  expect(table.find((line) => line.startsWith("big-prompts"))).toMatch(/10\s+50000/);
  expect(table.find((line) => line.startsWith("scoped"))).toMatch(/off\s+off/);

  const both = spendex("keys", "update", "big-prompts", "--rpm", "off", "--tpm", "off");
  expect(both.code).toBe(0);
  expect(both.stdout).toBe(
    "Removed the rate limit of 'big-prompts' (in effect within 2 s).\nRemoved the token rate limit of 'big-prompts' (in effect within 2 s).\n",
  );
  expect(limitsOf("big-prompts")).toEqual([null, null]);

  for (const args of [
    ["create", "--name", "bad-tpm", "--tpm", "0"],
    ["create", "--name", "bad-tpm", "--tpm", "2.5"],
    ["create", "--name", "bad-tpm", "--tpm", "off"],
    ["create", "--name", "bad-tpm", "--tpm", "100000001"],
    ["update", "big-prompts", "--tpm=-3"],
    ["update", "big-prompts", "--rpm", "5", "--tpm", "lots"],
  ]) {
    const result = spendex("keys", ...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--tpm must be a whole number of tokens per minute from 1 to 100,000,000 (or off, with update)",
    );
    expect(result.stderr).toContain("usage:");
  }
  const neither = spendex("keys", "update", "big-prompts");
  expect(neither.code).toBe(2);
  expect(neither.stderr).toContain("update needs --rpm N|off, --tpm N|off or both");
  expect(limitsOf("bad-tpm")).toBeUndefined();
  // A refused --tpm changes nothing, not even a valid --rpm beside it.
  expect(limitsOf("big-prompts")).toEqual([null, null]);
  const missing = spendex("keys", "update", "nobody", "--tpm", "5");
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("no active key named 'nobody'");
}, 60_000); // a dozen CLI processes in a row: slow on a loaded 2-core machine
