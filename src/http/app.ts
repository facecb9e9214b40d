// The HTTP surface (the only importer of elysia): routes, auth for side routes, OpenAI-style error rendering.

import { timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import type { Catalog, CatalogModel, EmbeddingModel } from "../catalog";
import { SpendexError, toErrorBody } from "../errors";
import { type Gateway, METRICS_CONTENT_TYPE } from "../gateway";

type Readiness = Record<string, unknown> & { ok: boolean };

export interface AppDeps {
  gateway: Gateway;
  catalog: Catalog;
  /** Readiness checks beyond the gateway's own: store reachable, catalog loaded, policies compiled... */
  readiness: () => Readiness | Promise<Readiness>;
  /** `GET /metrics`: off answers 404; a token requires `Authorization: Bearer <token>`. Default: on, open. */
  metrics?: { enabled: boolean; token: string | undefined };
}

const POST_PATHS = new Set(["/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/embeddings"]);

/** `openai%2Fgpt-5` names `openai/gpt-5`; malformed escapes (`%E0%A4%A`) are kept as typed, so they are a 404. */
function decodeId(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** SHA-256 digests are compared, so the comparison takes the same time whatever the length of what was sent. */
const digest = (text: string) => Bun.SHA256.hash(text) as Uint8Array;

/** Guards `/metrics` with its own token (a scraper has no API key); undefined when the request may read it. */
function metricsGuard(token: string | undefined): (request: Request) => Response | undefined {
  if (token === undefined) return () => undefined;
  const expected = digest(token);
  return (request) => {
    const header = request.headers.get("authorization") ?? "";
    const presented = /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, "").trim() : "";
    if (presented && timingSafeEqual(digest(presented), expected)) return undefined;
    return errorResponse(
      new SpendexError({
        type: "authentication_error",
        code: "invalid_metrics_token",
        status: 401,
        message: "GET /metrics needs 'Authorization: Bearer <METRICS_TOKEN>'.",
        headers: { "www-authenticate": "Bearer" },
      }),
    );
  };
}

function unknownUrl(): Response {
  return errorResponse(
    new SpendexError({
      type: "not_found_error",
      code: "unknown_url",
      message: "Unknown URL. See /v1/chat/completions, /v1/embeddings and /v1/models.",
    }),
  );
}

function errorResponse(error: unknown): Response {
  const { status, body, headers } = toErrorBody(error);
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function createApp(deps: AppDeps) {
  const { gateway, catalog } = deps;
  const metrics = deps.metrics ?? { enabled: true, token: undefined };
  const metricsDenied = metricsGuard(metrics.token);
  const created = Math.floor(Date.now() / 1000);
  const AUTO = { id: "auto", object: "model", created, owned_by: "spendex", tier: "auto" };
  const describe = (model: CatalogModel): typeof AUTO => ({
    id: model.id,
    object: "model",
    created,
    owned_by: model.provider,
    tier: model.tier,
  });
  // An embedding model has no tier: it says what it is and, when known, the length of its vectors.
  const describeEmbedding = (model: EmbeddingModel) => ({
    id: model.id,
    object: "model",
    created,
    owned_by: model.provider,
    kind: "embedding",
    ...(model.dimensions > 0 ? { dimensions: model.dimensions } : {}),
  });
  const connectedModels = () => catalog.all().filter((model) => gateway.connected.has(model.provider));
  const connectedEmbeddings = () =>
    catalog.embeddingModels().filter((model) => gateway.connected.has(model.provider));
  /** The side routes need a key too; returns the 401 response, or undefined when the key is good. */
  const authenticate = async (request: Request): Promise<Response | undefined> => {
    try {
      await gateway.authenticate(request.headers.get("authorization"));
      return undefined;
    } catch (error) {
      return errorResponse(error);
    }
  };
  /**
   * Bun resets a connection whose response stays silent past its idle timeout (a stream pausing 5 s at a 1 s
   * timeout was cut with ECONNRESET), and a reasoning model may think for minutes before its answer or its first
   * chunk. So the timeout is lifted while the gateway waits; its own deadlines bound the call. Once the answer is
   * here it is set again, before the response goes out (Bun ignores a change made after): the connection's
   * idle timeout for a JSON answer, and Bun's maximum for a stream, whose later silences the gateway's `idleMs`
   * bounds (60 s by default).
   */
  const chat = async ({ request, server }: { request: Request; server: BunServer | null }) => {
    server?.timeout(request, 0);
    const response = await gateway.chatCompletions(request);
    const stream = response.headers.get("content-type")?.startsWith("text/event-stream") === true;
    server?.timeout(request, stream ? MAX_IDLE_SECONDS : (idleSeconds.get(app) ?? CONNECTION_IDLE_SECONDS));
    return response;
  };
  const app = new Elysia()
    .onError(({ code, error, request }) => {
      if (code === "NOT_FOUND") {
        // The chat route asked with another method (a browser's GET, a typo'd client): say so, as OpenAI does.
        const path = new URL(request.url).pathname;
        if (request.method !== "POST" && POST_PATHS.has(path)) {
          return errorResponse(
            new SpendexError({
              type: "invalid_request_error",
              code: "method_not_allowed",
              status: 405,
              message: `Invalid method for URL (${request.method} ${path}): use POST.`,
              headers: { allow: "POST" },
            }),
          );
        }
        return unknownUrl();
      }
      if (code === "PARSE" || code === "VALIDATION") {
        return errorResponse(
          new SpendexError({
            type: "invalid_request_error",
            code: "invalid_request",
            message: "The request could not be parsed.",
          }),
        );
      }
      return errorResponse(error);
    })
    .post("/v1/chat/completions", chat, { parse: "none" })
    .post("/chat/completions", chat, { parse: "none" })
    .post("/v1/embeddings", ({ request }) => gateway.embeddings(request), { parse: "none" })
    .post("/embeddings", ({ request }) => gateway.embeddings(request), { parse: "none" })
    .get("/v1/models", async ({ request }) => {
      const denied = await authenticate(request);
      if (denied) return denied;
      const data: object[] = connectedModels().map(describe);
      data.unshift(AUTO);
      data.push(...connectedEmbeddings().map(describeEmbedding));
      return Response.json({ object: "list", data });
    })
    .get("/v1/models/*", async ({ request, params }) => {
      const denied = await authenticate(request);
      if (denied) return denied;
      const id = decodeId(params["*"]);
      if (id === "auto") return Response.json(AUTO);
      const model = catalog.resolve(id);
      const embedding = model ? undefined : catalog.resolveEmbedding(id);
      if (embedding && gateway.connected.has(embedding.provider))
        return Response.json(describeEmbedding(embedding));
      if (!model || !gateway.connected.has(model.provider)) {
        return errorResponse(
          new SpendexError({
            type: "not_found_error",
            code: "model_not_found",
            param: "model",
            message: `The model '${id}' does not exist or its provider is not connected.`,
          }),
        );
      }
      return Response.json(describe(model));
    })
    .get("/health", () => Response.json({ status: "ok" }))
    .get("/metrics", async ({ request }) => {
      if (!metrics.enabled) return unknownUrl();
      const denied = metricsDenied(request);
      if (denied) return denied;
      // Budget names are business data: their gauges are shown only to the holder of METRICS_TOKEN.
      const text = await gateway.metrics({ budgets: metrics.token !== undefined });
      return new Response(text, { headers: { "content-type": METRICS_CONTENT_TYPE } });
    })
    .get("/ready", async () => {
      const report = await deps.readiness();
      return Response.json(
        { status: report.ok ? "ready" : "not_ready", ...report, breakers: gateway.breakers.snapshot() },
        { status: report.ok ? 200 : 503 },
      );
    });
  return app;
}

export type App = ReturnType<typeof createApp>;

type BunServer = { timeout(request: Request, seconds: number): void };

/** Seconds a client connection may stay idle between requests before it is closed. */
export const CONNECTION_IDLE_SECONDS = 30;
/** Bun's largest idle timeout. */
const MAX_IDLE_SECONDS = 255;
/** The idle timeout each app listens with, to set again after a chat request lifted it. */
const idleSeconds = new WeakMap<object, number>();

/**
 * Listens; returns the bound port. `reusePort` is off (Elysia turns it on): a second instance started on a busy
 * port must fail, not silently take half of the connections. `development` is off: an error that escaped the
 * handlers must never be rendered with its stack.
 */
export function listen(
  app: App,
  at: { port: number; hostname: string; idleTimeoutSeconds?: number },
): number {
  const { idleTimeoutSeconds = CONNECTION_IDLE_SECONDS, ...address } = at;
  idleSeconds.set(app, idleTimeoutSeconds);
  app.listen({ ...address, reusePort: false, development: false, idleTimeout: idleTimeoutSeconds });
  const port = app.server?.port;
  if (port === undefined) throw new Error(`could not listen on ${at.hostname}:${at.port}`);
  return port;
}
