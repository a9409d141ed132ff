/**
 * The users-file sync (F-03): brings file-sourced users in the database in
 * line with `domains/<d>/users`, leaving database users alone.
 *
 * @module
 */

import { join } from "node:path";
import { domain as normDomain } from "../normalize/mod.ts";
import type { Files } from "../runtime/types.ts";
import type { UserRecord, UserStore } from "./types.ts";
import {
  type Credential,
  parseUsersFile,
  type UsersFileEntry,
} from "./users_file.ts";

/** What a sync did. */
export interface SyncSummary {
  /** File users inserted. */
  readonly added: number;
  /** File users whose credential or file changed. */
  readonly changed: number;
  /** File users deleted (gone from their file, or their domain gone). */
  readonly removed: number;
  /**
   * Problems: unreadable or malformed files (that domain kept its previous
   * users) and skipped entries (`UsersFileError`s name file and line).
   */
  readonly errors: Error[];
}

/** Dependencies of a sync. */
export interface SyncDeps {
  readonly store: UserStore;
  readonly files: Files;
  /** Timestamp for new and updated rows, ms since the epoch. */
  readonly now: number;
}

/** What to sync. */
export interface SyncTarget {
  readonly configDir: string;
  /** Every domain directory name under `<configDir>/domains`. */
  readonly domains: readonly string[];
}

/** Per-domain outcome: the users the file defines, or `null` to keep the old state. */
interface DomainFile {
  readonly domain: string;
  readonly file: string;
  readonly entries: UsersFileEntry[] | null;
}

/** Syncs every domain's users file into the store in one transaction. */
export async function syncUsersFiles(
  deps: SyncDeps,
  target: SyncTarget,
): Promise<SyncSummary> {
  const errors: Error[] = [];
  const loaded: DomainFile[] = [];
  for (const dir of target.domains) {
    loaded.push(await loadDomain(deps.files, target.configDir, dir, errors));
  }
  const keep = new Set(loaded.map((d) => d.domain));
  const all = await deps.store.list();
  const existing = all.filter((r) => r.source === "file");
  const put: UserRecord[] = [];
  const remove: string[] = [];
  let added = 0, changed = 0;
  const shadowed = new Set(
    (await deps.store.list()).filter((r) => r.source === "db").map((r) =>
      r.address
    ),
  );
  const current = new Map(existing.map((r) => [r.address, r]));
  for (const d of loaded) {
    if (d.entries === null) continue;
    const seen = new Set<string>();
    for (const e of d.entries) {
      const address = `${e.user}@${d.domain}`;
      seen.add(address);
      if (shadowed.has(address)) continue;
      const old = current.get(address);
      if (
        old && old.sourceFile === d.file &&
        sameCredential(old.credential, e.credential)
      ) {
        continue;
      }
      if (old) changed++;
      else added++;
      put.push({
        address,
        domain: d.domain,
        credential: e.credential,
        source: "file",
        sourceFile: d.file,
        createdAt: old?.createdAt ?? deps.now,
        updatedAt: deps.now,
      });
    }
    for (const r of existing) {
      if (r.domain === d.domain && !seen.has(r.address)) remove.push(r.address);
    }
  }
  for (const r of existing) {
    if (!keep.has(r.domain)) remove.push(r.address);
  }
  await deps.store.applyFileSync({ put, remove });
  return { added, changed, removed: remove.length, errors };
}

async function loadDomain(
  files: Files,
  configDir: string,
  dir: string,
  errors: Error[],
): Promise<DomainFile> {
  const file = join(configDir, "domains", dir, "users");
  let domain: string;
  try {
    domain = normDomain(dir);
  } catch (err) {
    errors.push(
      new Error(`domain directory "${dir}" is not a valid domain`, {
        cause: err,
      }),
    );
    return { domain: dir, file, entries: null };
  }
  try {
    const info = await files.stat(file);
    if (info === null) return { domain, file, entries: [] };
    const result = parseUsersFile(await files.readBytes(file), file);
    errors.push(...result.skipped);
    return { domain, file, entries: result.entries };
  } catch (err) {
    errors.push(
      err instanceof SyntaxError
        ? err
        : new Error(`cannot read "${file}"`, { cause: err }),
    );
    return { domain, file, entries: null };
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameCredential(a: Credential, b: Credential): boolean {
  if (a.scheme === "scrypt" && b.scheme === "scrypt") {
    const x = a.hash, y = b.hash;
    return x.logN === y.logN && x.r === y.r && x.p === y.p &&
      x.keyLen === y.keyLen && sameBytes(x.salt, y.salt) &&
      sameBytes(x.encrypted, y.encrypted);
  }
  if (a.scheme === "plain" && b.scheme === "plain") {
    return a.password === b.password;
  }
  return a.scheme === b.scheme;
}
