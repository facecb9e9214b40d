// The cross-validation runner's folds keep item groups together, and its ensemble score is the mean's argmax.

import { describe, expect, test } from "bun:test";
import {
  groupFolds,
  itemGroup,
  parseTrainOverrides,
  stoppingSplit,
  summedAccuracy,
  withExtraColumns,
} from "../../src/classify/build/cross-validate";
import type { Prepared } from "../../src/classify/build/dataset";
import type { Example } from "../../src/classify/build/model";
import type { LabelledRequest } from "../../src/classify/index";

function row(id: string): LabelledRequest {
  return {
    id,
    source: "test",
    tier: "simple",
    input: { messages: [{ role: "user", content: id }], tools: false, images: false, jsonMode: false },
  };
}

describe("itemGroup", () => {
  test("a multi-turn variant and MT-Bench turns share their item's group", () => {
    expect(itemGroup("gsm8k-12-mt")).toBe("gsm8k-12");
    expect(itemGroup("mtbench-81-t1")).toBe("mtbench-81");
    expect(itemGroup("mtbench-81-t2")).toBe("mtbench-81");
    expect(itemGroup("nq-7")).toBe("nq-7");
  });
});

describe("groupFolds", () => {
  const ids = Array.from({ length: 40 }, (_, i) => `item-${i}`);
  const rows = [...ids.map(row), ...ids.filter((_, i) => i % 3 === 0).map((id) => row(`${id}-mt`))];
  const folds = groupFolds(rows, 5);

  test("an item and its variant land in the same fold", () => {
    const foldOf = new Map(rows.map((r, index) => [r.id, folds[index]]));
    for (const id of ids.filter((_, i) => i % 3 === 0)) expect(foldOf.get(`${id}-mt`)).toBe(foldOf.get(id));
  });

  test("groups are dealt evenly over the folds, the same way every time", () => {
    const groupsPerFold = [0, 0, 0, 0, 0];
    ids.forEach((_, i) => {
      groupsPerFold[folds[i] ?? -1]!++;
    });
    expect(groupsPerFold).toEqual([8, 8, 8, 8, 8]);
    expect(groupFolds(rows, 5)).toEqual(folds);
    // The order of rows does not matter: the fold follows the group's name.
    const reversed = groupFolds([...rows].reverse(), 5).reverse();
    expect(reversed).toEqual(folds);
  });
});

describe("summedAccuracy", () => {
  test("scores the argmax of the summed member logits, not any one member", () => {
    // Two members disagree on the first example; their sum says class 2 (label 2), then 0 (label 1), then 1 (label 1).
    const sums = [
      Float64Array.from([0.5 + 0, 0 + 0.2, 0 + 1]),
      Float64Array.from([2, 1, 0]),
      Float64Array.from([0, 3, -1]),
    ];
    expect(summedAccuracy(sums, [{ label: 2 }, { label: 1 }, { label: 1 }])).toBeCloseTo(2 / 3, 10);
    expect(summedAccuracy([], [])).toBe(0);
  });
});

describe("parseTrainOverrides", () => {
  test("reads numeric overrides of the training settings", () => {
    expect(parseTrainOverrides("")).toEqual({});
    expect(parseTrainOverrides("inputDropout=0.2,averageFrom=5")).toEqual({
      inputDropout: 0.2,
      averageFrom: 5,
    });
  });

  test("refuses unknown keys, the seed and values that are not numbers", () => {
    expect(() => parseTrainOverrides("learningRate=1")).toThrow("learningRate=1");
    expect(() => parseTrainOverrides("seed=6")).toThrow("seed=6");
    expect(() => parseTrainOverrides("dropout=high")).toThrow("dropout=high");
    expect(() => parseTrainOverrides("dropout=")).toThrow("dropout=");
  });
});

describe("withExtraColumns", () => {
  const prepared = {
    rows: [row("each of 3 miles per hour")],
    encoded: [],
    raw: [Float32Array.from([7, 8])],
  };

  test("appends the work probe's three columns after the dense vector", () => {
    const out = withExtraColumns(prepared as unknown as Prepared, "work");
    expect([...out.raw[0]!]).toEqual([7, 8, 0, Math.fround(Math.log1p(2)), Math.fround(Math.log1p(2))]);
    expect(prepared.raw[0]!.length).toBe(2);
  });

  test("no extra leaves the rows alone; an unknown probe is refused", () => {
    expect(withExtraColumns(prepared as unknown as Prepared, "")).toBe(prepared as unknown as Prepared);
    expect(() => withExtraColumns(prepared as unknown as Prepared, "steps")).toThrow("steps");
  });
});

describe("stoppingSplit", () => {
  const ids = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `g-${i >> 1}` : `g-${i >> 1}-mt`));
  const rows = ids.map(row);
  const examples: Example[] = rows.map((_, i) => ({
    ngramIds: Int32Array.of(i),
    charIds: Int32Array.of(i),
    dense: new Float32Array(1),
    label: 0,
  }));
  const held = examples.slice(0, 3);

  test("held: members train on every inner row and stop on the held-out fold (the earlier protocol)", () => {
    const { fit, stop } = stoppingSplit("held", rows, examples, held, 5);
    expect(fit).toBe(examples);
    expect(stop).toBe(held);
  });

  test("inner: one of four group folds of the inner rows stops, the rest train; groups never straddle", () => {
    const { fit, stop } = stoppingSplit("inner", rows, examples, held, 5);
    expect(fit.length + stop.length).toBe(40);
    expect(stop.length).toBe(10); // 20 groups of 2 dealt over 4 folds: 5 groups
    const groupOf = (set: Example[]) =>
      new Set(set.map((example) => itemGroup(ids[example.ngramIds[0] as number] as string)));
    const stopGroups = groupOf(stop);
    expect([...groupOf(fit)].some((group) => stopGroups.has(group))).toBe(false);
  });
});
