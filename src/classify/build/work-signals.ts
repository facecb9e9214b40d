// A probe of "the work a problem needs" (decision 0005): quantities written as words, relation cues and distinct
// units in the last user turn. Build-side only: the cross-validation runner appends these columns with
// `--extra work`; the request path does not compute them unless a build ships them.

import { messageText } from "../features";
import type { ClassifyInput } from "../types";

/** Quantities written as words (digits are already counted by the `numbers` signals). */
const QUANTITY_WORDS = new Set([
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
  "twenty",
  "thirty",
  "forty",
  "fifty",
  "sixty",
  "seventy",
  "eighty",
  "ninety",
  "hundred",
  "thousand",
  "million",
  "half",
  "halves",
  "twice",
  "thrice",
  "double",
  "triple",
  "dozen",
  "dozens",
  "quarter",
  "quarters",
  "third",
  "thirds",
]);

/** Words that relate quantities (each one usually costs a step of arithmetic); `%` counts too. */
const RELATION_WORDS = new Set([
  "each",
  "per",
  "every",
  "times",
  "twice",
  "half",
  "more",
  "less",
  "fewer",
  "than",
  "total",
  "left",
  "remaining",
  "rest",
  "remainder",
  "difference",
  "percent",
  "ratio",
  "average",
  "sum",
  "product",
  "altogether",
  "combined",
]);

/** Unit words by unit (plural folded to singular); distinct units in one problem imply conversions. */
const UNITS = new Map<string, string>(
  [
    ["second", "seconds"],
    ["minute", "minutes"],
    ["hour", "hours"],
    ["day", "days"],
    ["week", "weeks"],
    ["month", "months"],
    ["year", "years"],
    ["inch", "inches"],
    ["foot", "feet"],
    ["yard", "yards"],
    ["mile", "miles"],
    ["meter", "meters"],
    ["centimeter", "centimeters"],
    ["kilometer", "kilometers"],
    ["dollar", "dollars"],
    ["cent", "cents"],
    ["pound", "pounds"],
    ["ounce", "ounces"],
    ["gram", "grams"],
    ["kilogram", "kilograms"],
    ["ton", "tons"],
    ["gallon", "gallons"],
    ["liter", "liters"],
    ["cup", "cups"],
    ["quart", "quarts"],
    ["pint", "pints"],
  ].flatMap(([singular, plural]) => [
    [singular as string, singular as string],
    [plural as string, singular as string],
  ]),
);

export interface WorkCounts {
  quantityWords: number;
  relations: number;
  /** Distinct units named (`$` counts as dollar). */
  units: number;
}

/** Counts over lower-cased runs of ASCII letters; one linear pass. */
export function workCounts(text: string): WorkCounts {
  const counts: WorkCounts = { quantityWords: 0, relations: 0, units: 0 };
  const units = new Set<string>();
  const lower = text.toLowerCase();
  let start = -1;
  const word = (end: number) => {
    const token = lower.slice(start, end);
    if (QUANTITY_WORDS.has(token)) counts.quantityWords++;
    if (RELATION_WORDS.has(token)) counts.relations++;
    const unit = UNITS.get(token);
    if (unit) units.add(unit);
  };
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 32;
    const letter = c >= 97 && c <= 122;
    if (letter) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      word(i);
      start = -1;
    }
    if (c === 37) counts.relations++;
    if (c === 36) units.add("dollar");
  }
  counts.units = units.size;
  return counts;
}

export const WORK_COLUMNS = ["log_last_quantity_words", "log_last_relations", "log_last_units"] as const;

/** The probe's columns for a request: log1p of each count of its last user turn. */
export function workColumns(input: ClassifyInput): Float32Array {
  const lastUser = [...input.messages].reverse().find((message) => message.role === "user");
  const counts = workCounts(lastUser ? messageText(lastUser) : "");
  return Float32Array.from([
    Math.log1p(counts.quantityWords),
    Math.log1p(counts.relations),
    Math.log1p(counts.units),
  ]);
}

export interface QuantityCounts {
  /** Digit runs (as the `numbers` signal counts them) plus quantities written as words. */
  quantities: number;
  /** A problem in words: no `$`, backslash, backtick, `==` or `{`, and fewer than 2 option lines. */
  prose: boolean;
}

/** One pass over the text: quantities and whether it reads as plain prose (decision 0005, `--extra quant`). */
export function quantityCounts(text: string): QuantityCounts {
  const lower = text.toLowerCase();
  let quantities = 0;
  let markup = false;
  let options = 0;
  let start = -1;
  let lineStart = true;
  for (let i = 0; i <= lower.length; i++) {
    const c = i < lower.length ? lower.charCodeAt(i) : 32;
    if (c >= 97 && c <= 122) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      if (QUANTITY_WORDS.has(lower.slice(start, i))) quantities++;
      start = -1;
    }
    const digit = c >= 48 && c <= 57;
    if (digit) {
      const before = lower.charCodeAt(i - 1);
      if (!(before >= 48 && before <= 57) && before !== 46 && before !== 44) quantities++;
    }
    if (c === 36 || c === 92 || c === 96 || c === 123) markup = true;
    if (c === 61 && lower.charCodeAt(i + 1) === 61) markup = true;
    if (c === 10) lineStart = true;
    else if (c !== 32 && lineStart) {
      lineStart = false;
      if (isOptionLine(lower, i)) options++;
    }
  }
  return { quantities, prose: !markup && options < 2 };
}

/** `a.`, `a)`, `(a)` … `e` at the start of a line. */
function isOptionLine(lower: string, i: number): boolean {
  let j = i;
  if (lower.charCodeAt(j) === 40) j++;
  const letter = lower.charCodeAt(j);
  if (letter < 97 || letter > 101) return false;
  const after = lower.charCodeAt(j + 1);
  return after === 46 || after === 41;
}

export const QUANT_THRESHOLDS = [2, 3, 4, 5, 6, 8] as const;
export const QUANT_COLUMNS = [
  "log_last_quantities",
  "last_prose",
  "last_prose_x_log_quantities",
  ...QUANT_THRESHOLDS.map((k) => `last_prose_x_quantities>=${k}`),
] as const;

/** The `--extra quant` columns for a request, from its last user turn. */
export function quantColumns(input: ClassifyInput): Float32Array {
  const lastUser = [...input.messages].reverse().find((message) => message.role === "user");
  const { quantities, prose } = quantityCounts(lastUser ? messageText(lastUser) : "");
  const flag = prose ? 1 : 0;
  const log = Math.log1p(quantities);
  return Float32Array.from([
    log,
    flag,
    flag * log,
    ...QUANT_THRESHOLDS.map((k) => (prose && quantities >= k ? 1 : 0)),
  ]);
}
