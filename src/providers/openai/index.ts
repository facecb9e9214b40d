// OpenAI itself: the OpenAI-compatible base as is (its default base URL is the gateway's configuration).

import { createOpenAICompatibleAdapter } from "../openai-compatible";
import type { AdapterFactory } from "../types";

export const openAIFactory: AdapterFactory = (connection, fetchImpl) =>
  createOpenAICompatibleAdapter(connection, fetchImpl);
