// OpenAI wire format: types and the request schema.
export { ChatRequestSchema, validateChatRequest } from "./schema";
export type * from "./types";
