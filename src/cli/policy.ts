// `spendex policy check|test|bench`: compile a policy and try it on samples, run the cases, time decisions.

import { basename, dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  createPolicyEngine,
  measureDecisions,
  type PolicyDecision,
  type PolicyEngine,
  runCases,
  sampleInput,
  sampleInputs,
} from "../policy";
import { printTable } from "./table";

export const USAGE = `usage: spendex policy <command>

  check FILE                  compile FILE, run it on the sample inputs, validate every answer
  test [DIR]                  run every *.cases.json in DIR (default policies/) against its policy
  bench FILE [--iterations N] microseconds per decision, p50 and p99 (default 10000 decisions)
`;

export async function runPolicyCommand(argv: string[]): Promise<number> {
  const args = argv[0] === "policy" ? argv.slice(1) : argv;
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      iterations: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, target] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === undefined) return usage("policy needs a command");
  switch (command) {
    case "check":
      return target ? check(target) : usage("policy check needs a FILE");
    case "test":
      return test(target ?? "policies");
    case "bench": {
      const iterations = Number(values.iterations ?? 10_000);
      if (!Number.isInteger(iterations) || iterations < 1)
        return usage("--iterations must be a positive integer");
      return target ? bench(target, iterations, values.json === true) : usage("policy bench needs a FILE");
    }
    default:
      return usage(`unknown policy command '${command}'`);
  }
}

/** A wrong or missing argument: the problem, the usage, exit code 2 (as every command). */
function usage(message: string): number {
  console.error(`spendex policy: ${message}\n\n${USAGE}`);
  return 2;
}

/** An engine holding just FILE; null (after printing why) when it does not compile. */
async function loadOne(file: string): Promise<{ engine: PolicyEngine; name: string } | null> {
  const path = resolve(file);
  const name = basename(path).replace(/\.js$/, "");
  if (!path.endsWith(".js")) {
    console.error(`${file}: a policy is a .js file`);
    return null;
  }
  const engine = await createPolicyEngine({ dir: dirname(path), only: [name] });
  if (engine.revision(name) === undefined) {
    console.error(`${file}: ${engine.compileError(name) ?? "not found"}`);
    engine.close();
    return null;
  }
  return { engine, name };
}

async function check(file: string): Promise<number> {
  const loaded = await loadOne(file);
  if (!loaded) return 1;
  const { engine, name } = loaded;
  let failures = 0;
  const rows = sampleInputs().map(({ name: sample, input }) => {
    const outcome = engine.decide(name, input);
    if (outcome.error) failures++;
    return {
      sample,
      decision: summarise(outcome.decision),
      reason:
        "reject" in outcome.decision ? outcome.decision.reject.message : (outcome.decision.reason ?? ""),
      us: outcome.elapsedUs,
      result: outcome.error ? `ERROR ${outcome.error}` : "ok",
    };
  });
  console.log(`${file} @ ${engine.revision(name)}`);
  printTable(rows);
  console.log(
    failures === 0 ? `\nok: ${rows.length} sample decisions` : `\n${failures} of ${rows.length} failed`,
  );
  engine.close();
  return failures === 0 ? 0 : 1;
}

async function test(dir: string): Promise<number> {
  const engine = await createPolicyEngine({ dir });
  const results = runCases(engine, dir);
  engine.close();
  if (results.length === 0) {
    console.error(`no *.cases.json in ${dir}`);
    return 1;
  }
  printTable(
    results.map((result) => ({
      policy: result.policy,
      case: result.note,
      result: result.pass ? "pass" : "FAIL",
      detail: result.pass ? (result.decision ? summarise(result.decision) : "") : (result.detail ?? ""),
    })),
  );
  const failed = results.filter((result) => !result.pass).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

async function bench(file: string, iterations: number, json: boolean): Promise<number> {
  const loaded = await loadOne(file);
  if (!loaded) return 1;
  const { engine, name } = loaded;
  const timings = measureDecisions(engine, name, [sampleInput()], iterations);
  engine.close();
  if (json) console.log(JSON.stringify({ policy: name, ...timings }));
  else printTable([{ policy: name, decisions: iterations, ...omitIterations(timings) }]);
  return timings.fallbacks === 0 ? 0 : 1;
}

function omitIterations<T extends { iterations: number }>(value: T): Omit<T, "iterations"> {
  const { iterations: _, ...rest } = value;
  return rest;
}

function summarise(decision: PolicyDecision): string {
  if ("reject" in decision) return `reject ${decision.reject.status} ${decision.reject.code}`;
  const fallbacks = decision.fallbacks?.length ? ` (then ${decision.fallbacks.join(", ")})` : "";
  return `${decision.model}${fallbacks}`;
}
