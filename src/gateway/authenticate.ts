// authenticate: the bearer key → an active issued key, compared by hash in constant time, cached briefly.

import { SpendexError } from "../errors";
import { chain, hashKey, type KeyRecord, type KeyStore, type MaybePromise, parseKey } from "../store";

const CACHE_MS = 2_000;
const ZERO_HASH = "0".repeat(64);

/** Constant-time comparison of two equal-length hex digests: every character is looked at, always. */
function sameHex(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

const unauthorized = (message: string) =>
  new SpendexError({ type: "authentication_error", code: "invalid_api_key", message });

export class Authenticator {
  /** id → record and when it was read; revocations made by the CLI are seen within CACHE_MS. */
  private readonly cache = new Map<string, { record: KeyRecord | undefined; readAt: number }>();
  /** Reads in flight (PostgreSQL only), by id. */
  private readonly reading = new Map<string, Promise<KeyRecord | undefined>>();

  constructor(private readonly keys: KeyStore) {}

  /** Synchronous on a cache hit (and always with SQLite); only a cache miss on PostgreSQL returns a promise. */
  authenticate(authorization: string | null): MaybePromise<KeyRecord> {
    if (!authorization) {
      throw unauthorized("Missing API key. Pass it as 'Authorization: Bearer spx_sk_live_...'.");
    }
    // The scheme is case-insensitive (RFC 9110); the usual spelling is checked first, without allocating.
    const bearer =
      authorization.startsWith("Bearer ") || authorization.slice(0, 7).toLowerCase() === "bearer ";
    const presented = bearer ? authorization.slice(7).trim() : "";
    const parsed = parseKey(presented);
    if (!parsed) throw unauthorized("Malformed API key. Spendex keys look like 'spx_sk_live_...'.");
    return chain(this.lookup(parsed.id), (record) => {
      const matches = sameHex(record?.hash ?? ZERO_HASH, hashKey(presented));
      if (!record || !matches || record.env !== parsed.env) throw unauthorized("Invalid API key.");
      if (record.revokedAt !== null) throw unauthorized("This API key has been revoked.");
      return record;
    });
  }

  private lookup(id: string): MaybePromise<KeyRecord | undefined> {
    const now = Date.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.readAt < CACHE_MS) return cached.record;
    const reading = this.reading.get(id);
    if (reading) return reading;
    const read = chain(this.keys.byId(id), (record) => {
      // Unknown ids are cached too, so a flood of bad keys costs one query per id per period.
      if (this.cache.size > 100_000) this.cache.clear();
      this.cache.set(id, { record, readAt: now });
      return record;
    });
    if (read instanceof Promise) {
      // A burst on a key not cached yet (start-up, expiry) waits on one query rather than one each.
      this.reading.set(id, read);
      const forget = () => this.reading.delete(id);
      read.then(forget, forget);
    }
    return read;
  }
}
