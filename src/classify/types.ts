// The classifier's public contract: what the gateway asks and what it gets back.

import type { Tier } from "../catalog/types";
import type { ChatMessage } from "../openai/types";

/** Structural signals read off the request; also given to policies. */
export interface Signals {
  estimatedTokens: number;
  turns: number;
  userTurns: number;
  systemChars: number;
  lastUserChars: number;
  codeFences: number;
  codeTokenRatio: number;
  mathDensity: number;
  digitRatio: number;
  questions: number;
  listItems: number;
  tools: boolean;
  images: boolean;
  jsonMode: boolean;
  /** Which explicit rule, if any, overrode or raised the learned tier (e.g. "long_context"). */
  rule?: string;
  [signal: string]: number | boolean | string | undefined;
}

export interface Classification {
  tier: Tier;
  /** Calibrated probability of `tier`. */
  confidence: number;
  scores: Record<Tier, number>;
  signals: Signals;
}

export interface ClassifyInput {
  messages: readonly ChatMessage[];
  tools: boolean;
  images: boolean;
  jsonMode: boolean;
}

export interface Classifier {
  classify(input: ClassifyInput): Promise<Classification>;
}
