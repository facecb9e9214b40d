// The listening server: a slow chat answer outlives the connection idle timeout; a busy port is refused.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { listen } from "../../src/http";
import { type Harness, startHarness } from "../support/harness";

let h: Harness;
let base: string;
beforeAll(async () => {
  h = await startHarness();
  // Bun checks idle sockets every few seconds, so a 1 s idle timeout closes an idle connection within ~4 s.
  base = h.listen({ idleTimeoutSeconds: 1 });
});
afterAll(async () => {
  await h.close();
});

test("a stream that pauses longer than the idle timeout reaches the client whole", async () => {
  const response = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${h.key}`,
      "content-type": "application/json",
      // Two words at 0.2 tokens/s: the upstream is silent about 5 s between chunks, several idle periods.
      "x-sim-reply": "slow answer",
      "x-sim-tps": "0.2",
    },
    body: JSON.stringify({
      model: "gpt-5-nano",
      stream: true,
      messages: [{ role: "user", content: "take your time" }],
    }),
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  const content = text
    .split("\n")
    .filter((line) => line.startsWith("data: {"))
    .map((line) => JSON.parse(line.slice(6)) as { choices: Array<{ delta?: { content?: string } }> })
    .map((chunk) => chunk.choices[0]?.delta?.content ?? "")
    .join("");
  expect(content).toBe("slow answer");
  expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
}, 30_000);

test("an idle keep-alive connection is still closed (the timeout is lifted only for a chat request)", async () => {
  const port = Number(new URL(base).port);
  const start = performance.now();
  const closedAfter = await new Promise<number>((resolve, reject) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (socket) => void socket.write("GET /health HTTP/1.1\r\nHost: spendex\r\n\r\n"),
        data() {},
        close: () => resolve(performance.now() - start),
        error: reject,
      },
    }).catch(reject);
  });
  // 1 s idle, checked every 4 s by Bun: closed within about 4-8 s (a connection is never closed at once).
  expect(closedAfter).toBeGreaterThan(900);
  expect(closedAfter).toBeLessThan(9_000);
}, 20_000);

test("after a chat answer the keep-alive connection idles out again (the lifted timeout is set back)", async () => {
  const port = Number(new URL(base).port);
  const body = JSON.stringify({ model: "gpt-5-nano", messages: [{ role: "user", content: "quick one" }] });
  const start = performance.now();
  let received = "";
  const closedAfter = await new Promise<number>((resolve, reject) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (socket) =>
          void socket.write(
            `POST /v1/chat/completions HTTP/1.1\r\nHost: spendex\r\nAuthorization: Bearer ${h.key}\r\n` +
              `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          ),
        data: (_socket, data) => {
          received += data.toString();
        },
        close: () => resolve(performance.now() - start),
        error: reject,
      },
    }).catch(reject);
  });
  expect(received).toStartWith("HTTP/1.1 200");
  expect(received).toContain("Simulated reply to: quick one");
  expect(closedAfter).toBeLessThan(9_000);
}, 20_000);

test("a second server on a busy port fails instead of sharing it", async () => {
  const port = Number(new URL(base).port);
  expect(() => listen(h.server.app, { port, hostname: "127.0.0.1" })).toThrow();
  const other = await startHarness();
  try {
    expect(() => listen(other.server.app, { port, hostname: "127.0.0.1" })).toThrow(/in use|port/i);
  } finally {
    await other.close();
  }
});
