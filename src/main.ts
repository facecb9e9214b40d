// Composition root: reads the environment and config once, builds the server, listens, stops gracefully.

import { buildServer } from "./app";
import { ConfigError, loadSettings } from "./config";
import { listen } from "./http";

async function main(): Promise<void> {
  let settings: ReturnType<typeof loadSettings>;
  try {
    settings = loadSettings(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`spendex: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  let server: Awaited<ReturnType<typeof buildServer>>;
  let port: number;
  try {
    server = await buildServer(settings, { watch: true, log: (line) => console.log(`spendex: ${line}`) });
    port = listen(server.app, { port: settings.port, hostname: settings.host });
  } catch (error) {
    // An unreachable database, a missing model file, a busy port: the operator's to fix, said in one line.
    const detail = process.env.SPENDEX_DEBUG ? (error as Error).stack : (error as Error).message;
    console.error(`spendex: cannot start: ${detail ?? String(error)}`);
    process.exit(1);
  }
  const providers = [...server.gateway.connected].join(", ") || "none (set OPENAI_API_KEY, ...)";
  console.log(`spendex listening on http://${settings.host}:${port} — providers: ${providers}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`spendex: ${signal} received, draining in-flight requests and flushing the log`);
    // Stop accepting, let in-flight requests finish (streams included), then write every queued row.
    await server.app.server?.stop(false);
    // stop() does not wait for response bodies still streaming: wait until every request is recorded.
    await server.gateway.drain(60_000);
    await server.close();
    process.exit(0);
  };
  // A bug in a background task (an alert, a log flush) must not take down the requests in flight.
  process.on("unhandledRejection", (error) => console.error("spendex: unhandled rejection:", error));
  process.on("uncaughtException", (error) => console.error("spendex: uncaught exception:", error));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

await main();
