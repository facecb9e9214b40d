// `bun bench/json-depth.ts`: what the nesting pre-scan (src/gateway/parse.ts) costs on normal bodies next to
// JSON.parse, and how fast a body nested 40,000 levels deep is refused with and without it.

import { formatTable } from "../src/cli/table";
import { MAX_JSON_DEPTH, nestedDeeperThan } from "../src/gateway/parse";

const PLAIN = "The quick brown fox jumps over the lazy dog. ";
/** Quotes and backslashes inside strings are the scan's slow case: each one stops the `indexOf` jump. */
const QUOTED = 'The fox says "hi" and \\ then "bye". ';
const prose = (unit: string, chars: number) => unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
const chat = (messages: number, chars: number, unit = PLAIN) =>
  JSON.stringify({
    model: "gpt-5-mini",
    messages: Array.from({ length: messages }, (_, i) => ({
      role: i % 2 ? "assistant" : "user",
      content: prose(unit, chars),
    })),
    tools: [
      {
        type: "function",
        function: { name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } },
      },
    ],
  });
const deep = (depth: number) =>
  `{"model":"x","messages":[{"role":"user","content":"x"}],"extra":${"[".repeat(depth)}${"]".repeat(depth)}}`;

const bodies: Array<[string, string]> = [
  ["2 KB chat (4 messages)", chat(4, 420)],
  ["1 MB chat (8 long messages)", chat(8, 128_000)],
  ["1 MB chat (8 long messages, quote-heavy)", chat(8, 128_000, QUOTED)],
  ["1 MB chat (5,000 short messages)", chat(5_000, 160)],
  ["40,000 levels deep", deep(40_000)],
];

/** Median µs of `run` over enough repetitions to fill ~200 ms. */
function micros(run: () => unknown): number {
  const start = performance.now();
  let once = 0;
  while (performance.now() - start < 20) {
    run();
    once += 1;
  }
  const perBatch = Math.max(1, Math.ceil(once / 10));
  const samples: number[] = [];
  for (let round = 0; round < 21; round++) {
    const t = performance.now();
    for (let i = 0; i < perBatch; i++) run();
    samples.push(((performance.now() - t) * 1000) / perBatch);
  }
  samples.sort((a, b) => a - b);
  return samples[10] as number;
}

const rows = bodies.map(([name, text]) => {
  const scan = micros(() => nestedDeeperThan(text, MAX_JSON_DEPTH));
  const parse = micros(() => {
    try {
      JSON.parse(text);
    } catch {}
  });
  return {
    body: name,
    bytes: text.length,
    "pre-scan µs": scan.toFixed(2),
    "JSON.parse µs": parse.toFixed(2),
    "scan / parse": `${((100 * scan) / parse).toFixed(1)}%`,
  };
});
console.log(formatTable(rows));
const overflowStart = performance.now();
try {
  JSON.stringify(JSON.parse(deep(40_000)));
} catch {}
console.log(
  `Without the pre-scan, the 40,000-level body costs JSON.parse + one overflowing JSON.stringify: ${(performance.now() - overflowStart).toFixed(0)} ms`,
);
