// OpenAI Chat Completions wire types: the request we accept, the response and stream chunks we return.

export type Role = "system" | "developer" | "user" | "assistant" | "tool" | "function";

export interface TextPart {
  type: "text";
  text: string;
}
export interface ImagePart {
  type: "image_url";
  image_url: { url: string; detail?: "auto" | "low" | "high" };
}
export interface OtherPart {
  type: string;
  [field: string]: unknown;
}
export type ContentPart = TextPart | ImagePart | OtherPart;

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  /** LiteLLM's extension: a Gemini thought signature (decision 0004). */
  provider_specific_fields?: { thought_signature?: string; [field: string]: unknown } | null;
}

/** Anthropic's thinking blocks as LiteLLM returns them beside `reasoning_content` (`message.thinking_blocks`). */
export type ThinkingBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string };

export interface ChatMessage {
  role: Role;
  content?: string | ContentPart[] | null;
  name?: string | null;
  /** null as well as absent: clients echo back assistant messages as they got them (Mistral's say `null`). */
  tool_calls?: ToolCall[] | null;
  tool_call_id?: string | null;
  refusal?: string | null;
  /** Sent back by clients that keep what they got (decision 0004): Anthropic's signed thinking. */
  thinking_blocks?: unknown;
  /** LiteLLM's extension field; Spendex reads only the tool calls' `thought_signature` in it. */
  provider_specific_fields?: unknown;
  [field: string]: unknown;
}

export interface FunctionTool {
  type: "function";
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

export type ToolChoice =
  | "none"
  | "auto"
  | "required"
  | { type: "function"; function: { name: string } }
  | Record<string, unknown>;

export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      json_schema: {
        name: string;
        schema?: Record<string, unknown>;
        strict?: boolean | null;
        description?: string;
      };
    };

/** The request body. Unknown fields are kept and forwarded untouched to OpenAI-compatible upstreams. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  stop?: string | string[] | null;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  n?: number;
  seed?: number;
  user?: string;
  metadata?: Record<string, string>;
  [field: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number; [field: string]: unknown };
  completion_tokens_details?: { reasoning_tokens?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: "assistant";
      content: string | null;
      /** The model's reasoning (thinking) text, when the upstream returned it. */
      reasoning_content?: string;
      /** Anthropic's thinking blocks with their signatures, to be sent back as they are. */
      thinking_blocks?: ThinkingBlock[];
      refusal?: string | null;
      tool_calls?: ToolCall[];
      [field: string]: unknown;
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }>;
  usage?: Usage;
  system_fingerprint?: string | null;
  [field: string]: unknown;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
  provider_specific_fields?: ToolCall["provider_specific_fields"];
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: "assistant";
      content?: string | null;
      /** Reasoning text, as OpenAI-compatible reasoning models stream it (DeepSeek, vLLM, LiteLLM). */
      reasoning_content?: string;
      /** Each complete signed block once, when it is complete (decision 0004). */
      thinking_blocks?: ThinkingBlock[];
      /** LiteLLM's extension: the thought signatures of a Gemini answer's text parts. */
      provider_specific_fields?: { thought_signatures?: string[] };
      refusal?: string | null;
      tool_calls?: ToolCallDelta[];
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }>;
  usage?: Usage | null;
  system_fingerprint?: string | null;
  [field: string]: unknown;
}
