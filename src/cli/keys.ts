// `spendex keys`: create, list, update (rate limits) and revoke issued API keys (only hashes are stored).

import { parseArgs } from "node:util";
import type { Store } from "../store";
import { printTable } from "./table";

export const USAGE = `usage:
  spendex keys create --name NAME [--env live|test] [--team TEAM] [--policy NAME] [--providers a,b] [--failover off|same-provider|equivalent] [--rpm N] [--tpm N]
  spendex keys update NAME [--rpm N|off] [--tpm N|off]
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
        tpm: { type: "string" },
      },
    });
    if (!values.name) return usage("--name is required");
    const rpm = values.rpm === undefined ? null : parseLimit(values.rpm, false, MAX_RPM);
    if (rpm === undefined) return usage(RPM_PROBLEM);
    const tpm = values.tpm === undefined ? null : parseLimit(values.tpm, false, MAX_TPM);
    if (tpm === undefined) return usage(TPM_PROBLEM);
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
        ...(tpm !== null ? { tpmLimit: tpm } : {}),
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
      tpm: json ? key.tpmLimit : (key.tpmLimit ?? "off"),
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
      options: { rpm: { type: "string" }, tpm: { type: "string" } },
      allowPositionals: true,
    });
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) return usage("update needs exactly one key name");
    if (values.rpm === undefined && values.tpm === undefined) {
      return usage("update needs --rpm N|off, --tpm N|off or both");
    }
    const rpm = values.rpm === undefined ? undefined : parseLimit(values.rpm, true, MAX_RPM);
    if (rpm === undefined && values.rpm !== undefined) return usage(RPM_PROBLEM);
    const tpm = values.tpm === undefined ? undefined : parseLimit(values.tpm, true, MAX_TPM);
    if (tpm === undefined && values.tpm !== undefined) return usage(TPM_PROBLEM);
    const found =
      (rpm === undefined || (await store.keys.setRpmLimit(name, rpm))) &&
      (tpm === undefined || (await store.keys.setTpmLimit(name, tpm)));
    if (!found) {
      console.error(`spendex: no active key named '${name}'`);
      return 1;
    }
    // Servers cache a key for 2 s (gateway/authenticate.ts), so this is in force everywhere within 2 s.
    if (rpm !== undefined) {
      console.log(
        rpm === null
          ? `Removed the rate limit of '${name}' (in effect within 2 s).`
          : `'${name}' may send ${rpm} requests per minute (in effect within 2 s).`,
      );
    }
    if (tpm !== undefined) {
      console.log(
        tpm === null
          ? `Removed the token rate limit of '${name}' (in effect within 2 s).`
          : `'${name}' may use ${tpm} tokens per minute (in effect within 2 s).`,
      );
    }
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
const MAX_TPM = 100_000_000;
const TPM_PROBLEM = `--tpm must be a whole number of tokens per minute from 1 to ${MAX_TPM.toLocaleString("en")} (or off, with update)`;

/** N → N; `off` → null when allowed; anything else → undefined (a usage error). */
function parseLimit(text: string, offAllowed: boolean, max: number): number | null | undefined {
  if (offAllowed && text === "off") return null;
  if (!/^[1-9][0-9]*$/.test(text)) return undefined;
  const limit = Number(text);
  return limit <= max ? limit : undefined;
}

function usage(problem: string): number {
  if (problem) console.error(`spendex: ${problem}`);
  console.error(USAGE);
  return 2;
}
