// Mistral accepts only 9-character alphanumeric tool call ids: map any other id to one, deterministically.

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const VALID = /^[a-zA-Z0-9]{9}$/;

function fnv1a(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The same id always maps to the same Mistral id, so an assistant `tool_calls[].id` and the later tool message's
 * `tool_call_id` stay paired without any state. 53 bits of two FNV-1a hashes: collisions are negligible within
 * one conversation. Ids Mistral itself issued are kept as they are.
 */
export function toMistralToolCallId(id: string): string {
  if (VALID.test(id)) return id;
  let value = fnv1a(id, 0x811c9dc5) * 0x200000 + (fnv1a(id, 0x050c5d1f) & 0x1fffff);
  let out = "";
  for (let i = 0; i < 9; i++) {
    out += ALPHABET[value % 62];
    value = Math.floor(value / 62);
  }
  return out;
}
