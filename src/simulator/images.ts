// Image checks each provider makes on request content (answered with a 400), so a mis-converted image fails
// against the simulator as it would against the real API. The simulator never looks at the pixels.

const MEDIA_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Google's JSON bytes also accept the URL-safe alphabet. */
const BASE64_OR_URL_SAFE = /^[A-Za-z0-9+/_-]+={0,2}$/;
const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function isHttpUrl(value: unknown): boolean {
  return typeof value === "string" && /^https?:\/\/\S+$/.test(value);
}

function isBase64(value: unknown, alphabet = BASE64): boolean {
  return typeof value === "string" && value.length > 0 && alphabet.test(value);
}

type Part = Record<string, unknown>;

function parts(content: unknown): Part[] {
  return Array.isArray(content) ? (content as Part[]) : [];
}

/** OpenAI `image_url` parts: an http(s) URL or a base64 data URL of a supported image type. */
export function openaiImageError(
  messages: Array<{ content?: unknown }>,
): { message: string; param: string } | undefined {
  for (let index = 0; index < messages.length; index++) {
    const content = parts(messages[index]!.content);
    for (let position = 0; position < content.length; position++) {
      const part = content[position]!;
      if (part.type !== "image_url") continue;
      const param = `messages[${index}].content[${position}].image_url.url`;
      const url = (part.image_url as { url?: unknown } | undefined)?.url;
      if (isHttpUrl(url)) continue;
      const data = typeof url === "string" ? DATA_URL.exec(url) : null;
      if (!data)
        return { message: `Invalid '${param}': expected a URL or a base64-encoded data URL.`, param };
      if (!MEDIA_TYPES.includes(data[1]!)) {
        return {
          message: `Invalid '${param}'. Expected a base64-encoded data URL with an image MIME type (e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got unsupported MIME type '${data[1]}'.`,
          param,
        };
      }
      if (!isBase64(data[2]))
        return { message: `Invalid '${param}': the data URL is not valid base64.`, param };
    }
  }
  return undefined;
}

/** Anthropic `image` blocks: a base64 source of a supported media type, or an http(s) URL source. */
export function anthropicImageError(messages: Array<{ content?: unknown }>): string | undefined {
  for (let index = 0; index < messages.length; index++) {
    const content = parts(messages[index]!.content);
    for (let position = 0; position < content.length; position++) {
      const block = content[position]!;
      if (block.type !== "image") continue;
      const where = `messages.${index}.content.${position}.image.source`;
      const source = (block.source ?? {}) as Part;
      if (source.type === "url") {
        if (!isHttpUrl(source.url)) return `${where}.url.url: Input should be a valid URL`;
      } else if (source.type === "base64") {
        if (!MEDIA_TYPES.includes(source.media_type as string)) {
          return `${where}.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
        }
        if (!isBase64(source.data)) return `${where}.base64: The image data is not valid base64.`;
      } else if (source.type !== "file") {
        return `${where}: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`;
      }
    }
  }
  return undefined;
}

/** Gemini `inlineData` parts need a MIME type and base64 data; `fileData` parts a URI. */
export function geminiImageError(contents: Array<{ parts?: unknown }>): string | undefined {
  for (let index = 0; index < contents.length; index++) {
    const content = parts(contents[index]!.parts);
    for (let position = 0; position < content.length; position++) {
      const part = content[position]!;
      const where = `contents[${index}].parts[${position}]`;
      const inline = part.inlineData as Part | undefined;
      if (inline !== undefined) {
        if (typeof inline.mimeType !== "string" || inline.mimeType === "") {
          return `* GenerateContentRequest.${where}.inline_data.mime_type: mime_type is not specified`;
        }
        if (!isBase64(inline.data, BASE64_OR_URL_SAFE)) {
          return `Invalid value at '${where}.inline_data.data' (TYPE_BYTES), Base64 decoding failed`;
        }
      }
      const file = part.fileData as Part | undefined;
      if (file !== undefined && (typeof file.fileUri !== "string" || file.fileUri === "")) {
        return `* GenerateContentRequest.${where}.file_data.file_uri: file_uri is not specified`;
      }
    }
  }
  return undefined;
}
