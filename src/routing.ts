// Loads what `model: "auto"` needs — the classifier (ONNX) and the policy engine (QuickJS) — once, at start.

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Catalog } from "./catalog";
import { type Classifier, loadClassifier } from "./classify";
import type { Settings } from "./config";
import type { AutoRouter } from "./gateway";
import { createAutoRouter } from "./gateway/auto";
import type { Breakers } from "./gateway/breaker";
import type { LatencyTracker } from "./gateway/latency";
import { createPolicyEngine, type PolicyEngine } from "./policy";

export interface Routing {
  auto: AutoRouter | undefined;
  policies: PolicyEngine | undefined;
  readiness(): Record<string, unknown>;
  close(): Promise<void>;
}

export async function loadRouting(options: {
  settings: Settings;
  catalog: Catalog;
  breakers: Breakers;
  latency: LatencyTracker;
  root?: string;
  watch?: boolean;
  log?: (line: string) => void;
  /** A classifier to use instead of loading the ONNX model (tests, replay). */
  classifier?: Classifier;
}): Promise<Routing> {
  const { settings } = options;
  const root = options.root ?? process.cwd();
  const log = options.log ?? (() => {});
  const modelPath = resolve(root, settings.routing.classifierModel);
  const policyDir = resolve(root, settings.routing.policyDir);
  if (!options.classifier && !existsSync(modelPath)) {
    log(`auto routing off: no classifier model at ${modelPath} (run 'bun run spendex model build')`);
    return {
      auto: undefined,
      policies: undefined,
      readiness: () => ({ auto: "off" }),
      close: async () => {},
    };
  }
  const started = performance.now();
  const loaded = options.classifier ? undefined : await loadClassifier({ modelPath });
  const classifier = options.classifier ?? (loaded as Classifier);
  const policies = await createPolicyEngine({
    dir: policyDir,
    watch: options.watch ?? false,
    onError: (event) =>
      log(`policy ${event.policy}@${event.revision} ${event.phase} error: ${event.message}`),
  });
  log(
    `auto routing on: classifier and ${policies.policies().length} policies loaded in ${(performance.now() - started).toFixed(0)} ms`,
  );
  const auto = createAutoRouter({
    classifier,
    policies,
    catalog: options.catalog,
    breakers: options.breakers,
    latency: options.latency,
    defaultPolicy: settings.routing.policy,
  });
  return {
    auto,
    policies,
    readiness: () => ({
      auto: "on",
      policies: Object.fromEntries(policies.policies().map((name) => [name, policies.revision(name)])),
      default_policy: settings.routing.policy,
    }),
    async close() {
      policies.close();
      await loaded?.close();
    },
  };
}
