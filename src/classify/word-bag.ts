// The reusable buffers of tokenisation: a growable id buffer and the bag of distinct words of one request.

import { FNV_OFFSET_INT, FNV_PRIME } from "./hashing";

/** A growable Int32 buffer reused across calls, so a request allocates only its final arrays. */
export class IdBuffer {
  data: Int32Array;
  length = 0;
  constructor(capacity = 4096) {
    this.data = new Int32Array(capacity);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  reset(): void {
    this.length = 0;
  }
  /** Makes room for `extra` more values, so callers may write `data` directly. */
  ensure(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    const grown = new Int32Array(Math.max(this.data.length * 2, this.length + extra));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * The distinct words of a request (lowercased codes, truncated to `maxWordChars`) with their counts, so that the
 * request path hashes each distinct word's character n-grams once and weights them by the count.
 */
export class WordBag {
  /** Codes of all distinct words, back to back. */
  codes: Int32Array = new Int32Array(16384);
  starts: Int32Array = new Int32Array(2048);
  lengths: Int32Array = new Int32Array(2048);
  counts: Int32Array = new Int32Array(2048);
  size = 0;
  private used = 0;
  private table: Int32Array = new Int32Array(4096); // word index + 1, 0 = empty

  reset(): void {
    if (this.size > 0) this.table.fill(0);
    this.size = 0;
    this.used = 0;
  }

  /** Counts the word whose codes are `buffer[1..length]`; `hash` is any hash of the word (FNV of all its codes). */
  add(buffer: Int32Array, length: number, hash: number): void {
    let table = this.table;
    if (2 * (this.size + 1) > table.length) table = this.grow();
    const mask = table.length - 1;
    let at = Math.imul(hash, -1640531535) >>> 0;
    at &= mask;
    for (;;) {
      const entry = table[at] as number;
      if (entry === 0) break;
      const index = entry - 1;
      if (this.lengths[index] === length) {
        const start = this.starts[index] as number;
        const codes = this.codes;
        let same = true;
        for (let k = 0; k < length; k++) {
          if (codes[start + k] !== buffer[1 + k]) {
            same = false;
            break;
          }
        }
        if (same) {
          this.counts[index] = (this.counts[index] as number) + 1;
          return;
        }
      }
      at = (at + 1) & mask;
    }
    const index = this.size++;
    if (index === this.starts.length) {
      const size = 2 * index;
      this.starts = copyInto(new Int32Array(size), this.starts);
      this.lengths = copyInto(new Int32Array(size), this.lengths);
      this.counts = copyInto(new Int32Array(size), this.counts);
    }
    if (this.used + length > this.codes.length) {
      this.codes = copyInto(new Int32Array(2 * (this.used + length)), this.codes);
    }
    this.codes.set(buffer.subarray(1, 1 + length), this.used);
    this.starts[index] = this.used;
    this.lengths[index] = length;
    this.counts[index] = 1;
    this.used += length;
    table[at] = index + 1;
  }

  private grow(): Int32Array {
    const table: Int32Array = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let index = 0; index < this.size; index++) {
      let hash = FNV_OFFSET_INT;
      const start = this.starts[index] as number;
      const end = start + (this.lengths[index] as number);
      for (let k = start; k < end; k++) hash = Math.imul(hash ^ (this.codes[k] as number), FNV_PRIME);
      let at = (Math.imul(hash, -1640531535) >>> 0) & mask;
      while (table[at] !== 0) at = (at + 1) & mask;
      table[at] = index + 1;
    }
    this.table = table;
    return table;
  }
}

function copyInto(target: Int32Array, source: Int32Array): Int32Array {
  target.set(source);
  return target;
}
