// The work probe counts quantity words, relation cues and distinct units of the last user turn.

import { describe, expect, test } from "bun:test";
import { WORK_COLUMNS, workColumns, workCounts } from "../../src/classify/build/work-signals";

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
