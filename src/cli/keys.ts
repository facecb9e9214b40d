// `spendex keys`: create, list and revoke issued API keys (only hashes are stored).

import { parseArgs } from "node:util";
import type { Store } from "../store";
import { printTable } from "./table";

export const USAGE = `usage:
  spendex keys create --name NAME [--env live|test] [--team TEAM] [--policy NAME] [--providers a,b] [--failover off|same-provider|equivalent] [--rpm N]
  spendex keys update NAME --rpm N|off
  spendex keys list [--json]
  spendex keys revoke NAME`;

/** What the configuration names, so that a typo in --providers or --policy is refused, not stored. */
export interface KnownNames {
  /** Every provider, connected or not. */
  providers: readonly string[];
  /** The policy files (without `.js`) in the policy folder. */
  policies: readonly string[];
}

export async function runKeysCommand(argv: string[], store: Store, known: KnownNames): Promise<number> {
  const [action, ...rest] = argv;
  if (action === "create") {
    const { values } = parseArgs({
      args: rest,
      options: {
        name: { type: "string" },
        env: { type: "string", default: "live" },
        team: { type: "string" },
        policy: { type: "string" },
        providers: { type: "string" },
        failover: { type: "string" },
        rpm: { type: "string" },
      },
    });
    if (!values.name) return usage("--name is required");
    const rpm = values.rpm === undefined ? null : parseRpm(values.rpm, false);
    if (rpm === undefined) return usage(RPM_PROBLEM);
    if (values.env !== "live" && values.env !== "test") return usage("--env must be live or test");
    if (values.failover && !["off", "same-provider", "equivalent"].includes(values.failover)) {
      return usage("--failover must be off, same-provider or equivalent");
    }
    if (values.policy !== undefined && !known.policies.includes(values.policy)) {
      return usage(`--policy: no policy '${values.policy}'; known: ${known.policies.join(", ") || "none"}`);
    }
    const providers = values.providers?.split(",").map((p) => p.trim());
    if (providers) {
      const unknown = providers.filter((p) => !known.providers.includes(p));
      if (providers.length === 0 || unknown.length > 0) {
        return usage(
          `--providers: unknown provider ${unknown.map((p) => `'${p}'`).join(", ")}; known: ${known.providers.join(", ")}`,
        );
      }
    }
    try {
      const issued = await store.keys.create({
        name: values.name,
        env: values.env,
        ...(values.team ? { team: values.team } : {}),
        ...(values.policy ? { policy: values.policy } : {}),
        ...(providers ? { allowedProviders: providers } : {}),
        ...(values.failover ? { failover: values.failover } : {}),
        ...(rpm !== null ? { rpmLimit: rpm } : {}),
      });
      console.error(
        `Created key '${issued.record.name}' (${issued.record.env}). It is shown once; store it now.`,
      );
      console.log(issued.key);
      return 0;
    } catch (error) {
      console.error(`spendex: ${(error as Error).message}`);
      return 1;
    }
  }
  if (action === "list") {
    const json = parseArgs({ args: rest, options: { json: { type: "boolean" } } }).values.json === true;
    const rows = (await store.keys.list()).map((key) => ({
      name: key.name,
      env: key.env,
      key: `spx_sk_${key.env}_${key.id}…${key.last4}`,
      team: key.team ?? "",
      policy: key.policy ?? "",
      providers: key.allowedProviders?.join(",") ?? "all",
      rpm: json ? key.rpmLimit : (key.rpmLimit ?? "off"),
      status: key.revokedAt ? "revoked" : "active",
      created: new Date(key.createdAt).toISOString().slice(0, 19),
    }));
    if (json) console.log(JSON.stringify(rows));
    else printTable(rows);
    return 0;
  }
  if (action === "update") {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { rpm: { type: "string" } },
      allowPositionals: true,
    });
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) return usage("update needs exactly one key name");
    if (values.rpm === undefined) return usage("update needs --rpm N|off");
    const rpm = parseRpm(values.rpm, true);
    if (rpm === undefined) return usage(RPM_PROBLEM);
    if (!(await store.keys.setRpmLimit(name, rpm))) {
      console.error(`spendex: no active key named '${name}'`);
      return 1;
    }
    // Servers cache a key for 2 s (gateway/authenticate.ts), so this is in force everywhere within 2 s.
    console.log(
      rpm === null
        ? `Removed the rate limit of '${name}' (in effect within 2 s).`
        : `'${name}' may send ${rpm} requests per minute (in effect within 2 s).`,
    );
    return 0;
  }
  if (action === "revoke") {
    const name = rest[0];
    if (!name) return usage("revoke needs the key's name");
    if (!(await store.keys.revoke(name))) {
      console.error(`spendex: no active key named '${name}'`);
      return 1;
    }
    console.log(`Revoked '${name}'.`);
    return 0;
  }
  return usage(action ? `unknown keys action '${action}'` : "");
}

const MAX_RPM = 1_000_000;
const RPM_PROBLEM = `--rpm must be a whole number of requests per minute from 1 to ${MAX_RPM.toLocaleString("en")} (or off, with update)`;

/** N → N; `off` → null when allowed; anything else → undefined (a usage error). */
function parseRpm(text: string, offAllowed: boolean): number | null | undefined {
  if (offAllowed && text === "off") return null;
  if (!/^[1-9][0-9]*$/.test(text)) return undefined;
  const rpm = Number(text);
  return rpm <= MAX_RPM ? rpm : undefined;
}

function usage(problem: string): number {
  if (problem) console.error(`spendex: ${problem}`);
  console.error(USAGE);
  return 2;
}
