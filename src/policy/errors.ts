// Errors raised inside the sandbox, read safely and reported as `Name: message at file:line:column`.

import type { QuickJSContext, QuickJSHandle } from "quickjs-emscripten";
import type { Clock } from "./clock";
import { WRAP_PREFIX_LENGTH } from "./prelude";

export type FailureKind = "timeout" | "memory" | "stack" | "error" | "jobs";

/** The limits an error message quotes. */
export interface QuotedLimits {
  deadlineMs: number;
  memoryBytes: number;
  stackBytes: number;
}

export interface ErrorInfo {
  name: string;
  message: string;
  stack: string;
}

/** Reads an error inside the VM under a short fresh deadline, so a hostile getter cannot stall the host. */
export function describeWith(
  context: QuickJSContext,
  clock: Clock,
  describe: QuickJSHandle,
  error: QuickJSHandle,
): ErrorInfo {
  clock.arm(2);
  const described = context.callFunction(describe, context.undefined, error);
  if (described.error) {
    described.dispose();
    return { name: "InternalError", message: "interrupted", stack: "" };
  }
  const info = JSON.parse(context.getString(described.value)) as ErrorInfo;
  described.dispose();
  return info;
}

export function failureKind(info: ErrorInfo): FailureKind {
  if (info.name !== "InternalError") return "error";
  if (info.message === "interrupted") return "timeout";
  if (info.message === "stack overflow") return "stack";
  if (/out of memory|too long/.test(info.message)) return "memory";
  return "error";
}

export function failureMessage(
  kind: FailureKind,
  info: ErrorInfo,
  file: string,
  limits: QuotedLimits,
): string {
  const where = locate(info.stack, file);
  const at = where ? ` at ${where}` : "";
  if (kind === "timeout") return `exceeded the ${limits.deadlineMs} ms deadline${at}`;
  if (kind === "memory")
    return `${info.message} (limit ${Math.round(limits.memoryBytes / 1048576)} MiB)${at}`;
  if (kind === "stack") return `stack overflow (limit ${Math.round(limits.stackBytes / 1024)} KiB)${at}`;
  return formatError(info, file);
}

/** `TypeError: x is not a function at default.js:12:5`. */
export function formatError(info: ErrorInfo, file: string, wrapped = true): string {
  const where = locate(info.stack, file, wrapped);
  return `${info.name}: ${info.message}${where ? ` at ${where}` : ` in ${file}`}`;
}

/** The first stack frame inside the policy file, as `file:line:column` of the file as written. */
function locate(stack: string, file: string, wrapped = true): string | undefined {
  for (const line of stack.split("\n")) {
    const index = line.indexOf(`${file}:`);
    if (index < 0) continue;
    const where = line.slice(index).replace(/\)\s*$/, "");
    const match = /:(\d+):(\d+)$/.exec(where);
    if (!wrapped || match?.[1] !== "1" || match[2] === undefined) return where;
    // Line 1 of a wrapped policy starts after the wrapper's prefix.
    const column = Number(match[2]) - WRAP_PREFIX_LENGTH;
    return column > 0 ? `${file}:1:${column}` : where;
  }
  return undefined;
}
