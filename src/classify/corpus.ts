// Reads labelled JSONL in the tier-corpus format (one chat request per line) for build and eval.

import { readFileSync } from "node:fs";
import { TIERS, type Tier } from "../catalog/types";
import type { ChatMessage } from "../openai/types";
import type { ClassifyInput } from "./types";

export interface LabelledRequest {
  id: string;
  source: string;
  tier: Tier;
  input: ClassifyInput;
}

interface CorpusLine {
  id?: unknown;
  source?: unknown;
  tier?: unknown;
  messages?: unknown;
  tools?: unknown;
  response_format?: unknown;
}

function isTier(value: unknown): value is Tier {
  return typeof value === "string" && (TIERS as readonly string[]).includes(value);
}

/** Parses JSONL text; a malformed line fails with its line number. */
export function parseCorpus(text: string, name = "corpus"): LabelledRequest[] {
  const rows: LabelledRequest[] = [];
  text.split("\n").forEach((line, index) => {
    if (!line.trim()) return;
    const where = `${name}:${index + 1}`;
    let row: CorpusLine;
    try {
      row = JSON.parse(line) as CorpusLine;
    } catch {
      throw new Error(`${where}: not valid JSON`);
    }
    if (!isTier(row.tier)) throw new Error(`${where}: tier must be one of ${TIERS.join(", ")}`);
    if (!Array.isArray(row.messages) || row.messages.length === 0)
      throw new Error(`${where}: messages missing`);
    const messages = row.messages as ChatMessage[];
    const images = messages.some(
      (message) =>
        Array.isArray(message.content) && message.content.some((part) => part.type === "image_url"),
    );
    const format = row.response_format as { type?: unknown } | undefined;
    rows.push({
      id: typeof row.id === "string" ? row.id : `line-${index + 1}`,
      source: typeof row.source === "string" ? row.source : "unknown",
      tier: row.tier,
      input: {
        messages,
        tools: Array.isArray(row.tools) && row.tools.length > 0,
        images,
        jsonMode: format?.type === "json_object" || format?.type === "json_schema",
      },
    });
  });
  return rows;
}

export function readCorpus(path: string): LabelledRequest[] {
  return parseCorpus(readFileSync(path, "utf8"), path);
}
