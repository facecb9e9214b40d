// `spendex simulate`: argument parsing, the printed base URLs, faults from the command line.

import { describe, expect, test } from "bun:test";
import { runSimulateCommand } from "../../src/cli/simulate";

function io(stopAfter: (lines: string[]) => Promise<void>) {
  const out: string[] = [];
  const err: string[] = [];
  let release = () => {};
  const stopped = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    out,
    err,
    io: {
      out: (line: string) => {
        out.push(line);
        if (line.startsWith("Press Ctrl+C")) void stopAfter(out).then(release);
      },
      err: (line: string) => err.push(line),
      stopped,
    },
  };
}

describe("spendex simulate", () => {
  test("prints the base URLs and serves with the faults given", async () => {
    let status = 0;
    let retryAfter = "" as string | null;
    const run = io(async (lines) => {
      const base = lines.find((line) => line.includes("OPENAI_BASE_URL="))!.split("=")[1]!;
      const response = await fetch(`${base}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-5", messages: [{ role: "user", content: "hi" }] }),
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
    });
    const code = await runSimulateCommand(["--port", "0", "--fault", "gpt-5=429:9", "--tps", "50"], run.io);
    expect(code).toBe(0);
    expect(status).toBe(429);
    expect(retryAfter).toBe("9");
    expect(run.out.some((line) => /ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/.test(line))).toBe(true);
    expect(run.out.some((line) => /GEMINI_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/.test(line))).toBe(true);
  });

  test.each([[["--fault", "gpt-5"]], [["--fault", "gpt-5=teapot"]], [["--tps", "-1"]], [["--unknown"]]])(
    "rejects %j with exit code 2",
    async (argv) => {
      const run = io(async () => {});
      expect(await runSimulateCommand(argv, run.io)).toBe(2);
      expect(run.err.length).toBeGreaterThan(0);
    },
  );
});
