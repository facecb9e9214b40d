// Bags of ids -> the graph's inputs: one list of (row, weight) pairs over one linear table, plus GloVe maxima ids.

/**
 * The ONNX graph's inputs for one request. The graph keeps one table whose rows are already projected onto the
 * head's first layer (word-bag n-grams, character-bag n-grams, GloVe conversation mean, GloVe last-user mean,
 * one row per structural feature, one bias row), so every linear part of the model is one weighted sum of rows.
 */
export interface ModelInputs {
  /** Unique rows of the projected table (see `InputLayout`). */
  ids: Int32Array;
  /** One weight per id: share of the id in its bag, the raw structural value, or 1 for the bias row. */
  weights: Float32Array;
  /** `2 x maxWidth` GloVe rows: unique rows of the conversation, then of the last user turn, padded with row 0. */
  maxIds: Int32Array;
  maxWidth: number;
}

/** Sizes of the id spaces behind the projected table. */
export interface InputLayout {
  buckets: number;
  /** GloVe rows including the zero row 0. */
  gloveRows: number;
  structSize: number;
}

/** Where each block starts in the projected table. */
export interface LayoutOffsets {
  word: number;
  char: number;
  gloveMean: number;
  lastMean: number;
  struct: number;
  bias: number;
  rows: number;
}

export function layoutOffsets(layout: InputLayout): LayoutOffsets {
  const char = layout.buckets;
  const gloveMean = 2 * layout.buckets;
  const lastMean = gloveMean + layout.gloveRows;
  const struct = lastMean + layout.gloveRows;
  const bias = struct + layout.structSize;
  return { word: 0, char, gloveMean, lastMean, struct, bias, rows: bias + 1 };
}

/** Builds `ModelInputs` with generation stamps over the row space: linear time, no hashing, no per-id objects. */
export class InputBuilder {
  readonly offsets: LayoutOffsets;
  private readonly stamp: Int32Array;
  private readonly slot: Int32Array;
  private generation = 0;
  private order = new Int32Array(8192);
  private counts = new Float64Array(8192);
  private unique = 0;

  constructor(layout: InputLayout) {
    this.offsets = layoutOffsets(layout);
    this.stamp = new Int32Array(this.offsets.rows);
    this.slot = new Int32Array(this.offsets.rows);
  }

  build(
    words: ArrayLike<number>,
    chars: ArrayLike<number>,
    gloveConversation: ArrayLike<number>,
    gloveLastUser: ArrayLike<number>,
    struct: Float32Array,
  ): ModelInputs {
    this.generation++;
    this.unique = 0;
    const capacity = words.length + chars.length + gloveConversation.length + gloveLastUser.length + 64;
    if (this.order.length < capacity) {
      this.order = new Int32Array(capacity * 2);
      this.counts = new Float64Array(capacity * 2);
    }
    const o = this.offsets;
    this.addBag(words, o.word);
    this.addBag(chars, o.char);
    const conversationStart = this.unique;
    this.addBag(gloveConversation, o.gloveMean);
    const lastStart = this.unique;
    this.addBag(gloveLastUser, o.lastMean);
    const lastEnd = this.unique;
    const structured = struct.length;
    let nonZero = 0;
    for (let j = 0; j < structured; j++) if (struct[j] !== 0) nonZero++;
    const total = lastEnd + nonZero + 1;
    const ids = new Int32Array(total);
    const weights = new Float32Array(total);
    ids.set(this.order.subarray(0, lastEnd));
    for (let k = 0; k < lastEnd; k++) weights[k] = this.counts[k] as number;
    let k = lastEnd;
    for (let j = 0; j < structured; j++) {
      const value = struct[j] as number;
      if (value === 0) continue;
      ids[k] = o.struct + j;
      weights[k++] = value;
    }
    ids[k] = o.bias;
    weights[k] = 1;

    const conversationRows = lastStart - conversationStart;
    const lastRows = lastEnd - lastStart;
    const maxWidth = Math.max(1, conversationRows, lastRows);
    const maxIds = new Int32Array(2 * maxWidth);
    for (let i = 0; i < conversationRows; i++)
      maxIds[i] = (ids[conversationStart + i] as number) - o.gloveMean;
    for (let i = 0; i < lastRows; i++) maxIds[maxWidth + i] = (ids[lastStart + i] as number) - o.lastMean;
    return { ids, weights, maxIds, maxWidth };
  }

  /** Adds one bag's ids (shifted by `offset`) with weight = count / bag size. */
  private addBag(list: ArrayLike<number>, offset: number): void {
    const n = list.length;
    if (n === 0) return;
    const data = list;
    const stamp = this.stamp;
    const slot = this.slot;
    const order = this.order;
    const counts = this.counts;
    const generation = this.generation;
    const start = this.unique;
    let unique = start;
    for (let i = 0; i < n; i++) {
      const id = (data[i] as number) + offset;
      if (stamp[id] === generation) {
        const at = slot[id] as number;
        counts[at] = (counts[at] as number) + 1;
      } else {
        stamp[id] = generation;
        slot[id] = unique;
        order[unique] = id;
        counts[unique++] = 1;
      }
    }
    const inverse = 1 / n;
    for (let k = start; k < unique; k++) counts[k] = (counts[k] as number) * inverse;
    this.unique = unique;
  }
}
