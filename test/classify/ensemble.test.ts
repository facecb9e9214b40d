// Averaging members gives exactly the mean of their logits; the ordinal training target.

import { expect, test } from "bun:test";
import { combineMembers } from "../../src/classify/build/ensemble";
import {
  createParams,
  createRandom,
  createTrace,
  type Example,
  forward,
  ordinalTarget,
} from "../../src/classify/build/model";
import { DEFAULT_TRAIN, train } from "../../src/classify/build/train";

test.each([0, 5])("hidden=%i: combined logits are the members' mean", (hidden) => {
  const random = createRandom(7);
  const shape = { buckets: 32, dim: 4, dense: 6, hidden };
  const members = [createParams(shape, random), createParams(shape, random), createParams(shape, random)];
  for (const member of members) {
    for (let i = 0; i < member.b1.length; i++) member.b1[i] = random() - 0.5;
  }
  const example: Example = {
    ngramIds: Int32Array.from([1, 5, 5, 9]),
    charIds: Int32Array.from([2, 3, 31]),
    dense: Float32Array.from({ length: 6 }, () => random() * 2 - 1),
    label: 0,
  };
  const expected = [0, 0, 0];
  for (const member of members) {
    const logits = forward(member, example, createTrace(shape));
    for (let c = 0; c < 3; c++) expected[c] = (expected[c] ?? 0) + (logits[c] ?? 0) / members.length;
  }
  const combined = combineMembers(members);
  const actual = forward(combined, example, createTrace(combined.shape));
  for (let c = 0; c < 3; c++) expect(actual[c]).toBeCloseTo(expected[c] ?? Number.NaN, 5);
  expect(combined.shape).toEqual({ buckets: 32, dim: 12, dense: 6, hidden: hidden * 3 });
});

test.each([
  [0, 0.15, [0.85, 0.15, 0]],
  [1, 0.15, [0.075, 0.85, 0.075]],
  [2, 0.15, [0, 0.15, 0.85]],
  [2, 0, [0, 0, 1]],
])("ordinal target of label %i with smoothing %p", (label, smoothing, expected) => {
  ordinalTarget(label, smoothing).forEach((value, index) => {
    expect(value).toBeCloseTo(expected[index] ?? Number.NaN, 9);
  });
});

test("a dense-only member keeps its table and direct weights at zero, so n-grams cannot move its logits", () => {
  const shape = { buckets: 32, dim: 4, dense: 6, hidden: 0, direct: true };
  const random = createRandom(3);
  const examples: Example[] = Array.from({ length: 24 }, (_, i) => ({
    ngramIds: Int32Array.from([i % 32, (i * 7) % 32]),
    charIds: Int32Array.from([(i * 3) % 32]),
    dense: Float32Array.from({ length: 6 }, () => random() * 2 - 1),
    label: i % 3,
  }));
  const options = { ...DEFAULT_TRAIN, maxEpochs: 3, batchSize: 4 };
  const dense = train(shape, examples, examples, { ...options, ngrams: 0 }, () => {}).params;
  expect(dense.table.every((value) => value === 0)).toBe(true);
  expect(dense.direct.every((value) => value === 0)).toBe(true);
  expect(dense.w1.some((value) => value !== 0)).toBe(true);
  const moved = { ...examples[0]!, ngramIds: Int32Array.from([9, 10, 11]), charIds: Int32Array.from([12]) };
  expect([...forward(dense, moved, createTrace(shape))]).toEqual([
    ...forward(dense, examples[0]!, createTrace(shape)),
  ]);
  // The same training with n-grams learns table rows and direct weights.
  const full = train(shape, examples, examples, options, () => {}).params;
  expect(full.direct.some((value) => value !== 0)).toBe(true);
});
