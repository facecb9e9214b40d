// Issued API keys in PostgreSQL: the same behaviour as the SQLite repository, asynchronously.

import { and, eq, isNull } from "drizzle-orm";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { type IssuedKey, type KeyRecord, newKeyRow, toRecord } from "../keys";
import type * as schema from "../schema.pg";
import { apiKeys } from "../schema.pg";
import type { CreateKeyOptions, KeyStore } from "../types";

export type PgDb = PostgresJsDatabase<typeof schema>;

export class PgKeyRepository implements KeyStore {
  /** `ready` settles when migrations are applied; every query waits for it. */
  constructor(
    private readonly db: PgDb,
    private readonly ready: Promise<void>,
  ) {}

  async create(options: CreateKeyOptions): Promise<IssuedKey> {
    await this.ready;
    const { key, row, record } = newKeyRow(options);
    // The unique name constraint decides between two instances creating the same name at once.
    const inserted = await this.db
      .insert(apiKeys)
      .values(row)
      .onConflictDoNothing({ target: apiKeys.name })
      .returning({ id: apiKeys.id });
    if (inserted.length === 0) throw new Error(`a key named '${options.name}' already exists`);
    return { key, record };
  }

  async byId(id: string): Promise<KeyRecord | undefined> {
    await this.ready;
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
    return row ? toRecord(row) : undefined;
  }

  async byName(name: string): Promise<KeyRecord | undefined> {
    await this.ready;
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.name, name)).limit(1);
    return row ? toRecord(row) : undefined;
  }

  async list(): Promise<KeyRecord[]> {
    await this.ready;
    return (await this.db.select().from(apiKeys).orderBy(apiKeys.createdAt)).map(toRecord);
  }

  setRpmLimit(name: string, rpmLimit: number | null): Promise<boolean> {
    return this.setLimits(name, { rpmLimit });
  }

  setTpmLimit(name: string, tpmLimit: number | null): Promise<boolean> {
    return this.setLimits(name, { tpmLimit });
  }

  private async setLimits(
    name: string,
    limits: { rpmLimit?: number | null; tpmLimit?: number | null },
  ): Promise<boolean> {
    await this.ready;
    const changed = await this.db
      .update(apiKeys)
      .set(limits)
      .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return changed.length > 0;
  }

  async revoke(name: string): Promise<boolean> {
    await this.ready;
    const revoked = await this.db
      .update(apiKeys)
      .set({ revokedAt: Date.now() })
      .where(and(eq(apiKeys.name, name), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id });
    return revoked.length > 0;
  }
}
