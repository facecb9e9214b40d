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
  /** The raw structural signals: what gated experts read (`GateParams`), followed by a 1 in the graph's input. */
  struct: Float32Array;
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
  /**
   * One row per GloVe word: the sum of that word's character n-gram rows, so a known word's character n-grams
   * are one id (weighted by its count over the character bag's size) instead of about fifteen.
   */
  knownChars: number;
  struct: number;
  bias: number;
  rows: number;
}

export function layoutOffsets(layout: InputLayout): LayoutOffsets {
  const char = layout.buckets;
  const gloveMean = 2 * layout.buckets;
  const lastMean = gloveMean + layout.gloveRows;
  const knownChars = lastMean + layout.gloveRows;
  const struct = knownChars + layout.gloveRows;
  const bias = struct + layout.structSize;
  return { word: 0, char, gloveMean, lastMean, knownChars, struct, bias, rows: bias + 1 };
}

/** Character n-gram bucket ids of every GloVe row's word (CSR: row r's ids are `ids[starts[r]..starts[r + 1])`). */
export interface WordGrams {
  starts: Int32Array;
  ids: Int32Array;
}

/**
 * Replaces each known-word id by its word's character n-gram ids (same weight each): the inputs as the build
 * path gives them. The TypeScript reference of the graph and the tests use it; the request path never does.
 */
export function expandKnownChars(inputs: ModelInputs, offsets: LayoutOffsets, grams: WordGrams): ModelInputs {
  const ids: number[] = [];
  const weights: number[] = [];
  inputs.ids.forEach((id, k) => {
    const weight = inputs.weights[k] ?? 0;
    if (id < offsets.knownChars || id >= offsets.struct) {
      ids.push(id);
      weights.push(weight);
      return;
    }
    const row = id - offsets.knownChars;
    const end = grams.starts[row + 1] ?? 0;
    for (let g = grams.starts[row] ?? 0; g < end; g++) {
      ids.push(offsets.char + (grams.ids[g] ?? 0));
      weights.push(weight);
    }
  });
  return { ...inputs, ids: Int32Array.from(ids), weights: Float32Array.from(weights) };
}

/**
 * Builds `ModelInputs`, deduplicating ids (the graph's Gather costs per row, about 10 ns, so ~4,800 n-grams of a
 * 2,000-character prompt become ~750 rows) in a small open-addressing table stamped per request, which stays in
 * cache: linear time, no per-id objects.
 */
export class InputBuilder {
  readonly offsets: LayoutOffsets;
  private scratch: Scratch = {
    keys: new Int32Array(8192),
    slots: new Int32Array(8192),
    stamps: new Int32Array(8192),
    order: new Int32Array(4096),
    counts: new Int32Array(4096),
  };
  private shift = 19; // 32 - log2(table size)
  private generation = 0;

  constructor(layout: InputLayout) {
    this.offsets = layoutOffsets(layout);
  }

  build(
    words: Int32Array,
    chars: Int32Array,
    gloveConversation: Int32Array,
    gloveLastUser: Int32Array,
    struct: Float32Array,
    /**
     * When given, `chars` holds distinct n-grams per word and this their repeat counts (see `WordBag`), `known`
     * the GloVe rows of words whose n-grams are one known-word row, with repeats, and `total` the character
     * bag's size counting every n-gram of every word.
     */
    charRepeats?: { counts: Int32Array; total: number; known?: Int32Array },
  ): ModelInputs {
    const generation = ++this.generation;
    const known = charRepeats?.known ?? EMPTY;
    const capacity =
      words.length + chars.length + gloveConversation.length + gloveLastUser.length + known.length + 1;
    let scratch = this.scratch;
    if (scratch.keys.length < 2 * capacity || scratch.order.length < capacity) {
      let size = scratch.keys.length;
      while (size < 2 * capacity) size *= 2;
      scratch = {
        keys: new Int32Array(size),
        slots: new Int32Array(size),
        stamps: new Int32Array(size),
        order: new Int32Array(size / 2),
        counts: new Int32Array(size / 2),
      };
      this.scratch = scratch;
      this.shift = 32 - Math.log2(size);
    }
    const shift = this.shift;
    const o = this.offsets;
    const structured = struct.length;
    let nonZero = 0;
    for (let j = 0; j < structured; j++) if (struct[j] !== 0) nonZero++;
    // Unique ids of each bag, in first-seen order; the bags are disjoint because each has its own offset.
    const wordEnd = addBag(scratch, words, o.word, 0, generation, shift);
    const charEnd = charRepeats
      ? addRepeated(scratch, chars, charRepeats.counts, o.char, wordEnd, generation, shift)
      : addBag(scratch, chars, o.char, wordEnd, generation, shift);
    const conversationEnd = addBag(scratch, gloveConversation, o.gloveMean, charEnd, generation, shift);
    const lastEnd = addBag(scratch, gloveLastUser, o.lastMean, conversationEnd, generation, shift);
    const knownEnd = addBag(scratch, known, o.knownChars, lastEnd, generation, shift);
    const charTotal = charRepeats ? charRepeats.total : chars.length;
    const ends = [wordEnd, charEnd, conversationEnd, lastEnd, knownEnd];
    const sizes = [words.length, charTotal, gloveConversation.length, gloveLastUser.length, charTotal];
    const total = knownEnd + nonZero + 1;
    const ids = new Int32Array(total);
    const weights = new Float32Array(total);
    ids.set(scratch.order.subarray(0, knownEnd));
    const counts = scratch.counts;
    let k = 0;
    for (let bag = 0; bag < 5; bag++) {
      const inverse = 1 / Math.max(1, sizes[bag] ?? 1);
      const end = ends[bag] ?? 0;
      for (; k < end; k++) weights[k] = (counts[k] as number) * inverse;
    }
    for (let j = 0; j < structured; j++) {
      const value = struct[j] as number;
      if (value === 0) continue;
      ids[k] = o.struct + j;
      weights[k++] = value;
    }
    ids[k] = o.bias;
    weights[k] = 1;

    // Maxima: the distinct GloVe rows of the conversation and of the last user turn, padded with row 0.
    const conversationStart = charEnd;
    const lastStart = conversationEnd;
    const conversationRows = lastStart - conversationStart;
    const lastRows = lastEnd - lastStart;
    const maxWidth = Math.max(1, conversationRows, lastRows);
    const maxIds = new Int32Array(2 * maxWidth);
    for (let i = 0; i < conversationRows; i++)
      maxIds[i] = (ids[conversationStart + i] as number) - o.gloveMean;
    for (let i = 0; i < lastRows; i++) maxIds[maxWidth + i] = (ids[lastStart + i] as number) - o.lastMean;
    return { ids, weights, maxIds, maxWidth, struct };
  }
}

const EMPTY = new Int32Array(0);

/** Dedup scratch of one builder: an open-addressing table of `keys.length` (a power of two) slots. */
interface Scratch {
  keys: Int32Array;
  slots: Int32Array;
  stamps: Int32Array;
  order: Int32Array;
  counts: Int32Array;
}

/**
 * Adds one bag's ids (shifted by `offset`) to the unique list from `unique` on, counting repeats; returns the new
 * end. A free function over typed arrays: JSC compiles it tighter than the same loop as a method.
 */
function addBag(
  scratch: Scratch,
  list: Int32Array,
  offset: number,
  unique: number,
  generation: number,
  shift: number,
): number {
  const { keys, slots, stamps, order, counts } = scratch;
  const mask = keys.length - 1;
  const n = list.length;
  for (let i = 0; i < n; i++) {
    const id = (list[i] as number) + offset;
    let at = Math.imul(id, -1640531535) >>> shift;
    for (;;) {
      if (stamps[at] !== generation) {
        stamps[at] = generation;
        keys[at] = id;
        slots[at] = unique;
        order[unique] = id;
        counts[unique++] = 1;
        break;
      }
      if (keys[at] === id) {
        const slot = slots[at] as number;
        counts[slot] = (counts[slot] as number) + 1;
        break;
      }
      at = (at + 1) & mask;
    }
  }
  return unique;
}

/** `addBag` where each id stands for `repeats[i]` occurrences. */
function addRepeated(
  scratch: Scratch,
  list: Int32Array,
  repeats: Int32Array,
  offset: number,
  unique: number,
  generation: number,
  shift: number,
): number {
  const { keys, slots, stamps, order, counts } = scratch;
  const mask = keys.length - 1;
  const n = list.length;
  for (let i = 0; i < n; i++) {
    const id = (list[i] as number) + offset;
    const repeat = repeats[i] as number;
    let at = Math.imul(id, -1640531535) >>> shift;
    for (;;) {
      if (stamps[at] !== generation) {
        stamps[at] = generation;
        keys[at] = id;
        slots[at] = unique;
        order[unique] = id;
        counts[unique++] = repeat;
        break;
      }
      if (keys[at] === id) {
        const slot = slots[at] as number;
        counts[slot] = (counts[slot] as number) + repeat;
        break;
      }
      at = (at + 1) & mask;
    }
  }
  return unique;
}
