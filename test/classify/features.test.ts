// Feature extraction and tokenisation, table-driven with asserted values.

import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { expandKnownChars, InputBuilder, layoutOffsets } from "../../src/classify/bag";
import { readCorpus } from "../../src/classify/corpus";
import { capText, RequestEncoder } from "../../src/classify/encode";
import { estimateTokens, STRUCT_SIZE } from "../../src/classify/features";
import { countText, emptyCounts, type TextCounts } from "../../src/classify/text-counts";
import { hashWord, IdBuffer, TextHasher, WordTable, words } from "../../src/classify/tokenize";
import type { ClassifyInput } from "../../src/classify/types";
import type { ChatMessage } from "../../src/openai/types";

const config = { buckets: 1024, minN: 3, maxN: 5, maxWordChars: 24 };

describe("words", () => {
  test.each([
    ["Hello, World!", ["hello", ",", "world", "!"]],
    ["x^2 + 3x", ["x", "^", "2", "+", "3x"]],
    ["  tabs\tand\nlines ", ["tabs", "and", "lines"]],
    ["Straße café", ["straße", "café"]],
    ["", []],
  ])("%p", (text, expected) => {
    expect(words(text)).toEqual(expected);
  });
});

describe("TextHasher", () => {
  // words + bigrams go to one list, character n-grams of "<word>" to the other.
  test.each([
    ["abc", 1, 6],
    ["ab cd", 3, 6],
    ["a!", 3, 1],
    ["hello world", 3, 2 * (5 + 4 + 3)],
  ])("%p gives %i word ids and %i char ids", (text, wordIds, charIds) => {
    const hasher = new TextHasher(config, undefined);
    const ngrams = new IdBuffer(4);
    const chars = new IdBuffer(4);
    hasher.hash(text, ngrams, chars, undefined);
    expect(ngrams.length).toBe(wordIds);
    expect(chars.length).toBe(charIds);
    expect([...ngrams.toArray(), ...chars.toArray()].every((id) => id >= 0 && id < config.buckets)).toBe(
      true,
    );
  });

  test("hashing ignores case and is stable", () => {
    const hasher = new TextHasher(config, undefined);
    const one = [new IdBuffer(), new IdBuffer()] as const;
    const two = [new IdBuffer(), new IdBuffer()] as const;
    hasher.hash("Binary Search", one[0], one[1], undefined);
    hasher.hash("binary search", two[0], two[1], undefined);
    expect(one[0].toArray()).toEqual(two[0].toArray());
    expect(one[1].toArray()).toEqual(two[1].toArray());
    expect(hashWord("the")).toBe(3020861980); // FNV-1a 32 of "the"
  });

  test.each([
    ["the", 1],
    ["cat", 2],
    ["CAT", 2],
    ["dog", 0],
  ])("WordTable maps %p to row %i", (word, row) => {
    expect(new WordTable(["the", "cat"]).get(hashWord(word))).toBe(row);
  });
});

describe("countText", () => {
  test.each<[string, Partial<TextCounts>]>([
    ["What? Why?", { questions: 2, nonSpace: 9, upper: 2, sentences: 2 }],
    ["1. one\n2. two\n- three\nnot a list", { listItems: 3, newlines: 3, digits: 2, numbers: 2 }],
    ["```js\nx = 1;\n```", { fences: 2, newlines: 2, digits: 1 }],
    ["$\\frac{a}{b} + \\alpha$", { latex: 2 }],
    ["a+b=c", { math: 2, nonSpace: 5 }],
  ])("%p", (text, expected) => {
    const counts = emptyCounts();
    countText(text, counts);
    expect(counts).toMatchObject(expected);
  });
});

describe("capText", () => {
  test.each([
    ["short", 10, "short"],
    ["abcdefghij", 4, "abc\nj"],
    ["abcdefghij", 0, ""],
  ])("%p capped at %i", (text, limit, expected) => {
    expect(capText(text, limit, 0.75)).toBe(expected);
  });
});

const message = (role: ChatMessage["role"], content: ChatMessage["content"]): ChatMessage => ({
  role,
  content,
});
const request = (messages: ChatMessage[], extra: Partial<ClassifyInput> = {}): ClassifyInput => ({
  messages,
  tools: false,
  images: false,
  jsonMode: false,
  ...extra,
});

describe("signals", () => {
  const encoder = new RequestEncoder(new TextHasher(config, new WordTable(["hi", "there"])));
  test.each<[string, ClassifyInput, Record<string, unknown>]>([
    [
      "greeting",
      request([message("user", "hi there!")]),
      {
        estimatedTokens: 7,
        turns: 1,
        userTurns: 1,
        systemChars: 0,
        lastUserChars: 9,
        questions: 0,
        images: false,
      },
    ],
    [
      "system + multi-turn",
      request([
        message("system", "You are terse."),
        message("user", "What is 2+2?"),
        message("assistant", "4"),
        message("user", "Why?"),
      ]),
      {
        turns: 3,
        userTurns: 2,
        systemChars: 14,
        lastUserChars: 4,
        questions: 2,
        estimatedTokens: estimateTokens(31, 4),
      },
    ],
    [
      "image part, tools and JSON mode",
      request(
        [
          message("user", [
            { type: "text", text: "Describe this" },
            { type: "image_url", image_url: { url: "data:," } },
          ]),
        ],
        { tools: true, jsonMode: true },
      ),
      { images: true, tools: true, jsonMode: true, lastUserChars: 13 },
    ],
    [
      "code",
      request([message("user", "```py\ndef f(x):\n    return x[0]\n```")]),
      { codeFences: 2, codeTokenRatio: 0.5556, lastUserTokens: 18 }, // 10 code tokens (6 backticks, ( ) [ ]) of 18
    ],
  ])("%s", (_name, input, expected) => {
    expect(encoder.encode(input).signals).toMatchObject(expected);
  });

  test("the encoded ids carry bias ids and GloVe rows of known words", () => {
    const encoded = encoder.encode(request([message("user", "hi there!")]));
    expect([...encoded.gloveConversation]).toEqual([0, 1, 2]);
    expect([...encoded.gloveLastUser]).toEqual([0, 1, 2]);
    expect(encoded.ngramIds.length).toBe(1 + 3 + 2);
    expect(encoded.struct.length).toBeGreaterThan(10);
  });

  test("a 200,000-character prompt is sampled", () => {
    const encoded = encoder.encode(request([message("user", "lorem ipsum ".repeat(16667))]));
    expect(encoded.signals.sampled).toBe(true);
    expect(encoded.signals.lastUserChars).toBe(200004);
    expect(encoded.ngramIds.length).toBeLessThan(3000);
  });
});

describe("InputBuilder", () => {
  // Layout: 16 buckets -> words 0..15, chars 16..31; 4 GloVe rows -> conversation 32..35, last user 36..39,
  // known words 40..43; 2 structural rows 44..45; bias 46.
  test.each([
    [
      [5, 5, 7],
      [7],
      [0, 2],
      [0],
      [0, 3],
      [5, 7, 23, 32, 34, 36, 45, 46],
      [2 / 3, 1 / 3, 1, 0.5, 0.5, 1, 3, 1],
      [0, 2, 0, 0],
    ],
    [[1], [], [0], [0], [0, 0], [1, 32, 36, 46], [1, 1, 1, 1], [0, 0]],
    [
      [3, 4],
      [4, 9],
      [0, 1, 2, 1],
      [0, 2],
      [1.5, 0],
      [3, 4, 20, 25, 32, 33, 34, 36, 38, 44, 46],
      [0.5, 0.5, 0.5, 0.5, 0.25, 0.5, 0.25, 0.5, 0.5, 1.5, 1],
      [0, 1, 2, 0, 2, 0],
    ],
  ])("%p + %p, GloVe %p / %p", (first, second, conversation, last, struct, ids, weights, maxIds) => {
    const built = new InputBuilder({ buckets: 16, gloveRows: 4, structSize: 2 }).build(
      Int32Array.from(first),
      Int32Array.from(second),
      Int32Array.from(conversation),
      Int32Array.from(last),
      Float32Array.from(struct),
    );
    expect([...built.ids]).toEqual(ids);
    [...built.weights].forEach((weight, index) => {
      expect(weight).toBeCloseTo(weights[index] ?? Number.NaN, 6);
    });
    expect([...built.maxIds]).toEqual(maxIds);
  });
});

describe("known words", () => {
  const vocabulary = ["the", "cat"];
  const tokenizer = { buckets: 1 << 12, minN: 3, maxN: 5, maxWordChars: 24 };
  const hasher = new TextHasher(tokenizer, new WordTable(vocabulary));
  const encoder = new RequestEncoder(hasher);
  const offsets = layoutOffsets({ buckets: tokenizer.buckets, gloveRows: 3, structSize: STRUCT_SIZE });

  test("a GloVe word's character n-grams are one row of its own, weighted by its share of the bag", () => {
    // "<the>" and "<cat>" have 3 + 2 + 1 = 6 n-grams each; "dog" is unknown: its 6 n-grams are hashed.
    const { inputs } = encoder.encodeRequest(request([message("user", "The cat the dog")]));
    const known = [...inputs.ids].flatMap((id, k) =>
      id >= offsets.knownChars && id < offsets.struct ? [[id - offsets.knownChars, inputs.weights[k]]] : [],
    );
    const total = 1 + 4 * 6; // the bias id + four words
    expect(known.map(([row]) => row)).toEqual([1, 2]);
    expect(known[0]?.[1]).toBeCloseTo(2 / total, 6);
    expect(known[1]?.[1]).toBeCloseTo(1 / total, 6);
    const chars = [...inputs.ids].filter((id) => id >= offsets.char && id < offsets.gloveMean);
    expect(chars.length).toBe(1 + 6); // the bias id + the n-grams of "dog"
  });

  test("vocabulary words longer than maxWordChars have no n-grams of their own", () => {
    const short = new TextHasher({ ...tokenizer, maxWordChars: 4 }, new WordTable(["the", "longer"]));
    const { starts } = short.wordGrams(["the", "longer"]);
    expect([...starts]).toEqual([0, 0, 6, 6]);
  });
});

describe("numbers and sentences", () => {
  test.each([
    ["Tom has 12 apples and 3.5 pears. He eats 2,000 of them!", 3, 2],
    ["no digits here", 0, 0],
    ["Version 1.2.3 is out. Really.", 1, 2],
  ])("%p", (text, numbers, sentences) => {
    const counts = emptyCounts();
    countText(text, counts);
    expect([counts.numbers, counts.sentences]).toEqual([numbers, sentences]);
  });
});

describe("the request path's inputs equal the build's", () => {
  const rows = readCorpus(join(import.meta.dir, "../fixtures/classify/labelled.jsonl"));
  const vocabulary = ["the", "a", "of", "is", "what", "write", "function", "prove", "and", "international"];
  const tokenizer = { buckets: 1 << 12, minN: 3, maxN: 5, maxWordChars: 8 };
  const hasher = new TextHasher(tokenizer, new WordTable(vocabulary));
  const grams = hasher.wordGrams(vocabulary);
  const offsets = layoutOffsets({
    buckets: tokenizer.buckets,
    gloveRows: vocabulary.length + 1,
    structSize: STRUCT_SIZE,
  });
  const encoder = new RequestEncoder(hasher, { lastUserChars: 600, contextChars: 300, headShare: 0.75 });
  const extra: ClassifyInput[] = [
    request([
      message("user", "internationalisation internationalization Internationalisation x ".repeat(20)),
    ]),
    request([
      message("system", "Be brief. Ünïcödé wörds — and “quotes”."),
      message("user", "what is the the the answer?"),
      message("assistant", "42"),
      message("user", "prove it, and write a function\n```ts\nconst a = [1, 2];\n```"),
    ]),
    request([message("user", "")]),
  ];
  const sum = (ids: Int32Array, weights: Float32Array) => {
    const out = new Map<number, number>();
    ids.forEach((id, k) => {
      out.set(id, (out.get(id) ?? 0) + (weights[k] ?? 0));
    });
    return out;
  };
  const parts = (maxIds: Int32Array, width: number) => [
    new Set(maxIds.subarray(0, width)),
    new Set(maxIds.subarray(width)),
  ];
  test.each([...rows.map((row) => row.input), ...extra].map((input, index) => [index, input] as const))(
    "request %i",
    (_index, input) => {
      const full = encoder.encode(input);
      const fast = encoder.encodeRequest(input);
      expect(fast.signals).toEqual(full.signals);
      const expected = sum(full.inputs.ids, full.inputs.weights);
      const expanded = expandKnownChars(fast.inputs, offsets, grams);
      const actual = sum(expanded.ids, expanded.weights);
      expect([...actual.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
      for (const [id, weight] of expected) expect(actual.get(id)).toBeCloseTo(weight, 6);
      expect(parts(fast.inputs.maxIds, fast.inputs.maxWidth)).toEqual(
        parts(full.inputs.maxIds, full.inputs.maxWidth),
      );
    },
  );
});
