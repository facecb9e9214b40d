// Mistral: the OpenAI-compatible base with Mistral's dialect: its request body, and reasoning models' content chunks.

import { createOpenAICompatibleAdapter } from "../openai-compatible";
import type { AdapterFactory } from "../types";
import { fromMistralDelta, fromMistralMessage } from "./content";
import { toMistralBody } from "./request";

export { fromMistralDelta, fromMistralMessage } from "./content";
export { toMistralBody, toMistralMessages } from "./request";
export { toMistralToolCallId } from "./tool-ids";

export const mistralFactory: AdapterFactory = (connection, fetchImpl) =>
  createOpenAICompatibleAdapter(connection, fetchImpl, {
    body: toMistralBody,
    message: fromMistralMessage,
    delta: fromMistralDelta,
  });
