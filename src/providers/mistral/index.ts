// Mistral: the OpenAI-compatible base with Mistral's request dialect (responses and streams are OpenAI-shaped).

import { createOpenAICompatibleAdapter } from "../openai-compatible";
import type { AdapterFactory } from "../types";
import { toMistralBody } from "./request";

export { toMistralBody, toMistralMessages } from "./request";
export { toMistralToolCallId } from "./tool-ids";

export const mistralFactory: AdapterFactory = (connection, fetchImpl) =>
  createOpenAICompatibleAdapter(connection, fetchImpl, { body: toMistralBody });
