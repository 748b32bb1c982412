/**
 * TLS identities (certificate chain + private key) loaded lazily from a directory and
 * reloaded when their files change, as Condure does (condure:src/tls.rs).
 *
 * @module
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import tls from "node:tls";
import { identityCandidates } from "./identity_name.ts";

/** Default time during which a looked-up identity is reused without a `stat`. */
export const IDENTITY_RECHECK_MS = 1000;
/** Default number of identity names remembered (found or not); oldest dropped first. */
export const IDENTITY_CACHE_MAX = 1024;

/** Options of {@linkcode IdentityStore}. */
export interface IdentityStoreOptions {
  /**
   * How long a lookup result is trusted before the files are `stat`ed again
   * (default {@linkcode IDENTITY_RECHECK_MS}; 0 = stat on every handshake).
   */
  recheckMs?: number;
  /** How many names to remember (default {@linkcode IDENTITY_CACHE_MAX}). */
  cacheMax?: number;
  /** Told when an identity's files exist but cannot be loaded. */
  onError?: (message: string) => void;
}

interface Entry {
  /** The loaded identity, or `null` when the pair is missing or unusable. */
  context: tls.SecureContext | null;
  /** `stat` signature of the pair the context was built from (`""` = missing). */
  signature: string;
  /** `performance.now()` of the last check. */
  checkedAt: number;
  /** A check in progress. */
  pending: Promise<Entry> | null;
}

/**
 * Finds the identity for a TLS server name in a directory of `<name>.crt` (PEM chain) and
 * `<name>.key` (PEM key) pairs: the exact lowercased name, then the wildcard `_.<parent>`,
 * then the default name. Loaded pairs are cached; a pair whose files' mtime, size or inode
 * changed is read again (rotation without restart). Checking is at most one pair of `stat`
 * calls per name per `recheckMs`; concurrent lookups of one name share one check.
 *
 * @example
 * ```ts
 * import { IdentityStore } from "./identity_store.ts";
 * const store = new IdentityStore(Deno.makeTempDirSync());
 * const context = await store.lookup("www.example.com", "default");
 * if (context !== null) throw new Error("empty directory");
 * ```
 */
export class IdentityStore {
  readonly #dir: string;
  readonly #recheckMs: number;
  readonly #cacheMax: number;
  readonly #onError: ((message: string) => void) | undefined;
  readonly #entries = new Map<string, Entry>();

  /** A store over the identities directory `dir`. */
  constructor(dir: string, options: IdentityStoreOptions = {}) {
    this.#dir = dir.endsWith("/") ? dir : `${dir}/`;
    this.#recheckMs = options.recheckMs ?? IDENTITY_RECHECK_MS;
    this.#cacheMax = options.cacheMax ?? IDENTITY_CACHE_MAX;
    this.#onError = options.onError;
  }

  /**
   * The secure context for `serverName` (`""` when the client sent no SNI), falling back to
   * `defaultCert`; `null` when no usable pair exists.
   */
  async lookup(
    serverName: string,
    defaultCert?: string,
  ): Promise<tls.SecureContext | null> {
    for (const name of identityCandidates(serverName, defaultCert)) {
      const context = await this.#get(name);
      if (context !== null) return context;
    }
    return null;
  }

  #get(
    name: string,
  ): tls.SecureContext | null | Promise<tls.SecureContext | null> {
    const entry = this.#entries.get(name);
    if (entry !== undefined) {
      if (entry.pending !== null) return entry.pending.then((e) => e.context);
      if (performance.now() - entry.checkedAt < this.#recheckMs) {
        return entry.context;
      }
      entry.pending = this.#check(name, entry);
      return entry.pending.then((e) => e.context);
    }
    const fresh: Entry = {
      context: null,
      signature: "",
      checkedAt: 0,
      pending: null,
    };
    if (this.#entries.size >= this.#cacheMax) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(name, fresh);
    fresh.pending = this.#check(name, fresh);
    return fresh.pending.then((e) => e.context);
  }

  async #check(name: string, entry: Entry): Promise<Entry> {
    const base = this.#dir + name;
    let signature = "";
    try {
      signature = await pairSignature(base);
    } catch (e) {
      this.#report(name, e);
    }
    if (signature !== entry.signature) {
      // Remembered even if loading fails: a broken pair is read again only once changed.
      entry.signature = signature;
      entry.context = null;
      if (signature !== "") {
        try {
          entry.context = await this.#load(name, base);
        } catch (e) {
          this.#report(name, e);
        }
      }
    }
    entry.checkedAt = performance.now();
    entry.pending = null;
    return entry;
  }

  #report(name: string, e: unknown): void {
    this.#onError?.(
      `tls identity ${name}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }

  async #load(name: string, base: string): Promise<tls.SecureContext | null> {
    const pair = await readIdentityPair(base);
    if (pair === null) {
      this.#onError?.(`tls identity ${name}: key does not match certificate`);
      return null;
    }
    return tls.createSecureContext({ ...pair, minVersion: "TLSv1.2" });
  }
}

/**
 * Reads `<base>.crt` and `<base>.key` (PEM) and checks that the key belongs to the first
 * certificate: the TLS engines parse PEM only at handshake time, so this is done once per
 * change. `null` when the key does not match.
 *
 * @throws when a file is missing or is not PEM of the right kind.
 *
 * @example
 * ```ts ignore
 * const pair = await readIdentityPair("/etc/certs/default");
 * ```
 */
export async function readIdentityPair(
  base: string,
): Promise<{ cert: string; key: string } | null> {
  const [cert, key] = await Promise.all([
    Deno.readTextFile(`${base}.crt`),
    Deno.readTextFile(`${base}.key`),
  ]);
  const leaf = new X509Certificate(cert);
  return leaf.checkPrivateKey(createPrivateKey(key)) ? { cert, key } : null;
}

/**
 * `mtime:size:ino` of `<base>.crt` and `<base>.key`, or `""` when either is missing.
 *
 * @example
 * ```ts
 * import { pairSignature } from "./identity_store.ts";
 * if ((await pairSignature(Deno.makeTempDirSync() + "/x")) !== "") throw new Error();
 * ```
 */
export async function pairSignature(base: string): Promise<string> {
  let crt: Deno.FileInfo;
  let key: Deno.FileInfo;
  try {
    [crt, key] = await Promise.all([
      Deno.stat(`${base}.crt`),
      Deno.stat(`${base}.key`),
    ]);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
  return `${crt.mtime?.getTime()}:${crt.size}:${crt.ino}/${key.mtime?.getTime()}:${key.size}:${key.ino}`;
}
