// Gemini answers: the GenerateContentResponse and its stream chunks, thought parts and safety blocks included.

import { callSignature } from "./replay";
import { estimateTokens, type Plan, splitWords } from "./reply";

export interface Part {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name?: string; args?: unknown };
  functionResponse?: { name?: string; response?: unknown };
}

export interface GeminiReply {
  plan: Plan;
  thoughts: number;
  model: string;
  responseId: string;
  thought?: Part;
  /** A thinking model signs its first function call (Gemini 3 always; 2.5 when it thinks). */
  signed?: boolean;
}

export function partsText(parts: Part[] | undefined): string {
  let text = "";
  for (const part of parts ?? []) if (typeof part.text === "string" && !part.thought) text += part.text;
  return text;
}

function finishReason(plan: Plan): string {
  if (plan.answer.kind === "text" && plan.answer.finish === "length") return "MAX_TOKENS";
  if (plan.answer.kind === "text" && plan.answer.finish === "content_filter") return "SAFETY";
  return "STOP";
}

/** Usage as Gemini counts it: cached tokens are part of the prompt count; thoughts are outside candidates. */
function usage(plan: Plan, thoughts: number, candidates: number) {
  const prompt = plan.tokens.prompt;
  const metadata: Record<string, unknown> = {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
    promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
  };
  if (plan.tokens.cached > 0) {
    metadata.cachedContentTokenCount = plan.tokens.cached;
    metadata.cacheTokensDetails = [{ modality: "TEXT", tokenCount: plan.tokens.cached }];
  }
  if (thoughts > 0) metadata.thoughtsTokenCount = thoughts;
  return metadata;
}

function parts(plan: Plan, signed = false): Part[] {
  const answer = plan.answer;
  if (answer.kind === "tools") {
    return answer.calls.map((call, index) => {
      const functionCall = { name: call.name, args: call.input };
      // Parallel calls: only the first carries the signature, as Gemini does.
      return signed && index === 0
        ? { functionCall, thoughtSignature: callSignature(functionCall) }
        : { functionCall };
    });
  }
  return [{ text: answer.text }];
}

/** What Gemini sends for a candidate stopped by its safety filters: the rating that blocked it, no content. */
const BLOCKED = {
  finishReason: "SAFETY",
  index: 0,
  safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }],
};

function blocked(plan: Plan): boolean {
  return plan.answer.kind === "text" && plan.answer.finish === "content_filter";
}

export function response({ plan, thoughts, model, responseId, thought, signed }: GeminiReply) {
  const answer = parts(plan, signed);
  const content = { parts: thought ? [thought, ...answer] : answer, role: "model" };
  return {
    candidates: [blocked(plan) ? BLOCKED : { content, finishReason: finishReason(plan), index: 0 }],
    usageMetadata: usage(plan, thoughts, plan.tokens.completion),
    modelVersion: model,
    responseId,
  };
}

/** Stream chunks: text a few words at a time with running usage; function calls whole, in one chunk. */
export function streamChunks({ plan, thoughts, model, responseId, thought, signed }: GeminiReply) {
  const answer = plan.answer;
  const pieces: Part[][] =
    answer.kind === "tools" ? [parts(plan, signed)] : splitWords(answer.text).map((text) => [{ text }]);
  if (thought) pieces.unshift([thought]);
  let chars = 0;
  const chunks = pieces.map((piece, index) => {
    chars += partsText(piece).length;
    const last = index === pieces.length - 1 && !blocked(plan);
    const candidate: Record<string, unknown> = { content: { parts: piece, role: "model" }, index: 0 };
    if (last) candidate.finishReason = finishReason(plan);
    const candidates = last ? plan.tokens.completion : chars === 0 ? 0 : estimateTokens(chars);
    return {
      candidates: [candidate],
      usageMetadata: usage(plan, thoughts, candidates),
      modelVersion: model,
      responseId,
    };
  });
  // A stream the filters stop mid-way: the text so far, then a last chunk with the block and no content.
  if (blocked(plan)) {
    chunks.push({
      candidates: [BLOCKED],
      usageMetadata: usage(plan, thoughts, plan.tokens.completion),
      modelVersion: model,
      responseId,
    });
  }
  return chunks;
}
