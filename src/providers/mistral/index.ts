// Mistral: the OpenAI-compatible base with Mistral's dialect: its request body, reasoning models' content chunks,
// finish reasons and object tool-call arguments.

import { createOpenAICompatibleAdapter } from "../openai-compatible";
import type { AdapterFactory } from "../types";
import { fromMistralFinish } from "./answer";
import { fromMistralDelta, fromMistralMessage } from "./content";
import { toMistralBody } from "./request";

export { fromMistralFinish, toOpenAIToolCalls } from "./answer";
export { fromMistralDelta, fromMistralMessage } from "./content";
export { toMistralBody, toMistralMessages } from "./request";
export { toMistralToolCallId } from "./tool-ids";

export const mistralFactory: AdapterFactory = (connection, fetchImpl) =>
  createOpenAICompatibleAdapter(connection, fetchImpl, {
    body: toMistralBody,
    message: fromMistralMessage,
    delta: fromMistralDelta,
    finish: fromMistralFinish,
  });
