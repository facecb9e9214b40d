// HTTP surface.
export { type App, type AppDeps, CONNECTION_IDLE_SECONDS, createApp, listen } from "./app";
