/**
 * userdb: who may receive mail here and who may authenticate (A-03..A-08,
 * F-03, U-01..U-04).
 *
 * **Where users live.** In the database (`users` table). Two sources:
 * - `db`: made by `chaski user-add`; hashed with scrypt (N=2^14, r=8, p=1,
 *   32-byte key, 16-byte salt, A-06) or receive-only (`denied`, A-07).
 * - `file`: synced from chasquid's `<config>/domains/<d>/users` files
 *   (format in `users_file.ts`) at start, every 30 s and on SIGHUP, by
 *   `UserDB.syncUsersFiles()`; the caller (app.ts) owns the timer and the
 *   signal. All three schemes (`scrypt`, `plain`, `denied`) are kept, and
 *   hashes are stored unchanged, so chasquid passwords keep working.
 *   chaski never writes these files.
 *
 * **Sync rules.** Entries added to a file are added, changed ones updated,
 * removed ones deleted; when a domain is no longer in the domain list its
 * file users are deleted; a missing `users` file means no file users for
 * that domain. A database user shadows a file user of the same address: the
 * sync never touches it, and `user-add` over a file user turns it into a
 * database user (when that user is later removed, the next sync brings the
 * file entry back). A file that cannot be read or parsed leaves that
 * domain's users as they were, and the error (`file:line: detail`) is
 * returned and logged. An entry with an invalid or non-normalised key, or
 * scrypt parameters outside sane bounds, is skipped and reported; the rest
 * of its file applies.
 *
 * **Names.** Addresses are normalised (user: PRECIS UsernameCaseMapped,
 * domain: IDNA Unicode, NFC, lower-case). `add` refuses names that do not
 * normalise (whitespace, compatibility characters such as `Ⅳ`), addresses
 * without a user or a domain, and existing database users (`UserError`).
 * `remove` refuses file users, naming the file to edit.
 *
 * **Authentication** (A-05): `authenticate()` answers `ok`, `bad` (wrong
 * password, receive-only user) or `unknown` (no such user: the caller may
 * ask the next backend). Every call takes at least 100 ms plus 0-20 %
 * random jitter, whatever the outcome. Password checks run scrypt
 * asynchronously and compare in constant time.
 *
 * @example
 * const users = new UserDB({ store: new KyselyUserStore(db), files, clock });
 * await users.syncUsersFiles(configDir, ["example.com"]);
 * await users.add("bob@example.com", { password: "s3cret" });
 * await users.authenticate("bob", "example.com", "s3cret"); // "ok"
 *
 * @module
 */

export {
  type AddUserOptions,
  type AuthResult,
  UserDB,
  type UserDBProps,
  UserError,
  type UserInfo,
} from "./userdb.ts";
export type { SyncSummary } from "./sync.ts";
export type { AddOutcome, UserRecord, UserSource, UserStore } from "./types.ts";
export { KyselyUserStore } from "./userdb_store.ts";
export {
  type Credential,
  parseUsersFile,
  type UsersFileEntry,
  UsersFileError,
  type UsersFileResult,
} from "./users_file.ts";
export {
  plainMatches,
  SCRYPT_DEFAULTS,
  type ScryptHash,
  scryptHash,
  scryptVerify,
} from "./scrypt.ts";
