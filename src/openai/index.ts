// OpenAI wire format: types and the request schema.
export { isSubstantive } from "./chunks";
export { ChatRequestSchema, validateChatRequest } from "./schema";
export type * from "./types";
