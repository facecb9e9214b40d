// The GloVe vocabulary lookup: word hash → table row, shared by the build and the runtime.

import { bucket, hashWord } from "./hashing";

/** Open-addressing map from word hash to GloVe row (row 0 is the zero padding row). */
export class WordTable {
  /** Word hashes as int32 (the bits of the uint32 hash), so lookups stay in int arithmetic. */
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  readonly size: number;

  constructor(vocabulary: readonly string[]) {
    this.size = vocabulary.length;
    let size = 1;
    while (size < vocabulary.length * 2) size <<= 1;
    this.keys = new Int32Array(size);
    this.values = new Int32Array(size);
    this.mask = size - 1;
    vocabulary.forEach((word, index) => {
      this.insert(hashWord(word), index + 1);
    });
  }

  private insert(hash: number, value: number): void {
    const key = hash | 0;
    let slot = bucket(key, this.mask);
    while (this.values[slot] !== 0) {
      if (this.keys[slot] === key) return; // first (most frequent) word wins on a collision
      slot = (slot + 1) & this.mask;
    }
    this.keys[slot] = key;
    this.values[slot] = value;
  }

  /** GloVe row for a word hash (uint32 or its int32 bits), or 0 when unknown. */
  get(hash: number): number {
    const key = hash | 0;
    let slot = bucket(key, this.mask);
    for (;;) {
      const value = this.values[slot] ?? 0;
      if (value === 0) return 0;
      if (this.keys[slot] === key) return value;
      slot = (slot + 1) & this.mask;
    }
  }
}
