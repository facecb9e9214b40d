// The work probe counts quantity words, relation cues and distinct units of the last user turn.

import { describe, expect, test } from "bun:test";
import {
  QUANT_COLUMNS,
  quantColumns,
  quantityCounts,
  WORK_COLUMNS,
  workColumns,
  workCounts,
} from "../../src/classify/build/work-signals";

describe("workCounts", () => {
  test.each([
    ["", { quantityWords: 0, relations: 0, units: 0 }],
    ["What is the capital of France?", { quantityWords: 0, relations: 0, units: 0 }],
    // twice: a quantity and a relation; each x2; total; cents (one unit).
    [
      "He sends 700 small coupons and twice as many big ones. If each small coupon costs 5 cents and each big " +
        "coupon costs 15 cents, how much does he spend in total?",
      { quantityWords: 1, relations: 4, units: 1 },
    ],
    // feet and inches are two units; Three/three are quantity words whatever the case.
    [
      "Xavier was 4 feet tall and grew 3 inches. Three friends, three weeks, 20% more than before.",
      { quantityWords: 2, relations: 3, units: 3 },
    ],
    // $ is the dollar; dollars folds onto it; words inside longer words do not count (someone, perfect, lefty).
    ["$5 and 7 dollars for someone perfect and lefty", { quantityWords: 0, relations: 0, units: 1 }],
  ])("%p", (text, expected) => {
    expect(workCounts(text)).toEqual(expected);
  });
});

describe("workColumns", () => {
  test("log1p of the counts of the last user turn only", () => {
    const columns = workColumns({
      messages: [
        { role: "user", content: "each each each per" },
        { role: "assistant", content: "one two" },
        { role: "user", content: [{ type: "text", text: "half of 3 miles and 2 hours" }] },
      ],
      tools: false,
      images: false,
      jsonMode: false,
    });
    expect(WORK_COLUMNS.length).toBe(3);
    expect([...columns]).toEqual([
      Math.fround(Math.log1p(1)),
      Math.fround(Math.log1p(1)),
      Math.fround(Math.log1p(2)),
    ]);
  });
});

describe("quantityCounts", () => {
  test.each([
    ["", { quantities: 0, prose: true }],
    ["Who sang Thriller?", { quantities: 0, prose: true }],
    // 4, 3, 50, 2 are digit runs; twice and three are words; 3.5 and 1,200 are one run each.
    [
      "Xavier was 4 feet tall and grew 3 inches. Cole was 50 inches and grew 2. Twice that for three weeks.",
      { quantities: 6, prose: true },
    ],
    ["It costs 3.5 dollars or 1,200 cents, half of it.", { quantities: 3, prose: true }],
    // Markup of any kind is not prose: LaTeX, dollars, code, an equality test, braces.
    ["What is $2+3$ when x is 4?", { quantities: 3, prose: false }],
    ["Compute \\frac 1 2", { quantities: 2, prose: false }],
    ["assert f(2) == 3", { quantities: 2, prose: false }],
    ["Return `x` for 2 items", { quantities: 1, prose: false }],
    // Two option lines make it multiple choice; one does not; someone/often hold no quantity word.
    ["Pick one of 2:\nA. 10\nB. 20", { quantities: 4, prose: false }],
    ["Someone often says:\n(a) nothing at all", { quantities: 0, prose: true }],
  ])("%p", (text, expected) => {
    expect(quantityCounts(text)).toEqual(expected);
  });
});

describe("quantColumns", () => {
  test("the last user turn's quantities, crossed with the prose flag", () => {
    const input = (text: string) => ({
      messages: [
        { role: "user" as const, content: "1 2 3 4 5 6 7 8 9" },
        { role: "assistant" as const, content: "ten" },
        { role: "user" as const, content: text },
      ],
      tools: false,
      images: false,
      jsonMode: false,
    });
    const log4 = Math.fround(Math.log1p(4));
    expect(QUANT_COLUMNS.length).toBe(9);
    expect([...quantColumns(input("Tom has 3 apples, buys two, eats 1 and gives half away."))]).toEqual([
      log4,
      1,
      log4,
      1,
      1,
      1,
      0,
      0,
      0,
    ]);
    expect([...quantColumns(input("If $x = 3$ and $y = 4$, add 1 and 2."))]).toEqual([
      log4,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
    ]);
  });
});
