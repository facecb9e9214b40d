#!/usr/bin/env bun
// The `spendex` command: one entry, one module per command group, each loaded only when used.

import { loadSettings } from "../config";
import { openStore, type Store } from "../store";

const HELP = `spendex — OpenAI-compatible LLM router

usage: bun run spendex <command> [...]   (bun run spendex <command> --help for its options)

  keys create|list|revoke      issued API keys
  budgets set|list|remove      spend limits per key, team or agent
  policy check|test|bench      routing policies in policies/
  replay                       re-run logged auto decisions against a policy
  log import [--dry-run]       write rows set aside in the dead-letter file back into the request log
  model build|eval|card        the tier classifier
  simulate [--port N]          the provider simulator (OpenAI, Mistral, Anthropic, Gemini wire formats)
  demo                         simulator + gateway + sample requests, with a table of what happened
`;

/** Each command's usage text, loaded with its module. */
const USAGES: Record<string, () => Promise<string>> = {
  keys: async () => (await import("./keys")).USAGE,
  budgets: async () => (await import("./budgets")).USAGE,
  log: async () => (await import("./log")).USAGE,
  policy: async () => (await import("./policy")).USAGE,
  replay: async () => (await import("./replay")).USAGE,
  model: async () => (await import("./model")).USAGE,
  simulate: async () => (await import("./simulate")).USAGE,
  demo: async () => (await import("./demo")).USAGE,
};

/** `--help` or `-h` anywhere among the arguments (before a `--`). */
function asksForHelp(args: string[]): boolean {
  for (const arg of args) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/** node:util parseArgs's errors (unknown option, missing value...): the user's to fix, not a crash. */
function isArgumentError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const usage = command === undefined ? undefined : USAGES[command];
  if (usage && asksForHelp(rest)) {
    console.log(await usage());
    return 0;
  }
  try {
    return await dispatch(command, rest);
  } catch (error) {
    if (!usage || !isArgumentError(error)) throw error;
    console.error(`spendex ${command}: ${error.message}\n\n${await usage()}`);
    return 2;
  }
}

async function dispatch(command: string | undefined, rest: string[]): Promise<number> {
  switch (command) {
    case "keys":
    case "budgets":
    case "log": {
      const settings = loadSettings(process.env);
      let store: Store;
      try {
        store = openStore({ url: settings.databaseUrl, log: settings.log });
        await store.ready;
      } catch (error) {
        // A bad or unreachable DATABASE_URL is the user's to fix: say what is wrong, without a stack trace.
        console.error(`spendex: ${(error as Error).message}`);
        return 1;
      }
      try {
        if (command === "keys") {
          const providers = [...settings.connections.map((c) => c.name), ...settings.disconnected.keys()];
          const { readPolicyDir } = await import("../policy");
          const policies = readPolicyDir(settings.routing.policyDir).map((policy) => policy.name);
          return await (await import("./keys")).runKeysCommand(rest, store, { providers, policies });
        }
        if (command === "log") return await (await import("./log")).runLogCommand(rest, store);
        return await (await import("./budgets")).runBudgetsCommand(rest, store);
      } finally {
        await store.close();
      }
    }
    case "policy":
      return (await import("./policy")).runPolicyCommand(rest);
    case "replay":
      return (await import("./replay")).runReplayCommand(rest, process.env);
    case "model":
      return (await import("./model")).runModelCommand(rest);
    case "simulate":
      return (await import("./simulate")).runSimulateCommand(rest);
    case "demo":
      return (await import("./demo")).runDemo(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(HELP);
      return 0;
    default:
      console.error(`spendex: unknown command '${command}'\n`);
      console.error(HELP);
      return 2;
  }
}

process.exitCode = await run(process.argv.slice(2));
