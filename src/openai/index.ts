// OpenAI wire format: types and the request schema.
export { isSubstantive } from "./chunks";
export { type EmbeddingsRequest, EmbeddingsRequestSchema, validateEmbeddingsRequest } from "./embeddings";
export { ChatRequestSchema, validateChatRequest } from "./schema";
export type * from "./types";
