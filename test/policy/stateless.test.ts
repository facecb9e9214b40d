// The proof behind running a policy's top level once: shipped policies pass, every way of keeping state fails.

import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { provablyStateless } from "../../src/policy/stateless";

const POLICIES = join(import.meta.dir, "..", "..", "policies");

test.each(readdirSync(POLICIES).filter((file) => file.endsWith(".js")))(
  "shipped %s is proven stateless",
  (file) => {
    expect(provablyStateless(readFileSync(join(POLICIES, file), "utf8"))).toBe(true);
  },
);

const ROUTE = `function route(input) { return { model: "openai/gpt-5-nano" }; }`;

test.each([
  [
    "constants, functions and reads",
    `const A = 1, B = "x"; const R = { simple: 0, "medium": 1 }; const L = [1, -2];
    function helper(x) { return R[x] ?? L[0] + A; }
    function route(input) { if (input) /a+/.test(B); return { model: String(helper(R.simple) / 2) }; }`,
  ],
  ["a directive and comments", `"use strict"; /* a */ // b\n${ROUTE}`],
  [
    "template literals",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a policy source with template literals
    "const M = { a: 1 }; function route(input) { return { model: `x${M.a + `${M['a']}`}y${1}` }; }",
  ],
  [
    "a regex after an if head",
    `function route(input) { if (input.now) /x/.test("y"); return { model: "a" }; }`,
  ],
])("%s: proven", (_, source) => {
  expect(provablyStateless(source)).toBe(true);
});

test.each([
  ["a top-level let", `let calls = 0; ${ROUTE}`],
  ["a top-level var", `var calls = 0; ${ROUTE}`],
  ["a mutable array constant", `const memo = []; function route() { memo.push(1); return {}; }`],
  ["an array sorted in place", `const A = [2, 1]; function route() { A.sort(); return {}; }`],
  ["an increment", `const M = { a: 1 }; function route() { M.a++; return {}; }`],
  ["a pre-increment", `const M = { a: 1 }; function route() { ++M.a; return {}; }`],
  ["an assignment", `const M = { a: 1 }; function route() { M.a = 2; return {}; }`],
  ["a computed assignment", `const M = { a: 1 }; function route() { M["a"] += 1; return {}; }`],
  ["a delete", `const M = { a: 1 }; function route() { delete M.a; return {}; }`],
  ["a bare use", `const M = { a: 1 }; function route() { Object.assign(M, { a: 2 }); return {}; }`],
  ["a for-in", `const M = { a: 1 }; function route() { for (const k in M) {} return {}; }`],
  ["a nested literal", `const M = { a: { b: 1 } }; ${ROUTE}`],
  ["a __proto__ key", `const M = { __proto__: null }; ${ROUTE}`],
  ["a getter", `const M = { get a() { return 1; } }; ${ROUTE}`],
  ["a property on route", `function route() { route.count = 1; return {}; }`],
  ["a property on a helper", `function h() {} function route() { h.x = 1; return {}; }`],
  ["a function as a value", `function h() {} function route() { const f = h; return {}; }`],
  [
    "a constructor call",
    `function h() {} function route() { Object.getPrototypeOf(new h()).x = 1; return {}; }`,
  ],
  ["a reassigned function", `function h() {} function route() { h = 1; return {}; }`],
  ["a closure with state", `const next = (() => { let n = 0; return () => n++; })(); ${ROUTE}`],
  ["a call at the top level", `const START = Date.now(); ${ROUTE}`],
  ["a class", `class C {} ${ROUTE}`],
  ["an expression statement", `globalThis.x = 1; ${ROUTE}`],
  ["direct eval", `function route() { eval("1"); return {}; }`],
  ["escaped eval", `function route() { \\u0065val("1"); return {}; }`],
  [
    "a template substitution hiding a write",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a policy source with template literals
    "const M = { a: 1 }; function route() { return { model: `${M.a = 2}` }; }",
  ],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a policy source with template literals
  ["an unterminated template", "function route() { return { model: `a${1}x }; }"],
  ["a regex after a block", `function route() { {} /a/g.test("a"); return {}; }`],
  ["an async function", `async function h() {} ${ROUTE}`],
  ["a generator", `function* h() {} ${ROUTE}`],
  ["no route", `function other() { return {}; }`],
  ["a duplicate declaration", `function route() { return {}; } function route() { return {}; }`],
  ["an unterminated comment", `/* ${ROUTE}`],
  ["a shorthand property", `const M = { a: 1 }; function route() { return { M }; }`],
  ["a method call on a record", `const M = { a: 1 }; function route() { return M.hasOwnProperty("a"); }`],
])("%s: not proven", (_, source) => {
  expect(provablyStateless(source)).toBe(false);
});
