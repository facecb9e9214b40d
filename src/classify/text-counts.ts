// One linear pass over (sampled) text counting what the structural signals need: digits, maths, code, lists.

/** Counts taken in one pass over (sampled) text. */
export interface TextCounts {
  chars: number;
  nonSpace: number;
  digits: number;
  upper: number;
  math: number;
  code: number;
  questions: number;
  newlines: number;
  latex: number;
  /** Runs of digits (numbers), e.g. the quantities of a word problem. */
  numbers: number;
  /** Sentence ends: `.`, `!` or `?` followed by a space, newline or the end. */
  sentences: number;
  listItems: number;
  fences: number;
  /** `$` signs (inline LaTeX maths, or money in word problems). */
  dollars: number;
  /** Lines that start like a multiple-choice option: `A.`, `B)`, `(C)`, `D:` (letters A to E) and a space. */
  options: number;
}

export function emptyCounts(): TextCounts {
  return {
    chars: 0,
    nonSpace: 0,
    digits: 0,
    upper: 0,
    math: 0,
    code: 0,
    questions: 0,
    newlines: 0,
    latex: 0,
    numbers: 0,
    sentences: 0,
    listItems: 0,
    fences: 0,
    dollars: 0,
    options: 0,
  };
}

/** Adds `part` into `total`. */
export function addCounts(total: TextCounts, part: TextCounts): void {
  for (const key of Object.keys(part) as Array<keyof TextCounts>) total[key] += part[key];
}

/** ASCII character classes for the counting pass. */
enum Kind {
  Other = 0,
  Space = 1,
  Newline = 2,
  Digit = 3,
  Upper = 4,
  Question = 5,
  Backslash = 6,
  Backtick = 7,
  Math = 8,
  Code = 9,
  Stop = 10,
}
const ASCII_KIND = new Uint8Array(128);
ASCII_KIND.fill(Kind.Space, 9, 10);
ASCII_KIND[13] = Kind.Space;
ASCII_KIND[32] = Kind.Space;
ASCII_KIND[10] = Kind.Newline;
ASCII_KIND.fill(Kind.Digit, 48, 58);
ASCII_KIND.fill(Kind.Upper, 65, 91);
ASCII_KIND[63] = Kind.Question;
ASCII_KIND[92] = Kind.Backslash;
ASCII_KIND[96] = Kind.Backtick;
ASCII_KIND[46] = Kind.Stop;
ASCII_KIND[33] = Kind.Stop;
for (const code of [43, 42, 47, 94, 61, 60, 62, 36, 37, 124]) ASCII_KIND[code] = Kind.Math; // + * / ^ = < > $ % |
for (const code of [123, 125, 59, 40, 41, 91, 93, 95, 35, 38]) ASCII_KIND[code] = Kind.Code; // { } ; ( ) [ ] _ # &

const isDigit = (code: number) => code >= 48 && code <= 57;
/** A sentence ends at `.`, `!` or `?` followed by a space, a newline or the end of the text. */
const endsSentence = (text: string, i: number) => {
  const after = text.charCodeAt(i + 1);
  return Number.isNaN(after) || after === 32 || after === 10;
};

/** Adds one text's counts to `counts`. Linear in the text, no regular expressions, counters in locals. */
export function countText(text: string, counts: TextCounts): void {
  let lineStart = true;
  let nonSpace = 0;
  let digits = 0;
  let upper = 0;
  let math = 0;
  let code = 0;
  let questions = 0;
  let newlines = 0;
  let latex = 0;
  let listItems = 0;
  let fences = 0;
  let numbers = 0;
  let sentences = 0;
  let dollars = 0;
  let options = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    const kind = c < 128 ? (ASCII_KIND[c] as Kind) : Kind.Other;
    if (kind === Kind.Space) continue;
    if (kind === Kind.Newline) {
      newlines++;
      lineStart = true;
      continue;
    }
    nonSpace++;
    if (lineStart) {
      lineStart = false;
      if (isListMarker(text, i)) listItems++;
      if (isOptionMarker(text, i)) options++;
    }
    switch (kind) {
      case Kind.Digit:
        digits++;
        if (
          !isDigit(text.charCodeAt(i - 1)) &&
          text.charCodeAt(i - 1) !== 46 &&
          text.charCodeAt(i - 1) !== 44
        ) {
          numbers++;
        }
        break;
      case Kind.Upper:
        upper++;
        break;
      case Kind.Question:
        questions++;
        if (endsSentence(text, i)) sentences++;
        break;
      case Kind.Stop:
        if (endsSentence(text, i)) sentences++;
        break;
      case Kind.Backslash: {
        const next = text.charCodeAt(i + 1) | 32;
        if (next >= 97 && next <= 122) latex++;
        math++;
        break;
      }
      case Kind.Backtick:
        if (text.charCodeAt(i + 1) === 96 && text.charCodeAt(i + 2) === 96) {
          fences++;
          code += 3;
          i += 2;
        } else code++;
        break;
      case Kind.Math:
        math++;
        if (c === 36) dollars++;
        break;
      case Kind.Code:
        code++;
        break;
      default:
        if ((c >= 0x2200 && c <= 0x22ff) || (c >= 0x0391 && c <= 0x03c9)) math++;
    }
  }
  counts.chars += length;
  counts.nonSpace += nonSpace;
  counts.digits += digits;
  counts.upper += upper;
  counts.math += math;
  counts.code += code;
  counts.questions += questions;
  counts.newlines += newlines;
  counts.latex += latex;
  counts.listItems += listItems;
  counts.fences += fences;
  counts.numbers += numbers;
  counts.sentences += sentences;
  counts.dollars += dollars;
  counts.options += options;
}

const isOptionLetter = (code: number) => code >= 65 && code <= 69;

/** `A. `, `B) `, `C: `, `(D) ` at the start of a line. */
function isOptionMarker(text: string, index: number): boolean {
  let at = index;
  const open = text.charCodeAt(at) === 40;
  if (open) at++;
  if (!isOptionLetter(text.charCodeAt(at))) return false;
  const marker = text.charCodeAt(at + 1);
  const closes = open ? marker === 41 : marker === 46 || marker === 41 || marker === 58;
  return closes && text.charCodeAt(at + 2) === 32;
}

/** `- `, `* `, `• `, `1. `, `1) `, `a) ` at the start of a line. */
function isListMarker(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  const next = text.charCodeAt(index + 1);
  if ((code === 45 || code === 42 || code === 0x2022) && next === 32) return true;
  let end = index;
  while (end < text.length && end - index < 3) {
    const c = text.charCodeAt(end);
    if (!((c >= 48 && c <= 57) || (end === index && ((c >= 97 && c <= 122) || (c >= 65 && c <= 90))))) break;
    end++;
  }
  if (end === index) return false;
  const marker = text.charCodeAt(end);
  return (marker === 46 || marker === 41) && text.charCodeAt(end + 1) === 32;
}
