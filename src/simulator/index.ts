// The provider simulator: one Bun.serve loopback upstream answering in the OpenAI, Anthropic and Gemini formats.

import { handleAnthropic } from "./anthropic";
import { handleEmbeddings } from "./embeddings";
import { Exchange, type ExchangeHooks } from "./exchange";
import { FaultBook } from "./faults";
import { handleGemini } from "./gemini";
import { handleGeminiEmbeddings } from "./gemini-embeddings";
import { handleOpenAI } from "./openai";
import { NO_PACE, resolvePace } from "./pace";
import type { Fault, Pace, SimulatorHandle, SimulatorOptions, SimulatorRecord } from "./types";

export { parseFault } from "./faults";
export type { Fault, Pace, SimulatorHandle, SimulatorOptions, SimulatorRecord } from "./types";

/** Records kept: the newest this many (older ones are dropped in batches, to keep pushes cheap). */
const RECORD_LIMIT = 1000;

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const pace: Pace = { ...NO_PACE, ...options.pace };
  const faults = new FaultBook(options.faults ?? {});
  let records: SimulatorRecord[] = [];
  let aborted = 0;
  const hooks: ExchangeHooks = {
    faults,
    onAbort: () => {
      aborted++;
    },
  };
  const requireKey = options.requireKey;

  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    // hang and stall must outlive Bun's default 10 s idle timeout: only the client decides when to give up.
    idleTimeout: 0,
    // A bug in the simulator answers a plain 500 in OpenAI's shape rather than Bun's HTML error page.
    error: (error) => {
      const message = `Simulator error: ${error instanceof Error ? error.message : String(error)}`;
      const body = JSON.stringify({ error: { message, type: "server_error", param: null, code: null } });
      return new Response(body, { status: 500, headers: { "content-type": "application/json" } });
    },
    // Not async: the handlers' promises go straight back to Bun, with no extra promise turn.
    fetch(request) {
      const { path, query } = splitUrl(request.url);
      const route = routeOf(path, request.method);
      if (!route) return notFound(request.method, path);
      const record = newRecord(route, path, request.headers);
      records.push(record);
      if (records.length > RECORD_LIMIT * 1.2) records = records.slice(-RECORD_LIMIT);
      const exchange = new Exchange(request, record, resolvePace(pace, request.headers), hooks);
      switch (route.format) {
        case "openai":
          return route.embeddings
            ? handleEmbeddings(exchange, requireKey)
            : handleOpenAI(exchange, requireKey);
        case "anthropic":
          return handleAnthropic(exchange, requireKey);
        case "gemini": {
          if (route.embeddings) return handleGeminiEmbeddings(exchange, route.model ?? "", requireKey);
          // Without alt=sse, streamGenerateContent answers one JSON array of chunks, as Google's API does.
          const mode = !route.stream
            ? "json"
            : new URLSearchParams(query).get("alt") === "sse"
              ? "sse"
              : "array";
          return handleGemini(exchange, route.model ?? "", mode, requireKey);
        }
        default:
          return notFound(request.method, path);
      }
    },
  });

  const port = server.port ?? 0;
  const host = options.hostname ?? "127.0.0.1";
  return {
    url: `http://${host}:${port}`,
    port,
    records: () => (records.length > RECORD_LIMIT ? records.slice(-RECORD_LIMIT) : records),
    abortedCount: () => aborted,
    setFaults: (next: Record<string, Fault>) => faults.set(next),
    reset: () => {
      records = [];
      aborted = 0;
      faults.set(options.faults ?? {});
    },
    stop: async () => {
      await server.stop(true);
    },
  };
}

/** Path and query of an absolute request URL, without the cost of a URL object. */
function splitUrl(url: string): { path: string; query: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { path: "/", query: "" };
  const question = url.indexOf("?", start);
  return question < 0
    ? { path: url.slice(start), query: "" }
    : { path: url.slice(start, question), query: url.slice(question + 1) };
}

/** A record whose `headers` are copied out of the request only when someone reads them. */
function newRecord(route: Route, path: string, headers: Headers): SimulatorRecord {
  let copy: Record<string, string> | undefined;
  const record = {
    format: route.format,
    path,
    model: route.model ?? "",
    body: undefined as unknown,
    status: 0,
    aborted: false,
    stream: false,
  } as SimulatorRecord;
  Object.defineProperty(record, "headers", {
    enumerable: true,
    get: () => {
      copy ??= Object.fromEntries(headers);
      return copy;
    },
  });
  return record;
}

interface Route {
  format: SimulatorRecord["format"];
  model?: string;
  stream?: boolean;
  /** `/v1/embeddings` (OpenAI's and Mistral's format) or Gemini's `:batchEmbedContents`. */
  embeddings?: boolean;
}

const GEMINI_PATH =
  /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/;

function routeOf(path: string, method: string): Route | undefined {
  if (method !== "POST") return undefined;
  if (path === "/v1/chat/completions" || path === "/chat/completions") return { format: "openai" };
  if (path === "/v1/embeddings" || path === "/embeddings") return { format: "openai", embeddings: true };
  if (path === "/v1/messages") return { format: "anthropic" };
  const gemini = GEMINI_PATH.exec(path);
  if (gemini?.[3] === "batchEmbedContents") return { format: "gemini", model: gemini[2]!, embeddings: true };
  if (gemini) return { format: "gemini", model: gemini[2]!, stream: gemini[3] === "streamGenerateContent" };
  return undefined;
}

function notFound(method: string, path: string): Response {
  const error = {
    message: `Invalid URL (${method} ${path})`,
    type: "invalid_request_error",
    param: null,
    code: null,
  };
  return new Response(JSON.stringify({ error }), {
    status: 404,
    headers: { "content-type": "application/json" },
  });
}
