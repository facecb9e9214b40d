// Gated experts over the structural signals: gradients, member averaging and the folded standardisation.

import { expect, test } from "bun:test";
import { combineMembers } from "../../src/classify/build/ensemble";
import { createGateTrace, foldGate, gateForward } from "../../src/classify/build/gate";
import {
  backward,
  createGradients,
  createParams,
  createRandom,
  createTrace,
  type Example,
  forward,
  type ModelShape,
  softmax,
} from "../../src/classify/build/model";

const shape: ModelShape = { buckets: 32, dim: 4, dense: 9, hidden: 0, experts: 3, structSize: 5 };

function example(random: () => number, label = 2): Example {
  return {
    ngramIds: Int32Array.from([1, 5, 5, 9]),
    charIds: Int32Array.from([2, 3, 31]),
    dense: Float32Array.from({ length: shape.dense }, () => random() * 2 - 1),
    label,
  };
}

const loss = (logits: ArrayLike<number>, label: number) => -Math.log(softmax(logits)[label] ?? 0);

test("the gate's and the experts' gradients match finite differences", () => {
  const random = createRandom(3);
  const params = createParams(shape, random);
  const gate = params.gate;
  if (!gate) throw new Error("no gate");
  for (let i = 0; i < gate.expert.length; i++) gate.expert[i] = random() - 0.5;
  const item = example(random);
  const trace = createTrace(shape, gate);
  const grads = createGradients(params);
  forward(params, item, trace);
  backward(params, item, trace, grads);
  const check = (values: Float32Array, gradient: Float32Array, index: number) => {
    const saved = values[index] ?? 0;
    const h = 1e-2;
    values[index] = saved + h;
    const up = loss(forward(params, item, createTrace(shape, gate)), item.label);
    values[index] = saved - h;
    const down = loss(forward(params, item, createTrace(shape, gate)), item.label);
    values[index] = saved;
    expect(gradient[index] ?? Number.NaN).toBeCloseTo((up - down) / (2 * h), 3);
  };
  for (const index of [0, 4, 5, 13, 17]) check(gate.gate, grads.gate, index);
  for (const index of [0, 5, 11, 29, 53]) check(gate.expert, grads.expert, index);
  expect(grads.gate.some((value) => value !== 0)).toBe(true);
});

test("combined members with gates give the mean of the members' logits", () => {
  const random = createRandom(9);
  const members = [createParams(shape, random), createParams(shape, random)];
  for (const member of members)
    for (let i = 0; i < (member.gate?.expert.length ?? 0); i++) member.gate!.expert[i] = random() - 0.5;
  const item = example(random);
  const expected = [0, 0, 0];
  for (const member of members) {
    const logits = forward(member, item, createTrace(shape, member.gate));
    for (let c = 0; c < 3; c++) expected[c] = (expected[c] ?? 0) + (logits[c] ?? 0) / 2;
  }
  const combined = combineMembers(members);
  expect([combined.gate?.groups, combined.gate?.experts]).toEqual([2, 3]);
  const actual = forward(combined, item, createTrace(combined.shape, combined.gate));
  for (let c = 0; c < 3; c++) expect(actual[c]).toBeCloseTo(expected[c] ?? Number.NaN, 5);
  expect(Math.abs((actual[2] ?? 0) - (actual[0] ?? 0))).toBeGreaterThan(1e-3);
});

test("folding the standardisation into the gate gives the same mixture on raw signals", () => {
  const random = createRandom(5);
  const gate = createParams(shape, random).gate;
  if (!gate) throw new Error("no gate");
  for (let i = 0; i < gate.expert.length; i++) gate.expert[i] = random() - 0.5;
  const raw = Float32Array.from([3, 0.5, 12, 1, 0]);
  const mean = Float32Array.from([2, 0.25, 10, 0.5, 0]);
  const inverse = Float32Array.from([0.5, 4, 0.1, 2, 0]);
  const standardised = raw.map((value, i) => (value - (mean[i] ?? 0)) * (inverse[i] ?? 0));
  const expected = [0.1, -0.2, 0.3];
  gateForward(gate, standardised, 0, expected, createGateTrace(gate));
  const folded = foldGate(gate, mean, inverse);
  const actual = [0.1, -0.2, 0.3];
  gateForward(folded, [...raw, 1], 0, actual, createGateTrace(folded));
  for (let c = 0; c < 3; c++) expect(actual[c]).toBeCloseTo(expected[c] ?? Number.NaN, 5);
  expect(actual).not.toEqual([0.1, -0.2, 0.3]);
});
