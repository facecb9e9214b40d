// Tokenisation and hashing shared by the build and the runtime: words, hashed n-gram ids, GloVe ids.

import {
  bucket,
  charClass,
  FNV_OFFSET_INT,
  FNV_PRIME,
  GOLDEN,
  GT,
  hashWord,
  LT,
  mix32,
  SALT_BIGRAM,
  SALT_CHAR,
  SALT_UNIGRAM,
  type TokenizerConfig,
} from "./hashing";

export {
  DEFAULT_TOKENIZER,
  hashWord,
  isSpaceCode,
  isWordCode,
  mix32,
  type TokenizerConfig,
  words,
} from "./hashing";

import type { WordGrams } from "./bag";
import { IdBuffer, type WordBag } from "./word-bag";
import type { WordTable } from "./word-table";

export { IdBuffer, WordBag } from "./word-bag";
export { WordTable } from "./word-table";

/** Hashes one text into n-gram bucket ids and GloVe ids, appending to the given buffers. */
export class TextHasher {
  private readonly wordBuffer: Int32Array;
  private readonly bucketMask: number;
  readonly buckets: number;
  private readonly minN: number;
  private readonly maxN: number;
  /** GloVe rows including the zero row 0. */
  readonly gloveRows: number;
  /** Character n-grams of a word of each length up to `maxWordChars` (the character bag counts them). */
  private readonly gramCounts: Int32Array;
  /** Character n-grams of the known words `hash` sent to its `known` buffer since the last `takeKnownGrams`. */
  private knownGrams = 0;

  constructor(
    private readonly config: TokenizerConfig,
    private readonly glove: WordTable | undefined,
  ) {
    if ((config.buckets & (config.buckets - 1)) !== 0) throw new Error("buckets must be a power of two");
    this.bucketMask = config.buckets - 1;
    this.buckets = config.buckets;
    this.minN = config.minN;
    this.maxN = config.maxN;
    this.gloveRows = (glove?.size ?? 0) + 1;
    this.wordBuffer = new Int32Array(config.maxWordChars + 2);
    this.gramCounts = new Int32Array(config.maxWordChars + 1);
    for (let length = 0; length <= config.maxWordChars; length++) {
      const padded = length + 2;
      let count = 0;
      for (let i = 0; i + config.minN <= padded; i++)
        count += Math.min(config.maxN, padded - i) - config.minN + 1;
      this.gramCounts[length] = count;
    }
  }

  /** The character n-gram count of the known words hashed since the last call, then resets it. */
  takeKnownGrams(): number {
    const count = this.knownGrams;
    this.knownGrams = 0;
    return count;
  }

  /**
   * Character n-gram ids of each vocabulary word, as the request path would hash that word (empty for words longer
   * than `maxWordChars`, which the request path hashes itself): the build folds them into known-word rows.
   */
  wordGrams(vocabulary: readonly string[]): WordGrams {
    const starts = new Int32Array(vocabulary.length + 2);
    const ids = new IdBuffer(vocabulary.length * 16);
    const per = this.maxN - this.minN + 1;
    vocabulary.forEach((word, index) => {
      starts[index + 1] = ids.length; // row 0 is the zero row
      if (word.length > this.config.maxWordChars) return;
      for (let k = 0; k < word.length; k++) {
        const code = word.charCodeAt(k);
        this.wordBuffer[1 + k] = code >= 65 && code <= 90 ? code + 32 : code;
      }
      ids.ensure(per * (word.length + 2));
      this.emitCharGrams(word.length, ids, this.bucketMask);
    });
    starts[vocabulary.length + 1] = ids.length;
    return { starts, ids: ids.toArray() };
  }

  /** The always-present bias ids, so that neither n-gram input is ever empty. */
  biasIds(): { word: number; char: number } {
    const start = hashWord("<s>");
    return {
      word: mix32(start ^ SALT_UNIGRAM) & this.bucketMask,
      char: mix32(start ^ SALT_CHAR) & this.bucketMask,
    };
  }

  /**
   * Appends word uni/bigram ids to `ngrams`, character n-gram ids to `chars` and GloVe rows of known words
   * to `glove`; returns the token count. The hot loop of the classifier: locals and direct array writes.
   */
  hash(
    text: string,
    ngrams: IdBuffer,
    chars: IdBuffer,
    glove: IdBuffer | undefined,
    distinct?: WordBag,
    /** With `distinct`: GloVe rows of known words, whose character n-grams are one known-word row each. */
    known?: IdBuffer,
  ): number {
    const mask = this.bucketMask;
    const table = glove ? this.glove : undefined;
    const buffer = this.wordBuffer;
    const maxWord = this.config.maxWordChars;
    // Upper bounds: per character at most 2 word ids and (maxN - minN + 1) character ids.
    ngrams.ensure(2 * text.length + 2);
    if (!distinct) chars.ensure((this.config.maxN - this.config.minN + 1) * (text.length + 2));
    const wordData = ngrams.data;
    let wordCount = ngrams.length;
    let previous = 0;
    let havePrevious = false;
    let tokens = 0;
    let wordLength = -1;
    let h = FNV_OFFSET_INT; // int32 throughout: a uint32 start value would make the JIT keep h as a double
    const length = text.length;
    for (let i = 0; i <= length; i++) {
      const code = i < length ? text.charCodeAt(i) : 32;
      const kind = charClass(code);
      if (kind === 1) {
        const lower = code >= 65 && code <= 90 ? code + 32 : code;
        if (wordLength < 0) {
          wordLength = 0;
          h = FNV_OFFSET_INT;
        }
        h = Math.imul(h ^ lower, FNV_PRIME);
        if (wordLength < maxWord) buffer[1 + wordLength] = lower;
        wordLength++;
        continue;
      }
      if (wordLength >= 0) {
        const word = h; // int32 bits of the word's FNV hash, the WordTable key
        wordData[wordCount++] = bucket(word ^ SALT_UNIGRAM, mask);
        if (havePrevious)
          wordData[wordCount++] = bucket(Math.imul(previous, GOLDEN) ^ word ^ SALT_BIGRAM, mask);
        let row = 0;
        if (table && glove) {
          row = table.get(word);
          if (row !== 0) glove.push(row);
        }
        if (known && row !== 0 && wordLength <= maxWord) {
          known.push(row);
          this.knownGrams += this.gramCounts[wordLength] as number;
        } else if (distinct) {
          // The hash of the truncated codes, so that words equal in their first maxWord codes share an entry.
          let key = h;
          if (wordLength > maxWord) {
            key = FNV_OFFSET_INT;
            for (let k = 1; k <= maxWord; k++) key = Math.imul(key ^ (buffer[k] as number), FNV_PRIME);
          }
          distinct.add(buffer, Math.min(wordLength, maxWord), key);
        } else this.emitCharGrams(Math.min(wordLength, maxWord), chars, mask);
        previous = word;
        havePrevious = true;
        tokens++;
        wordLength = -1;
      }
      if (kind !== 2) {
        const symbol = Math.imul(FNV_OFFSET_INT ^ code, FNV_PRIME);
        wordData[wordCount++] = bucket(symbol ^ SALT_UNIGRAM, mask);
        if (havePrevious)
          wordData[wordCount++] = bucket(Math.imul(previous, GOLDEN) ^ symbol ^ SALT_BIGRAM, mask);
        if (table && glove) {
          const row = table.get(symbol);
          if (row !== 0) glove.push(row);
        }
        previous = symbol;
        havePrevious = true;
        tokens++;
      }
    }
    ngrams.length = wordCount;
    return tokens;
  }

  /**
   * Character n-grams of every distinct word, once each, to `chars`, with the word's count per n-gram in
   * `multiplicity`; returns the n-gram count with repeats (the character bag's size).
   */
  emitDistinct(distinct: WordBag, chars: IdBuffer, multiplicity: IdBuffer): number {
    const mask = this.bucketMask;
    const buffer = this.wordBuffer;
    const per = this.maxN - this.minN + 1;
    let total = 0;
    for (let index = 0; index < distinct.size; index++) {
      const length = distinct.lengths[index] as number;
      const start = distinct.starts[index] as number;
      const count = distinct.counts[index] as number;
      for (let k = 0; k < length; k++) buffer[1 + k] = distinct.codes[start + k] as number;
      chars.ensure(per * (length + 2));
      const from = chars.length;
      this.emitCharGrams(length, chars, mask);
      const emitted = chars.length - from;
      multiplicity.ensure(emitted);
      multiplicity.data.fill(count, multiplicity.length, multiplicity.length + emitted);
      multiplicity.length += emitted;
      total += emitted * count;
    }
    return total;
  }

  /** Character n-grams of `<word>`; the word's lowercased codes are already in `wordBuffer[1..length]`. */
  private emitCharGrams(length: number, chars: IdBuffer, mask: number): void {
    const buffer = this.wordBuffer;
    buffer[0] = LT;
    buffer[length + 1] = GT;
    const padded = length + 2;
    const minN = this.minN;
    const maxN = this.maxN;
    const data = chars.data;
    let count = chars.length;
    const starts = padded - minN;
    for (let i = 0; i <= starts; i++) {
      let h = FNV_OFFSET_INT;
      let k = i;
      const head = i + minN - 1;
      while (k < head) h = Math.imul(h ^ buffer[k++]!, FNV_PRIME);
      const end = Math.min(i + maxN, padded);
      while (k < end) {
        h = Math.imul(h ^ buffer[k++]!, FNV_PRIME);
        data[count++] = bucket(h ^ SALT_CHAR, mask);
      }
    }
    chars.length = count;
  }
}
