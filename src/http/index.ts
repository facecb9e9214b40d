// HTTP surface.
export { type App, type AppDeps, createApp } from "./app";
