// The tokenizer's settings, hashing (FNV-1a, murmur3 finaliser) and character classes, shared by build and runtime.

/** Settings that must be identical at build and run time; stored beside the model. */
export interface TokenizerConfig {
  /** Hash buckets of the learned n-gram table (a power of two). */
  buckets: number;
  /** Character n-gram lengths, inclusive, over `<word>` with boundary markers. */
  minN: number;
  maxN: number;
  /** Longer words are truncated before character n-grams are taken. */
  maxWordChars: number;
}

export const DEFAULT_TOKENIZER: TokenizerConfig = { buckets: 1 << 17, minN: 3, maxN: 5, maxWordChars: 24 };

const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;
export const FNV_OFFSET_INT = FNV_OFFSET | 0;
export const GOLDEN = 0x9e3779b1 | 0;
export const SALT_UNIGRAM = 0x1b873593;
export const SALT_BIGRAM = 0x5bd1e995;
export const SALT_CHAR = 0x27d4eb2f;
export const LT = 60; // "<"
export const GT = 62; // ">"

/** murmur3's finaliser: spreads FNV hashes before they are masked into buckets. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const MURMUR_1 = 0x85ebca6b | 0;
const MURMUR_2 = 0xc2b2ae35 | 0;

/** `mix32(value) & mask` kept in int32 arithmetic (no uint32 doubles) for the hot loop. */
export function bucket(value: number, mask: number): number {
  let h = value ^ (value >>> 16);
  h = Math.imul(h, MURMUR_1);
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR_2);
  h ^= h >>> 16;
  return h & mask;
}

/** FNV-1a over a word's lowercased UTF-16 code units: the key for unigrams and the GloVe lookup. */
export function hashWord(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ lowerCode(word.charCodeAt(i)), FNV_PRIME);
  return h >>> 0;
}

function lowerCode(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** Word characters: ASCII letters and digits, and non-ASCII letters outside the punctuation/symbol blocks. */
export function isWordCode(code: number): boolean {
  if (code < 128)
    return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57);
  return code !== 0xa0 && (code < 0x2000 || code > 0x2bff) && (code < 0x3000 || code > 0x303f);
}

export function isSpaceCode(code: number): boolean {
  return (
    code === 32 || code === 10 || code === 9 || code === 13 || code === 0xa0 || code === 12 || code === 11
  );
}

/** ASCII classes for the hot loop: 1 = word character, 2 = space, 0 = symbol (same as the two predicates). */
const ASCII_CLASS = new Uint8Array(128);
for (let code = 0; code < 128; code++) ASCII_CLASS[code] = isWordCode(code) ? 1 : isSpaceCode(code) ? 2 : 0;

export function charClass(code: number): number {
  if (code < 128) return ASCII_CLASS[code] as number;
  return isWordCode(code) ? 1 : code === 0xa0 ? 2 : 0;
}

/** A word-level token as the tokenizer sees it; used by tests and the GloVe vocabulary builder. */
export function words(text: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 32;
    if (isWordCode(code)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      out.push(text.slice(start, i).toLowerCase());
      start = -1;
    }
    if (!isSpaceCode(code)) out.push(text[i] ?? "");
  }
  return out;
}
