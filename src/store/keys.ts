// Issued API keys: generation, hashing, and the repository. Only hashes are stored.

import { randomBytes } from "node:crypto";
import { and, eq, isNull } from "drizzle-orm";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type * as schema from "./schema";
import { apiKeys } from "./schema";
import type { CreateKeyOptions, KeyStore } from "./types";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ID_LENGTH = 8;
const SECRET_LENGTH = 32;
const KEY_PATTERN = /^spx_sk_(live|test)_([0-9A-Za-z]{8})([0-9A-Za-z]{32})$/;

export type KeyEnv = "live" | "test";

export interface KeyRecord {
  id: string;
  name: string;
  env: KeyEnv;
  hash: string;
  last4: string;
  team: string | null;
  policy: string | null;
  allowedProviders: string[] | null;
  failover: string | null;
  /** Requests per minute; null: the key has no rate limit of its own. */
  rpmLimit: number | null;
  /** Tokens per minute (prompt + completion); null: the key has no token limit of its own. */
  tpmLimit: number | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface IssuedKey {
  key: string;
  record: KeyRecord;
}

function randomText(length: number): string {
  // Rejection sampling keeps every character uniform over the 62-letter alphabet.
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

/** SHA-256 of the key, hex. Bun's one-shot hasher is about 4× faster than node:crypto's streaming one. */
export function hashKey(key: string): string {
  return Bun.SHA256.hash(key, "hex") as string;
}

/** Splits a presented key into its env and public id; undefined when it is not a Spendex key at all. */
export function parseKey(key: string): { env: KeyEnv; id: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  return { env: match[1] as KeyEnv, id: match[2] as string };
}

export function generateKey(env: KeyEnv): { key: string; id: string } {
  const id = randomText(ID_LENGTH);
  return { key: `spx_sk_${env}_${id}${randomText(SECRET_LENGTH)}`, id };
}

type Row = typeof apiKeys.$inferSelect;

/** The row for a new key (both backends store the same shape); the key itself is returned once, never stored. */
export function newKeyRow(options: CreateKeyOptions): IssuedKey & { row: Row } {
  const { key, id } = generateKey(options.env);
  const row: Row = {
    id,
    name: options.name,
    env: options.env,
    hash: hashKey(key),
    last4: key.slice(-4),
    team: options.team ?? null,
    policy: options.policy ?? null,
    allowedProviders: options.allowedProviders ? JSON.stringify(options.allowedProviders) : null,
    failover: options.failover ?? null,
    rpmLimit: options.rpmLimit ?? null,
    tpmLimit: options.tpmLimit ?? null,
    createdAt: Date.now(),
    revokedAt: null,
  };
  return { key, row, record: toRecord(row) };
}

export function toRecord(row: Row): KeyRecord {
  return {
    ...row,
    env: row.env as KeyEnv,
    allowedProviders: row.allowedProviders ? (JSON.parse(row.allowedProviders) as string[]) : null,
  };
}

export class KeyRepository implements KeyStore {
  constructor(private readonly db: BunSQLiteDatabase<typeof schema>) {}

  create(options: CreateKeyOptions): IssuedKey {
    if (this.byName(options.name)) throw new Error(`a key named '${options.name}' already exists`);
    const { key, row, record } = newKeyRow(options);
    this.db.insert(apiKeys).values(row).run();
    return { key, record };
  }

  byId(id: string): KeyRecord | undefined {
    const row = this.db.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    return row ? toRecord(row) : undefined;
  }

  byName(name: string): KeyRecord | undefined {
    const row = this.db.select().from(apiKeys).where(eq(apiKeys.name, name)).get();
    return row ? toRecord(row) : undefined;
  }

  list(): KeyRecord[] {
    return this.db.select().from(apiKeys).orderBy(apiKeys.createdAt).all().map(toRecord);
  }

  /** Returns false when no active key has that name. */
  setRpmLimit(name: string, rpmLimit: number | null): boolean {
    return this.setLimits(name, { rpmLimit });
  }

  /** Returns false when no active key has that name. */
  setTpmLimit(name: string, tpmLimit: number | null): boolean {
    return this.setLimits(name, { tpmLimit });
  }

  private setLimits(name: string, limits: Partial<Pick<Row, "rpmLimit" | "tpmLimit">>): boolean {
    const changed = this.db
      .update(apiKeys)
      .set(limits)
      .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id })
      .all();
    return changed.length > 0;
  }

  /** Returns false when no active key has that name. */
  revoke(name: string): boolean {
    const key = this.byName(name);
    if (!key || key.revokedAt !== null) return false;
    this.db.update(apiKeys).set({ revokedAt: Date.now() }).where(eq(apiKeys.id, key.id)).run();
    return true;
  }
}
