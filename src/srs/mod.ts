/**
 * Reversible SRS, the Sender Rewriting Scheme (B-09; replaces chasquid's
 * one-way `+fwd_from=` rewrite, CO-06). When an alias forwards mail from a
 * non-local sender to a remote address, the envelope sender becomes an
 * address of the alias's domain, so SPF at the next hop checks our domain,
 * and bounces to it come back to us and are routed to the original sender.
 *
 * ## Formats (as in libsrs2 / postsrsd, with the differences below)
 *
 * - `SRS0=HHHHHH=TT=<domain>=<local>@<alias domain>` for a plain sender
 *   `<local>@<domain>`.
 * - `SRS1=HHHHHH=<first forwarder>==HHHHHH=TT=<domain>=<local>@<our domain>`
 *   when the sender is already an SRS0 address of another forwarder
 *   (`SRS0=HHHHHH=TT=<domain>=<local>@<first forwarder>`): the SRS0 part
 *   after `SRS0` is kept as is (its hash is the first forwarder's), and we
 *   hash `<first forwarder>` and that part. Re-forwarding an SRS1 address
 *   keeps its first forwarder and opaque part and re-hashes them, so the
 *   address does not grow with every hop. A bounce to an SRS1 address goes
 *   back to `SRS0<opaque>@<first forwarder>`.
 * - `TT` is the day number (Unix time / 86400) modulo 1024, as two base32
 *   characters (RFC 4648 alphabet `A-Z2-7`), as libsrs2 does.
 * - `HHHHHH` is HMAC-SHA256 with our newest key over the lower-cased
 *   fields (`TT`, domain, local part; or first forwarder and opaque part),
 *   truncated to 30 bits and written as 6 base32 characters. libsrs2 uses
 *   HMAC-SHA1 and base64 (4 characters); we use base32 because our RCPT
 *   path case-folds local parts (N-01), which would break base64, and the
 *   hash and timestamp must survive case changes anyway (libsrs2 accepts
 *   case-smashed hashes too). Hashes are compared case-insensitively.
 * - The separator after `SRS0`/`SRS1` may be `=`, `+` or `-` when decoding
 *   (libsrs2 accepts the three); we always write `=`.
 *
 * ## Checks on bounces
 *
 * An address whose local part starts with `SRS0`/`SRS1` plus a separator
 * (any case) is SRS. It is valid when the hash matches with any of our keys
 * (old keys are kept for this) and, for SRS0, the timestamp is at most
 * 7 days old (a timestamp in the future counts as 1024 days earlier, so it
 * is expired). A valid address is accepted at RCPT even with no such user
 * and routed to the decoded address; a bad or expired one is
 * `550 5.1.1`. Decoded local parts are lower-case (the RCPT path folds them).
 *
 * ## Keys
 *
 * 32 random bytes, generated at first start and kept in the database
 * (`meta` key `srs_keys`, newest first); `SrsKeys.rotate()` adds a new
 * signing key and keeps the old ones for verification.
 *
 * @example
 * ```ts
 * const keys = await loadSrsKeys(new KyselySrsKeyStore(db), { now });
 * const srs = new Srs({ keys, now });
 * srs.forward("x@ext.test", "a.test"); // "SRS0=ABCDEF=QX=ext.test=x@a.test"
 * srs.reverse("srs0=abcdef=qx=ext.test=x@a.test"); // { ok: true, address: "x@ext.test" }
 * ```
 *
 * @module
 */

export {
  isSrs,
  MAX_AGE_DAYS,
  Srs,
  type SrsOptions,
  type SrsReverse,
} from "./srs.ts";
export {
  KyselySrsKeyStore,
  loadSrsKeys,
  rotateSrsKeys,
  type SrsKeyStore,
} from "./srs_store.ts";
