// Test harness: a simulator upstream, a gateway wired to it on an in-memory store, and an issued key.

import { eq } from "drizzle-orm";
import { type BuildOptions, buildServer, type Server } from "../../src/app";
import { type ConfigFile, resolveSettings, type Settings } from "../../src/config";
import { listen } from "../../src/http";
import { startSimulator } from "../../src/simulator";
import type { SimulatorHandle, SimulatorOptions } from "../../src/simulator/types";
import { openStore, type SqliteStore } from "../../src/store";
import { requests } from "../../src/store/schema";

export interface Harness {
  sim: SimulatorHandle;
  server: Server<SqliteStore>;
  settings: Settings;
  key: string;
  /** Calls the app in-process (no socket). */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Starts a real listening server; returns its base URL (`http://127.0.0.1:PORT`). */
  listen(options?: { port?: number; idleTimeoutSeconds?: number }): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  providers?: Array<"openai" | "anthropic" | "gemini" | "mistral">;
  config?: ConfigFile;
  simulator?: SimulatorOptions;
  build?: BuildOptions<SqliteStore>;
  env?: Record<string, string>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const sim = await startSimulator({ port: 0, ...options.simulator });
  const env: Record<string, string> = { ...options.env };
  for (const provider of options.providers ?? ["openai"]) {
    const upper = provider.toUpperCase();
    env[`${upper}_API_KEY`] = `test-${provider}-key`;
    env[`${upper}_BASE_URL`] = provider === "openai" || provider === "mistral" ? `${sim.url}/v1` : sim.url;
  }
  // Config files in tests name the simulator as `{sim}`; its port is known only now.
  const config = JSON.parse(JSON.stringify(options.config ?? {}).replaceAll("{sim}", sim.url)) as ConfigFile;
  const settings = resolveSettings(
    { forwardHeaders: ["x-sim-"], retry: { baseDelayMs: 1, maxDelayMs: 50 }, ...config },
    { DATABASE_URL: "sqlite::memory:", ...env },
  );
  const store = openStore({ url: "sqlite::memory:", log: { batchSize: 1000, flushIntervalMs: 5 } });
  const server = await buildServer(settings, { store, routing: false, ...options.build });
  const key = store.keys.create({ name: "test", env: "test" }).key;
  let listening: Server["app"] | undefined;
  return {
    sim,
    server,
    settings,
    key,
    call(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      }
      return server.app.handle(
        new Request(`http://spendex.local${path}`, {
          method: init.method ?? (body ? "POST" : "GET"),
          headers,
          body,
        }),
      );
    },
    listen(at = {}) {
      listening = server.app;
      return `http://127.0.0.1:${listen(server.app, { port: 0, hostname: "127.0.0.1", ...at })}`;
    },
    async close() {
      await listening?.server?.stop(true);
      await server.close();
      await sim.stop();
    },
  };
}

/** Waits until the batched log writer has written what is queued. */
export function flushLog(harness: Harness): void {
  harness.server.store.log.flush();
}

/** The request-log row of a response's `x-request-id`, once the queued rows are written. */
export function logRow(harness: Harness, id: string | null) {
  harness.server.store.log.flush();
  return harness.server.store.db
    .select()
    .from(requests)
    .where(eq(requests.id, id as string))
    .get();
}
