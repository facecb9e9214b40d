// The JavaScript evaluated inside each policy context before the policy: pins Date, removes Math.random,
// freezes the whole realm, and returns the functions the host calls (bind, describe).

import { FIXED_NUMBERS, FIXED_STRINGS } from "./transport";

/**
 * Why each part exists (see docs/decisions/0002-policy-sandbox.md):
 * - the policy's top level runs inside a factory called once per decision, so its `let`s and closures
 *   start fresh every time (2-3 us), unless stateless.ts proves that no decision can change anything the
 *   top level creates (then it runs once, at compile); the
 *   realm (globalThis, every builtin, hidden intrinsics) is deep-frozen before any policy code runs, so
 *   nothing can carry state from one decision to the next;
 * - what the prelude itself keeps between decisions (parsed candidate lists, the last strings array and
 *   key, the empty record and list) is deep-frozen and holds only primitives, so sharing it shares nothing
 *   changeable;
 * - `Date` reads the decision's `now`, `Math.random` throws: a decision is a pure function of its input;
 * - three strings and an ArrayBuffer cross in (the rarely changing strings as a JSON array, or "" when
 *   unchanged; a candidate-list slot; now; the per-request numbers as float64s) and one JSON string
 *   crosses out, which is far cheaper than building handles; the classifier's signals cross (as JSON,
 *   through a host function) only if read.
 */
export const PRELUDE_SOURCE = `(() => {
  "use strict";
  const G = globalThis;
  const { freeze, getPrototypeOf, getOwnPropertyDescriptor, defineProperty } = Object;
  const ownKeys = Reflect.ownKeys;
  const isArray = Array.isArray;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const FunctionPrototype = Function.prototype;
  const OriginalDate = Date;
  const dateParse = Date.parse;
  // Date.parse costs more than a whole small decision here, so the decision time is parsed on first use.
  let nowText = "";
  let nowMs = Number.NaN;
  const now = () => (nowMs === nowMs ? nowMs : (nowMs = dateParse(nowText)));

  function PinnedDate(...args) {
    if (new.target === undefined) return new OriginalDate(now()).toString();
    return args.length === 0 ? new OriginalDate(now()) : new OriginalDate(...args);
  }
  defineProperty(PinnedDate, "name", { value: "Date" });
  PinnedDate.prototype = OriginalDate.prototype;
  PinnedDate.now = function now_() { return now(); };
  PinnedDate.parse = OriginalDate.parse;
  PinnedDate.UTC = OriginalDate.UTC;
  defineProperty(OriginalDate.prototype, "constructor", { value: PinnedDate, writable: true, configurable: true });
  G.Date = PinnedDate;
  Math.random = function random() {
    throw new Error("Math.random is disabled: a policy must be a pure function of its input (hash request.user instead)");
  };
  // Finalizers and weak references would run or observe work outside a decision.
  delete G.FinalizationRegistry;
  delete G.WeakRef;

  const roots = [G];
  const grab = (make) => { try { roots.push(make()); } catch { /* intrinsic absent in this build */ } };
  grab(() => getPrototypeOf(function* () {}));
  grab(() => getPrototypeOf(async function () {}));
  grab(() => getPrototypeOf(async function* () {}));
  grab(() => getPrototypeOf((function* () {})()));
  grab(() => getPrototypeOf((async function* () {})()));
  grab(() => getPrototypeOf([][Symbol.iterator]()));
  grab(() => getPrototypeOf(new Map()[Symbol.iterator]()));
  grab(() => getPrototypeOf(new Set()[Symbol.iterator]()));
  grab(() => getPrototypeOf(""[Symbol.iterator]()));
  grab(() => getPrototypeOf("".matchAll(/a/g)));
  grab(() => getPrototypeOf([].values().map((x) => x)));
  grab(() => getPrototypeOf(Iterator.from({ next() { return { done: true }; } })));
  grab(() => getOwnPropertyDescriptor(FunctionPrototype, "caller").get);
  const seen = new Set();
  while (roots.length > 0) {
    const value = roots.pop();
    if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value)) continue;
    seen.add(value);
    freeze(value);
    for (const key of ownKeys(value)) {
      const descriptor = getOwnPropertyDescriptor(value, key);
      if (descriptor === undefined) continue;
      if ("value" in descriptor) roots.push(descriptor.value);
      else roots.push(descriptor.get, descriptor.set);
    }
    roots.push(getPrototypeOf(value));
  }

  function freezeInput(value) {
    if (typeof value !== "object" || value === null) return value;
    if (isArray(value)) for (let i = 0; i < value.length; i++) freezeInput(value[i]);
    else for (const key in value) freezeInput(value[key]);
    return freeze(value);
  }

  // Candidates change only when health, latency or the catalog does: the host sends the static part of each
  // distinct list (id, provider, tier, prices, context window, capabilities) once into a slot and then names
  // the slot; when a candidate's health or p50 changes, the list is rebuilt from the numbers, reusing every
  // unchanged candidate object and the frozen prices and capabilities. Everything kept is deep-frozen and
  // holds only primitives, so sharing it between decisions shares nothing a policy can change.
  const lists = [];

  function candidateList(held, n, at) {
    const statics = held.statics;
    const old = held.list;
    const next = [];
    for (let i = 0; i < statics.length; i++) {
      const healthy = n[at + 2 * i] === 1;
      const latency = n[at + 2 * i + 1];
      const p50 = latency === latency ? latency : null;
      const previous = old === undefined ? undefined : old[i];
      if (previous !== undefined && previous.healthy === healthy && previous.p50_ms === p50) {
        next.push(previous);
        continue;
      }
      const c = statics[i];
      next.push(freeze({
        id: c[0],
        provider: c[1],
        tier: c[2],
        prices: c[3],
        context_window: c[4],
        capabilities: c[5],
        healthy,
        p50_ms: p50,
      }));
    }
    held.list = freeze(next);
  }

  // The per-request values arrive in a fixed order (transport.ts owns it): every number, the request's three
  // flags and the tier's index as float64s in an ArrayBuffer; \`now\` as a string (with the user and agent,
  // when set, as a JSON array); the other strings, nulls and the small records as a JSON array, sent only
  // when it changed and otherwise reused as last parsed.
  // QuickJS's JSON.parse costs ~0.2 us per token here and ~0.85 us per fractional number, and object keys
  // were half the tokens. The objects are rebuilt from literals and frozen as they are built; a test checks
  // every object arrives frozen and the whole input crosses intact. Every object here is new on each call,
  // except these shared, frozen stand-ins for the common empty cases (the host sends 0 for them), the last
  // key object, and the records inside the last strings array (metadata, headers, tool_choice): every value
  // in them is a primitive and they are frozen, so sharing them shares nothing.
  const EMPTY_RECORD = freeze({});
  const EMPTY_LIST = freeze([]);
  const Float64 = Float64Array;
  let key = freeze({ id: "", name: "", team: null, env: null });

  const TIERS = freeze(["simple", "medium", "complex"]);
  // The last strings array parsed (never handed to a policy; the records in it are frozen), reused while the
  // host sends "" for it.
  let strings = EMPTY_LIST;

  function build(s, n, candidates, readSignals, nowArgument) {
    let signals;
    let budgets = EMPTY_LIST;
    const count = (s.length - ${FIXED_STRINGS}) >> 2;
    if (count > 0) {
      budgets = [];
      for (let i = 0; i < count; i++) {
        const at = ${FIXED_STRINGS} + 4 * i;
        const from = ${FIXED_NUMBERS} + 3 * i;
        budgets.push(freeze({
          scope: s[at],
          name: s[at + 1],
          limit_usd: n[from],
          spent_usd: n[from + 1],
          remaining_usd: n[from + 2],
          period: s[at + 2],
          resets_at: s[at + 3],
        }));
      }
      freeze(budgets);
    }
    if (s[5] !== key.id || s[6] !== key.name || s[7] !== key.team || s[8] !== key.env) {
      key = freeze({ id: s[5], name: s[6], team: s[7], env: s[8] });
    }
    let tier;
    let now = nowArgument;
    let user = null;
    let agent = null;
    if (n[8] >= 0) tier = TIERS[n[8]];
    else {
      const unusual = parse(nowArgument);
      tier = unusual[0];
      now = unusual[1];
      user = unusual[2];
      agent = unusual[3];
    }
    const flags = n[3];
    const maxTokens = n[2];
    return freeze({
      request: freeze({
        model: s[0],
        message_count: n[0],
        estimated_prompt_tokens: n[1],
        max_tokens: maxTokens === maxTokens ? maxTokens : null,
        stream: (flags & 1) !== 0,
        tools: (flags & 2) !== 0,
        tool_choice: s[1],
        images: (flags & 4) !== 0,
        json_mode: s[2],
        metadata: s[3] === 0 ? EMPTY_RECORD : s[3],
        user,
        headers: s[4] === 0 ? EMPTY_RECORD : s[4],
      }),
      classification: freeze({
        tier,
        confidence: n[4],
        scores: freeze({ simple: n[5], medium: n[6], complex: n[7] }),
        // Fetched from the host on first read: most policies never look at the classifier's signals.
        get signals() {
          return (signals ??= freeze(parse(readSignals())));
        },
      }),
      key,
      agent,
      budgets,
      now,
      candidates,
    });
  }

  function bind(factory, readSignals, once) {
    const first = factory();
    if (typeof first !== "function") throw new TypeError("the policy must define function route(input)");
    // Only for a top level proven unable to carry state (stateless.ts); otherwise it runs on every call.
    const kept = once === true ? first : undefined;
    return function call(json, list, nowArgument, numbers) {
      const slot = list.charCodeAt(0) - 48;
      const n = new Float64(numbers);
      if (json.length > 0) {
        // The array stays internal; everything in it a policy can see is deep-frozen once, here (it is shared
        // by every decision until the strings change, so nothing in it may be changeable).
        strings = parse(json);
        for (let i = 0; i < strings.length; i++) freezeInput(strings[i]);
      }
      if (list.length > 1) {
        if (list.charCodeAt(1) !== 42) lists[slot] = { statics: freezeInput(parse(list.slice(1))), list: undefined };
        candidateList(lists[slot], n, ${FIXED_NUMBERS} + 3 * ((strings.length - ${FIXED_STRINGS}) >> 2));
      }
      const input = build(strings, n, lists[slot].list, readSignals, nowArgument);
      nowText = input.now;
      nowMs = Number.NaN;
      const route = kept ?? factory();
      const answer = route(input);
      const text = stringify(answer);
      if (text === undefined) throw new TypeError("route() must return an object, got " + typeof answer);
      return text;
    };
  }

  function describe(error) {
    try {
      if (error instanceof Error) {
        return stringify({ name: String(error.name), message: String(error.message), stack: String(error.stack ?? "") });
      }
      return stringify({ name: "Thrown", message: typeof error === "string" ? error : stringify(error) ?? typeof error, stack: "" });
    } catch {
      return stringify({ name: "Error", message: "an error that cannot be printed", stack: "" });
    }
  }

  return { bind, describe };
})()`;

/**
 * Wraps a policy so that its top level becomes the body of a factory: `route` and every top-level binding
 * are created afresh on each call. The prefix has no newline, so line numbers in errors match the file.
 */
export function wrapPolicySource(source: string): string {
  return `${WRAP_PREFIX}${source}\n;return typeof route === "function" ? route : undefined; })`;
}

const WRAP_PREFIX = '(function () { "use strict"; ';
/** Columns on line 1 of a wrapped policy are off by the prefix; error locations subtract it. */
export const WRAP_PREFIX_LENGTH = WRAP_PREFIX.length;
