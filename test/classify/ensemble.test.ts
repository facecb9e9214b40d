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
