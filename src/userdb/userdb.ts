/**
 * `UserDB`: the user store as the rest of chaski sees it (see `mod.ts`).
 *
 * @module
 */

import { randomInt } from "node:crypto";
import type { Logger } from "../log/mod.ts";
import {
  addr,
  domain as normDomain,
  NormalizeError,
  user as normUser,
} from "../normalize/mod.ts";
import type { Clock, Files } from "../runtime/types.ts";
import { plainMatches, scryptHash, scryptVerify } from "./scrypt.ts";
import { type SyncSummary, syncUsersFiles } from "./sync.ts";
import type { UserRecord, UserSource, UserStore } from "./types.ts";
import type { Credential } from "./users_file.ts";

/** A refused user operation; the message is one line for the operator. */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UserError";
  }
}

/** What `UserDB` needs. */
export interface UserDBProps {
  readonly store: UserStore;
  /** For reading `domains/<d>/users` files. */
  readonly files: Files;
  readonly clock: Clock;
  readonly log?: Logger;
  /**
   * Minimum duration of every `authenticate()` call, before 0-20 % jitter
   * . Tests may pass 0.
   * @default 100
   */
  readonly minAuthMs?: number;
}

/** Options for `UserDB.add()`; exactly one must be given. */
export interface AddUserOptions {
  /** The new user's password, hashed with scrypt. */
  readonly password?: string;
  /** A receive-only user: mail is accepted, AUTH always fails. */
  readonly receiveOnly?: boolean;
}

/** A user as listed (no secrets). */
export interface UserInfo {
  readonly address: string;
  readonly scheme: Credential["scheme"];
  readonly source: UserSource;
  readonly sourceFile: string | null;
}

/** Result of `authenticate()`: `unknown` lets the caller try the next backend. */
export type AuthResult = "ok" | "bad" | "unknown";

/** Users in the database, file-synced ones included. */
export class UserDB {
  #store: UserStore;
  #files: Files;
  #clock: Clock;
  #log: Logger | undefined;
  #minAuthMs: number;

  constructor(props: UserDBProps) {
    this.#store = props.store;
    this.#files = props.files;
    this.#clock = props.clock;
    this.#log = props.log;
    this.#minAuthMs = props.minAuthMs ?? 100;
  }

  /**
   * Adds a database user. Adding over a file user shadows it (the file entry
   * is then ignored until this user is removed).
   * @throws {UserError} on a bad address, bad options or an existing user.
   */
  async add(address: string, opts: AddUserOptions): Promise<void> {
    const { address: norm, domain } = parseAddress(address);
    if ((opts.password !== undefined) === (opts.receiveOnly === true)) {
      throw new UserError("give exactly one of a password or receive-only");
    }
    let credential: Credential = { scheme: "denied" };
    if (opts.password !== undefined) {
      if (opts.password === "") {
        throw new UserError("the password must not be empty");
      }
      credential = { scheme: "scrypt", hash: await scryptHash(opts.password) };
    }
    const now = this.#clock.now();
    const outcome = await this.#store.addDbUser({
      address: norm,
      domain,
      credential,
      source: "db",
      sourceFile: null,
      createdAt: now,
      updatedAt: now,
    });
    if (outcome === "exists") {
      throw new UserError(`user "${norm}" already exists`);
    }
    if (outcome === "shadowed") {
      this.#log?.info("database user shadows a users-file user", {
        address: norm,
      });
    }
  }

  /**
   * Removes a database user.
   * @throws {UserError} when unknown, or when it comes from a users file
   *   (the message names the file to edit).
   */
  async remove(address: string): Promise<void> {
    const { address: norm } = parseAddress(address);
    const rec = await this.#store.get(norm);
    if (rec === null) throw new UserError(`unknown user "${norm}"`);
    if (rec.source === "file") {
      throw new UserError(
        `user "${norm}" comes from "${rec.sourceFile}": remove it from that file instead`,
      );
    }
    if (!await this.#store.remove(norm, "db")) {
      throw new UserError(`unknown user "${norm}"`);
    }
  }

  /**
   * Users, all or one domain's, sorted by address.
   * @throws {UserError} on an invalid domain.
   */
  async list(domain?: string): Promise<UserInfo[]> {
    let d: string | undefined;
    if (domain !== undefined) {
      try {
        d = normDomain(domain);
      } catch (err) {
        throw new UserError(`invalid domain "${domain}"`, { cause: err });
      }
    }
    const recs = await this.#store.list(d);
    return recs.map((r) => ({
      address: r.address,
      scheme: r.credential.scheme,
      source: r.source,
      sourceFile: r.sourceFile,
    }));
  }

  /** True when the address is a user here, receive-only ones included (RCPT check). */
  async exists(address: string): Promise<boolean> {
    let norm: string;
    try {
      norm = addr(address);
    } catch {
      return false;
    }
    return norm.includes("@") && await this.#store.get(norm) !== null;
  }

  /**
   * Checks a password. Takes at least `minAuthMs` plus 0-20 % jitter
   * whatever the outcome, errors included. `"bad"` covers wrong
   * passwords and receive-only users; `"unknown"` means no such user here.
   */
  async authenticate(
    user: string,
    domain: string,
    password: string,
  ): Promise<AuthResult> {
    const start = this.#clock.monotonic();
    try {
      return await this.#check(user, domain, password);
    } finally {
      const floor = this.#minAuthMs * (1 + randomInt(0, 201) / 1000);
      const wait = floor - (this.#clock.monotonic() - start);
      if (wait > 0) await this.#clock.sleep(wait);
    }
  }

  async #check(
    user: string,
    domain: string,
    password: string,
  ): Promise<AuthResult> {
    let address: string;
    try {
      address = `${normUser(user)}@${normDomain(domain)}`;
    } catch {
      return "unknown";
    }
    if (domain === "") return "unknown";
    const rec = await this.#store.get(address);
    if (rec === null) return "unknown";
    return await credentialMatches(rec, password) ? "ok" : "bad";
  }

  /**
   * Syncs `<configDir>/domains/<d>/users` for every domain into the database
   * (F-03). Call at start, every 30 s and on SIGHUP. `domains` is the full
   * list of domain directory names: file users of other domains are removed.
   * A broken file leaves that domain's users as they were and is reported
   * in `errors` (and logged).
   */
  async syncUsersFiles(
    configDir: string,
    domains: readonly string[],
  ): Promise<SyncSummary> {
    const summary = await syncUsersFiles({
      store: this.#store,
      files: this.#files,
      now: this.#clock.now(),
    }, { configDir, domains });
    for (const err of summary.errors) {
      this.#log?.warn("users file", { error: err.message });
    }
    if (summary.added + summary.changed + summary.removed > 0) {
      this.#log?.info("users files synced", {
        added: summary.added,
        changed: summary.changed,
        removed: summary.removed,
      });
    }
    return summary;
  }
}

function parseAddress(address: string): { address: string; domain: string } {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1 || address.indexOf("@") !== at) {
    throw new UserError(`invalid address "${address}": expected user@domain`);
  }
  try {
    const norm = addr(address);
    return { address: norm, domain: norm.slice(norm.lastIndexOf("@") + 1) };
  } catch (err) {
    if (!(err instanceof NormalizeError)) throw err;
    throw new UserError(`invalid address "${address}": ${err.message}`, {
      cause: err,
    });
  }
}

async function credentialMatches(
  rec: UserRecord,
  password: string,
): Promise<boolean> {
  const c = rec.credential;
  if (c.scheme === "scrypt") return await scryptVerify(c.hash, password);
  if (c.scheme === "plain") return plainMatches(c.password, password);
  return false;
}
