// The policy engine's public surface: the input/output contract, the engine, the built-in policy and tooling helpers.

export { blendedPrice, builtinDecide, fitsNeeds, type PolicyNeeds, requestNeeds } from "./builtin";
export {
  type CaseResult,
  listCaseFiles,
  type PolicyCase,
  partialMismatch,
  runCaseFile,
  runCases,
} from "./cases";
export {
  decisionError,
  isPolicyInput,
  type PolicyBudget,
  PolicyBudgetSchema,
  type PolicyCandidate,
  PolicyCandidateSchema,
  type PolicyClassification,
  type PolicyDecision,
  PolicyDecisionSchema,
  type PolicyInput,
  PolicyInputSchema,
  type PolicyKey,
  type PolicyOutcome,
  type PolicyReject,
  type PolicyRequest,
  type PolicyRoute,
  policyInputErrors,
  spendexHeaders,
  toPolicyCandidate,
  toPolicyClassification,
} from "./contract";
export { resolveCandidate } from "./decision";
export {
  createPolicyEngine,
  type PolicyEngine,
  type PolicyEngineOptions,
  type PolicyErrorEvent,
} from "./engine";
export { policyRevision, readPolicyDir } from "./loader";
export { type DecisionTimings, evictCaches, measureDecisions } from "./measure";
export {
  mergeInput,
  realisticInputs,
  sampleBudget,
  sampleCandidates,
  sampleInput,
  sampleInputs,
} from "./samples";
export { DEFAULT_LIMITS, type SandboxLimits } from "./sandbox";
