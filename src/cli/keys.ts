// `spendex keys`: create, list and revoke issued API keys (only hashes are stored).

import { parseArgs } from "node:util";
import type { Store } from "../store";
import { printTable } from "./table";

export const USAGE = `usage:
  spendex keys create --name NAME [--env live|test] [--team TEAM] [--policy NAME] [--providers a,b] [--failover off|same-provider|equivalent]
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
      },
    });
    if (!values.name) return usage("--name is required");
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
      status: key.revokedAt ? "revoked" : "active",
      created: new Date(key.createdAt).toISOString().slice(0, 19),
    }));
    if (json) console.log(JSON.stringify(rows));
    else printTable(rows);
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

function usage(problem: string): number {
  if (problem) console.error(`spendex: ${problem}`);
  console.error(USAGE);
  return 2;
}
