// Policy files on disk: listing `policies/*.js`, content-hash revisions, and a debounced directory watch.

import { createHash } from "node:crypto";
import { type FSWatcher, readdirSync, readFileSync, watch } from "node:fs";
import { join } from "node:path";

export interface PolicySource {
  /** File name without `.js`: the name keys and config refer to. */
  name: string;
  /** Base name, used in error locations (`default.js:12:5`) so messages never carry server paths. */
  file: string;
  path: string;
  source: string;
  revision: string;
}

const POLICY_FILE = /^([a-z0-9][a-z0-9_-]*)\.js$/i;

/** The revision of a policy is the first 12 hex digits of the SHA-256 of its source. */
export function policyRevision(source: string): string {
  return createHash("sha256").update(source).digest("hex").slice(0, 12);
}

export function policyNameOf(file: string): string | undefined {
  return POLICY_FILE.exec(file)?.[1];
}

/** Reads every policy in `dir` (or only the named ones); a missing directory holds no policies. */
export function readPolicyDir(dir: string, only?: readonly string[]): PolicySource[] {
  let files: string[];
  try {
    files = readdirSync(dir).sort();
  } catch {
    return [];
  }
  const sources: PolicySource[] = [];
  for (const file of files) {
    const name = policyNameOf(file);
    if (name === undefined || (only !== undefined && !only.includes(name))) continue;
    const path = join(dir, file);
    let source: string;
    try {
      source = readFileSync(path, "utf8");
    } catch {
      continue; // Deleted or replaced between the listing and the read; the next watch event catches up.
    }
    sources.push({ name, file, path, source, revision: policyRevision(source) });
  }
  return sources;
}

/**
 * Calls `onChange` once a burst of file events in `dir` has settled: editors write, rename and chmod in
 * quick succession, and compiling a half-written file would report a spurious error. Returns a stop function.
 */
export function watchPolicyDir(dir: string, onChange: () => void, debounceMs = 50): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        onChange();
      }, debounceMs);
    });
  } catch {
    return () => {};
  }
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    watcher?.close();
  };
}
