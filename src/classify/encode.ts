// Turns a request into the model's inputs (n-gram ids, GloVe ids, structural vector) with bounded work.

import { InputBuilder, type ModelInputs } from "./bag";
import { buildSignals, conversationShape, messageText, STRUCT_SIZE, structVector } from "./features";
import { addCounts, countText, emptyCounts } from "./text-counts";
import { IdBuffer, type TextHasher, WordBag } from "./tokenize";
import type { ClassifyInput, Signals } from "./types";

/** How much text the learned channels read: very long prompts are sampled head + tail. */
export interface SampleConfig {
  /** Characters kept from the last user turn. */
  lastUserChars: number;
  /** Characters kept from all other messages together, newest first. */
  contextChars: number;
  /** Share of a capped text taken from its head (the rest from its tail). */
  headShare: number;
}

export const DEFAULT_SAMPLE: SampleConfig = { lastUserChars: 8000, contextChars: 4000, headShare: 0.75 };

/** What the request path needs: the graph's inputs and the structural signals. */
export interface ModelRequest {
  signals: Signals;
  inputs: ModelInputs;
}

export interface EncodedRequest extends ModelRequest {
  /** Hashed word unigram + bigram bucket ids (never empty: the bias id comes first). */
  ngramIds: Int32Array;
  /** Hashed character n-gram bucket ids (never empty: the bias id comes first). */
  charIds: Int32Array;
  /** GloVe rows over the sampled conversation (row 0, the zero row, comes first). */
  gloveConversation: Int32Array;
  /** GloVe rows over the sampled last user turn (row 0 first). */
  gloveLastUser: Int32Array;
  struct: Float32Array;
  signals: Signals;
  /** The same request as the graph takes it: unique ids with per-bag weights. */
  inputs: ModelInputs;
}

/** Head + tail of a text, at most `limit` characters. */
export function capText(text: string, limit: number, headShare: number): string {
  if (text.length <= limit) return text;
  if (limit <= 0) return "";
  const head = Math.ceil(limit * headShare);
  const tail = limit - head;
  return tail > 0 ? `${text.slice(0, head)}\n${text.slice(text.length - tail)}` : text.slice(0, head);
}

function lastUserIndex(input: ClassifyInput): number {
  for (let i = input.messages.length - 1; i >= 0; i--) if (input.messages[i]?.role === "user") return i;
  return input.messages.length - 1;
}

/** Encodes requests; holds scratch buffers, so one encoder serves one caller at a time. */
export class RequestEncoder {
  private readonly ngrams = new IdBuffer(4096);
  private readonly chars = new IdBuffer(16384);
  private readonly glove = new IdBuffer(4096);
  private readonly repeats = new IdBuffer(4096);
  private readonly known = new IdBuffer(4096);
  private readonly words = new WordBag();
  private readonly inputBuilder: InputBuilder;

  constructor(
    private readonly hasher: TextHasher,
    private readonly sample: SampleConfig = DEFAULT_SAMPLE,
  ) {
    this.inputBuilder = new InputBuilder({
      buckets: hasher.buckets,
      gloveRows: hasher.gloveRows,
      structSize: STRUCT_SIZE,
    });
  }

  /** Everything the build needs: the id lists with repeats as well as the graph's inputs. */
  encode(input: ClassifyInput): EncodedRequest {
    return this.run(input, false) as EncodedRequest;
  }

  /**
   * The request path: only the graph's inputs and the signals. Each distinct word's character n-grams are hashed
   * once and weighted by the word's count, which gives the same inputs as `encode` (up to order and rounding).
   */
  encodeRequest(input: ClassifyInput): ModelRequest {
    return this.run(input, true);
  }

  private run(input: ClassifyInput, distinct: boolean): ModelRequest | EncodedRequest {
    const texts = input.messages.map(messageText);
    const shape = conversationShape(input.messages, texts);
    const last = lastUserIndex(input);
    const sampled = this.sampleTexts(texts, last);

    const counts = emptyCounts();
    const lastCounts = emptyCounts();
    this.ngrams.reset();
    this.chars.reset();
    this.glove.reset();
    const words = distinct ? this.words : undefined;
    const known = distinct ? this.known : undefined;
    words?.reset();
    known?.reset();
    this.hasher.takeKnownGrams();
    const bias = this.hasher.biasIds();
    this.ngrams.push(bias.word);
    this.chars.push(bias.char);
    this.glove.push(0);
    let tokens = 0;
    let lastStart = 1;
    let lastEnd = 1;
    let lastUserTokens = 0;
    let wasSampled = false;
    for (let index = 0; index < sampled.length; index++) {
      const text = sampled[index] as string;
      if (text.length < (texts[index]?.length ?? 0)) wasSampled = true;
      if (!text) continue;
      if (index === last) {
        countText(text, lastCounts);
        addCounts(counts, lastCounts);
      } else countText(text, counts);
      if (index === last) lastStart = this.glove.length;
      const count = this.hasher.hash(text, this.ngrams, this.chars, this.glove, words, known);
      tokens += count;
      if (index === last) {
        lastEnd = this.glove.length;
        lastUserTokens = count;
      }
    }

    const gloveLastUser = new Int32Array(1 + lastEnd - lastStart);
    gloveLastUser.set(this.glove.data.subarray(lastStart, lastEnd), 1);
    const signals = buildSignals({
      shape,
      counts,
      lastCounts,
      tokens,
      codeTokens: counts.code,
      lastUserTokens,
      sampled: wasSampled,
      tools: input.tools,
      images: input.images,
      jsonMode: input.jsonMode,
    });
    const struct = structVector(signals, shape.totalChars);
    if (words) {
      this.repeats.reset();
      this.repeats.push(1); // the bias id
      const total =
        1 + this.hasher.emitDistinct(words, this.chars, this.repeats) + this.hasher.takeKnownGrams();
      const inputs = this.inputBuilder.build(
        this.ngrams.data.subarray(0, this.ngrams.length),
        this.chars.data.subarray(0, this.chars.length),
        this.glove.data.subarray(0, this.glove.length),
        gloveLastUser,
        struct,
        {
          counts: this.repeats.data.subarray(0, this.repeats.length),
          total,
          known: this.known.data.subarray(0, this.known.length),
        },
      );
      return { signals, inputs };
    }
    const ngramIds = this.ngrams.toArray();
    const charIds = this.chars.toArray();
    const gloveConversation = this.glove.toArray();
    const inputs = this.inputBuilder.build(ngramIds, charIds, gloveConversation, gloveLastUser, struct);
    return { ngramIds, charIds, gloveConversation, gloveLastUser, struct, signals, inputs };
  }

  /** The last user turn keeps up to `lastUserChars`; older messages share `contextChars`, newest first. */
  private sampleTexts(texts: readonly string[], last: number): string[] {
    const { lastUserChars, contextChars, headShare } = this.sample;
    const out = texts.map(() => "");
    out[last] = capText(texts[last] ?? "", lastUserChars, headShare);
    let budget = contextChars;
    for (let i = texts.length - 1; i >= 0 && budget > 0; i--) {
      if (i === last) continue;
      const text = capText(texts[i] ?? "", budget, headShare);
      out[i] = text;
      budget -= text.length;
    }
    return out;
  }
}
