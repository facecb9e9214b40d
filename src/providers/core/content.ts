// Helpers shared by adapters that rebuild the body from scratch: data URLs, JSON arguments, system text.

import { invalidRequest, UnsupportedError } from "../../errors";
import type { ChatMessage, ContentPart } from "../../openai/types";

export interface DataUrl {
  mediaType: string;
  /** Base64 payload, not decoded: upstreams take it as base64 again. */
  data: string;
}

/** `data:<type>;base64,<data>` without a regex over the (possibly megabytes long) payload. */
export function parseDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith("data:")) return undefined;
  const comma = url.indexOf(",");
  if (comma < 0) return undefined;
  const header = url.slice(5, comma);
  if (!header.endsWith(";base64")) return undefined;
  return { mediaType: header.slice(0, -7), data: url.slice(comma + 1) };
}

export const isHttpUrl = (url: string) => url.startsWith("https://") || url.startsWith("http://");

/** Tool-call arguments the client sent back: upstreams with structured inputs need them parsed. */
export function parseArguments(text: string, param: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest(`The tool call arguments in '${param}' are not valid JSON.`, param);
  }
}

/** The text of a system/developer/tool message: a string or text parts; other parts have no place there. */
export function textContent(message: ChatMessage, param: string, provider: string): string {
  const content = message.content;
  if (content == null) return "";
  if (typeof content === "string") return content;
  let text = "";
  for (let i = 0; i < content.length; i++) {
    const part = content[i] as ContentPart;
    // An earlier assistant refusal is sent back as a `refusal` part: it is still what the model said.
    const value = part.type === "text" ? part.text : part.type === "refusal" ? part.refusal : undefined;
    if (typeof value !== "string") {
      throw new UnsupportedError(
        provider,
        `${param}[${i}].type`,
        `'${part.type}' parts are not accepted here`,
      );
    }
    text += text === "" ? value : `\n${value}`;
  }
  return text;
}

/** The `stop` parameter as a list. */
export function stopList(stop: string | string[] | null | undefined): string[] | undefined {
  if (stop == null) return undefined;
  return typeof stop === "string" ? [stop] : stop.length > 0 ? stop : undefined;
}

/** OpenAI's participant `name` changes what the model sees; upstreams without such a field refuse it. */
export function refuseName(message: ChatMessage, param: string, provider: string): void {
  if (message.name != null && message.name !== "") {
    throw new UnsupportedError(provider, `${param}.name`, "participant names are not supported");
  }
}
