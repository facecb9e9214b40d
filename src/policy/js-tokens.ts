// A small JavaScript tokenizer for the stateless proof (src/policy/stateless.ts): names, numbers, strings,
// regular expressions and punctuators, with the line breaks that end statements. Undefined for anything it does
// not understand (the proof then fails safe).

export type TokenKind = "name" | "number" | "string" | "regex" | "punct";
export interface Token {
  kind: TokenKind;
  text: string;
  /** A line break precedes this token (ends a statement without `;`). */
  newline: boolean;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);
/** Longest first, so `>>>=` wins over `>>`. */
const PUNCTUATORS = [
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "?.",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
  ">>",
];
const SINGLE = "{}()[];,<>+-*%&|^!~?:=.@#";
/** Operators that write to their left-hand side. */
export const ASSIGNMENTS = new Set([
  "=",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "**=",
  "<<=",
  ">>=",
  ">>>=",
  "&=",
  "|=",
  "^=",
  "&&=",
  "||=",
  "??=",
  "++",
  "--",
]);

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36;
}
function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Tokens of the source, or undefined for anything this scanner does not handle with certainty. */
export function tokenize(source: string): Token[] | undefined {
  const tokens: Token[] = [];
  // For each open `(`: whether it opens an if/while/for/with head (a `/` after its `)` starts a regex).
  const parens: boolean[] = [];
  let closedHead = false;
  // Open braces, and the brace depth at each open template substitution (`${`).
  let braces = 0;
  const templates: number[] = [];
  let newline = false;
  let index = 0;
  const push = (kind: TokenKind, text: string) => {
    tokens.push({ kind, text, newline });
    newline = false;
  };
  while (index < source.length) {
    const char = source[index] as string;
    const code = source.charCodeAt(index);
    if (char === "\n" || char === "\r" || char === "\u2028" || char === "\u2029") {
      newline = true;
      index++;
      continue;
    }
    if (
      char === " " ||
      char === "\t" ||
      char === "\v" ||
      char === "\f" ||
      char === "\ufeff" ||
      char === "\u00a0"
    ) {
      index++;
      continue;
    }
    if (source.startsWith("//", index)) {
      const end = source.slice(index).search(/[\n\r\u2028\u2029]/);
      index = end < 0 ? source.length : index + end;
      continue;
    }
    if (source.startsWith("/*", index)) {
      const end = source.indexOf("*/", index + 2);
      if (end < 0) return undefined;
      if (/[\n\r\u2028\u2029]/.test(source.slice(index, end))) newline = true;
      index = end + 2;
      continue;
    }
    if (isNameStart(code)) {
      let end = index + 1;
      while (end < source.length && (isNameStart(source.charCodeAt(end)) || isDigit(source.charCodeAt(end))))
        end++;
      const text = source.slice(index, end);
      if (text === "eval") return undefined;
      push("name", text);
      index = end;
      continue;
    }
    if (isDigit(code) || (char === "." && isDigit(source.charCodeAt(index + 1)))) {
      let end = index + 1;
      while (end < source.length) {
        const next = source[end] as string;
        if (/[0-9A-Za-z_.]/.test(next)) end++;
        else if ((next === "+" || next === "-") && /[eE]/.test(source[end - 1] as string)) end++;
        else break;
      }
      push("number", source.slice(index, end));
      index = end;
      continue;
    }
    if (char === '"' || char === "'") {
      let end = index + 1;
      while (end < source.length && source[end] !== char) {
        if (source[end] === "\n" || source[end] === "\r") return undefined;
        end += source[end] === "\\" ? 2 : 1;
      }
      if (end >= source.length) return undefined;
      push("string", source.slice(index, end + 1));
      index = end + 1;
      continue;
    }
    if (char === "`" || (char === "}" && templates.at(-1) === braces - 1)) {
      // A template literal, or its continuation after a substitution's closing brace.
      if (char === "}") {
        templates.pop();
        braces--;
      }
      let end = index + 1;
      while (end < source.length && source[end] !== "`" && !(source[end] === "$" && source[end + 1] === "{"))
        end += source[end] === "\\" ? 2 : 1;
      if (end >= source.length) return undefined;
      push("string", source.slice(index, end + 1));
      if (source[end] === "`") {
        index = end + 1;
        continue;
      }
      // A substitution: its tokens are scanned (and checked) like any other code.
      push("punct", "${");
      templates.push(braces);
      braces++;
      index = end + 2;
      continue;
    }
    if (char === "/") {
      const previous = tokens.at(-1);
      let regex: boolean;
      if (previous === undefined) regex = true;
      else if (previous.kind === "name") regex = KEYWORDS_BEFORE_EXPRESSION.has(previous.text);
      else if (previous.kind === "number" || previous.kind === "string" || previous.kind === "regex")
        regex = false;
      else if (previous.text === ")") regex = closedHead;
      else if (previous.text === "]") regex = false;
      else if (previous.text === "}")
        return undefined; // a block or an object literal: ambiguous here
      else regex = true;
      if (regex) {
        let end = index + 1;
        let inClass = false;
        while (end < source.length) {
          const next = source[end] as string;
          if (next === "\n" || next === "\r") return undefined;
          if (next === "\\") {
            end += 2;
            continue;
          }
          if (next === "[") inClass = true;
          else if (next === "]") inClass = false;
          else if (next === "/" && !inClass) break;
          end++;
        }
        if (end >= source.length) return undefined;
        end++;
        while (end < source.length && /[a-z]/.test(source[end] as string)) end++;
        push("regex", source.slice(index, end));
        index = end;
        continue;
      }
    }
    const punct = PUNCTUATORS.find((candidate) => source.startsWith(candidate, index));
    const text = punct ?? (SINGLE.includes(char) || char === "/" ? char : undefined);
    // Backslashes (escaped identifiers such as \u0065val) and anything else unexpected: not analysed.
    if (text === undefined) return undefined;
    if (text === "{") braces++;
    else if (text === "}") braces--;
    if (text === "(") {
      const previous = tokens.at(-1);
      parens.push(previous?.kind === "name" && /^(if|while|for|with)$/.test(previous.text));
    }
    closedHead = text === ")" ? (parens.pop() ?? false) : false;
    push("punct", text);
    index += text.length;
  }
  return tokens;
}
