// The proof that lets a policy's top level run once: no binding or object it creates can change between decisions.

import { ASSIGNMENTS, type Token, tokenize } from "./js-tokens";

/**
 * A policy's top level normally runs on every decision, so nothing a decision leaves in a top-level `let`,
 * array or function property reaches the next one. Running it once per compile is safe exactly when no
 * decision can change anything the top level creates. This is a conservative, token-level proof of that:
 *
 * - the top level holds only `function NAME(...) {...}` declarations, `const NAME = <literal>` declarations
 *   (numbers, strings, booleans, null, and flat object or array literals of those) and string directives;
 *   so the top level calls nothing (its values cannot depend on the decision's `now` or input) and creates no
 *   closure with state of its own;
 * - a top-level function is only ever called (`NAME(`, never `new NAME(`): never read as a value, so no code
 *   can reach the function object or its prototype to set a property on it, and no binding can be
 *   reassigned (`NAME = ...` is not a call);
 * - a top-level object or array constant is only read one level deep (`NAME.key`, `NAME[expr]`), never
 *   assigned, incremented, deleted, called as a method (`ARR.sort(`), or used bare (`f(NAME)`, `for (k in NAME)`);
 *   its elements are primitives, so a read cannot hand out anything mutable;
 * - a primitive constant cannot change (assigning to a `const` throws, whether the top level ran once or not);
 * - `eval` (direct eval reaches the closure's bindings) and backslashes outside strings (`\u0065val`) do not
 *   occur; a regular expression whose start is ambiguous (a `/` after `}`) is not analysed.
 *
 * Anything the scanner does not understand returns false, and the policy keeps the per-decision top level.
 * The realm itself is deep-frozen by the prelude, so these bindings are the only state a policy owns.
 */
export function provablyStateless(source: string): boolean {
  const tokens = tokenize(source);
  if (tokens === undefined) return false;
  const declared = topLevel(tokens);
  if (declared === undefined || !declared.functions.has("route")) return false;
  return usesAreReadOnly(tokens, declared);
}

interface Declared {
  functions: Set<string>;
  /** Constants bound to object or array literals (read one level deep only). */
  records: Set<string>;
  /** Token indexes that are the declarations' own names and headers, not uses. */
  skip: Set<number>;
}

/** The top-level declarations, or undefined when the top level holds anything else. */
function topLevel(tokens: readonly Token[]): Declared | undefined {
  const declared: Declared = { functions: new Set(), records: new Set(), skip: new Set() };
  const names = new Set<string>();
  let at = 0;
  const text = (index: number) => tokens[index]?.text;
  while (at < tokens.length) {
    const token = tokens[at] as Token;
    if (token.kind === "punct" && token.text === ";") {
      at++;
      continue;
    }
    if (token.kind === "string") {
      // A directive such as "use strict".
      at++;
      if (text(at) === ";") at++;
      else if (at < tokens.length && !(tokens[at] as Token).newline) return undefined;
      continue;
    }
    if (token.kind === "name" && token.text === "function") {
      const name = tokens[at + 1];
      if (name?.kind !== "name" || text(at + 2) !== "(" || names.has(name.text)) return undefined;
      names.add(name.text);
      declared.functions.add(name.text);
      declared.skip.add(at + 1);
      // Skip the parameters and body; their tokens are checked as uses.
      const close = matching(tokens, at + 2);
      if (close === undefined || text(close + 1) !== "{") return undefined;
      const end = matching(tokens, close + 1);
      if (end === undefined) return undefined;
      at = end + 1;
      continue;
    }
    if (token.kind === "name" && token.text === "const") {
      at++;
      for (;;) {
        const name = tokens[at];
        if (name?.kind !== "name" || text(at + 1) !== "=" || names.has(name.text)) return undefined;
        names.add(name.text);
        declared.skip.add(at);
        const end = literal(tokens, at + 2, true);
        if (end === undefined) return undefined;
        const first = text(at + 2);
        if (first === "{" || first === "[") declared.records.add(name.text);
        for (let index = at + 2; index < end; index++) declared.skip.add(index);
        at = end;
        if (text(at) === ",") {
          at++;
          continue;
        }
        break;
      }
      if (text(at) === ";") at++;
      else if (at < tokens.length && !(tokens[at] as Token).newline) return undefined;
      continue;
    }
    return undefined;
  }
  return declared;
}

/** Index of the bracket closing the one at `open`, or undefined. */
function matching(tokens: readonly Token[], open: number): number | undefined {
  const pairs: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
  const stack: string[] = [];
  for (let index = open; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    if (token.kind !== "punct") continue;
    const close = pairs[token.text];
    if (close !== undefined) stack.push(close);
    else if (token.text === ")" || token.text === "]" || token.text === "}") {
      if (stack.pop() !== token.text) return undefined;
      if (stack.length === 0) return index;
    }
  }
  return undefined;
}

/**
 * The index after a literal starting at `at`: a primitive, or (when `nested`) a flat object or array literal
 * of primitives. Undefined for anything else.
 */
function literal(tokens: readonly Token[], at: number, nested: boolean): number | undefined {
  const token = tokens[at];
  if (token === undefined) return undefined;
  if (token.kind === "number" || token.kind === "string") return at + 1;
  if (token.kind === "name" && /^(true|false|null|undefined|Infinity|NaN)$/.test(token.text)) return at + 1;
  if (token.kind === "punct" && (token.text === "-" || token.text === "+"))
    return literal(tokens, at + 1, false);
  if (!nested || token.kind !== "punct") return undefined;
  if (token.text === "[") {
    let index = at + 1;
    while (tokens[index]?.text !== "]") {
      const end = literal(tokens, index, false);
      if (end === undefined) return undefined;
      index = end;
      if (tokens[index]?.text === ",") index++;
      else if (tokens[index]?.text !== "]") return undefined;
    }
    return index + 1;
  }
  if (token.text === "{") {
    let index = at + 1;
    while (tokens[index]?.text !== "}") {
      const key = tokens[index];
      if (key === undefined || key.kind === "punct" || key.kind === "regex") return undefined;
      // `__proto__: value` would set the prototype, not a property.
      if (/^["']?__proto__["']?$/.test(key.text) || tokens[index + 1]?.text !== ":") return undefined;
      const end = literal(tokens, index + 2, false);
      if (end === undefined) return undefined;
      index = end;
      if (tokens[index]?.text === ",") index++;
      else if (tokens[index]?.text !== "}") return undefined;
    }
    return index + 1;
  }
  return undefined;
}

/** Every use of a top-level name outside its declaration is a call (functions) or a one-level read (records). */
function usesAreReadOnly(tokens: readonly Token[], declared: Declared): boolean {
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    if (token.kind !== "name" || declared.skip.has(index)) continue;
    const isFunction = declared.functions.has(token.text);
    const isRecord = declared.records.has(token.text);
    if (!isFunction && !isRecord) continue;
    const before = tokens[index - 1];
    // A property name (`x.rank`), not the binding. `?.` is refused: `a?.rank` is also a property name, but
    // refusing costs nothing.
    if (before?.kind === "punct" && before.text === ".") continue;
    if (isFunction) {
      // `new NAME(` would hand out an object whose prototype is the function's own, persistent one.
      if (tokens[index + 1]?.text !== "(" || (before?.kind === "name" && before.text === "new")) return false;
      continue;
    }
    if (before?.kind === "punct" && (before.text === "++" || before.text === "--")) return false;
    if (before?.kind === "name" && before.text === "delete") return false;
    let after: number;
    const next = tokens[index + 1];
    if (next?.text === "." && tokens[index + 2]?.kind === "name") after = index + 3;
    else if (next?.text === "[") {
      const close = matching(tokens, index + 1);
      if (close === undefined) return false;
      after = close + 1;
    } else return false;
    const following = tokens[after];
    if (following !== undefined && following.kind === "punct") {
      if (ASSIGNMENTS.has(following.text)) return false;
      if (
        following.text === "(" ||
        following.text === "." ||
        following.text === "[" ||
        following.text === "?."
      )
        return false;
    }
  }
  return true;
}
