// Bags of ids -> unique ids + one weight row per bag: the graph's input, so each table row is read once.

/** The ONNX graph's inputs for one request. */
export interface ModelInputs {
  /** Unique n-gram buckets (word and character bags together). */
  ngramIds: Int32Array;
  /** `2 x ngramIds.length`: row 0 = share of each id in the word bag, row 1 = in the character bag. */
  ngramWeights: Float32Array;
  /** Unique GloVe rows over the conversation (row 0, the zero row, always first). */
  gloveIds: Int32Array;
  /** `2 x gloveIds.length`: row 0 = share in the conversation, row 1 = share in the last user turn. */
  gloveWeights: Float32Array;
  /** `gloveIds.length`: 0 where the row occurs in the last user turn, a large negative number elsewhere. */
  gloveLastMask: Float32Array;
  struct: Float32Array;
}

export const MASKED = -1e30;

export interface Bag {
  ids: Int32Array;
  /** `2 x ids.length` row-major. */
  weights: Float32Array;
  /** Per unique id: occurs in the second bag. */
  inSecond: Uint8Array;
}

/** Deduplicates two bags with generation stamps over the id space: linear time, no hashing. */
export class BagBuilder {
  private readonly stamp: Int32Array;
  private readonly slot: Int32Array;
  private generation = 0;
  private order = new Int32Array(4096);
  private counts = new Float32Array(8192);

  constructor(idSpace: number) {
    this.stamp = new Int32Array(idSpace);
    this.slot = new Int32Array(idSpace);
  }

  build(first: ArrayLike<number>, second: ArrayLike<number>): Bag {
    this.generation++;
    const capacity = first.length + second.length;
    if (this.order.length < capacity) {
      this.order = new Int32Array(capacity * 2);
      this.counts = new Float32Array(capacity * 4);
    }
    const counts = this.counts;
    counts.fill(0, 0, capacity * 2);
    let unique = 0;
    for (let bag = 0; bag < 2; bag++) {
      const ids = bag === 0 ? first : second;
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i] ?? 0;
        let index: number;
        if (this.stamp[id] === this.generation) index = this.slot[id] ?? 0;
        else {
          index = unique++;
          this.stamp[id] = this.generation;
          this.slot[id] = index;
          this.order[index] = id;
        }
        counts[index * 2 + bag] = (counts[index * 2 + bag] ?? 0) + 1;
      }
    }
    const ids = this.order.slice(0, unique);
    const weights = new Float32Array(2 * unique);
    const inSecond = new Uint8Array(unique);
    const inverseFirst = first.length > 0 ? 1 / first.length : 0;
    const inverseSecond = second.length > 0 ? 1 / second.length : 0;
    for (let k = 0; k < unique; k++) {
      const a = counts[k * 2] ?? 0;
      const b = counts[k * 2 + 1] ?? 0;
      weights[k] = a * inverseFirst;
      weights[unique + k] = b * inverseSecond;
      inSecond[k] = b > 0 ? 1 : 0;
    }
    return { ids, weights, inSecond };
  }
}
