/**
 * Mail authentication: SPF, DKIM, DMARC and Authentication-Results. The
 * only place that imports `mailauth`, which always gets our `Resolver`
 * (adapted by `mailauthResolver()`) and an explicit `mta` name, so it
 * never reads the hostname or the system DNS.
 *
 * ## Contracts
 *
 * - **SPF** (SP-01..SP-04): `checkSpf()` at MAIL FROM for unauthenticated,
 *   non-null senders; it checks the MAIL FROM domain only (HELO is not
 *   checked), never throws, and gives one of pass, fail, softfail,
 *   neutral, none, temperror, permerror. Only `fail` rejects (S-21, with
 *   `explanation`); `header` is the `Received-SPF: <result> (<text>)` line
 *   (H-03). More than 10 DNS lookups or 2 void lookups is `permerror`; DNS
 *   timeouts are `temperror`.
 * - **DKIM keys**: `domains/<d>/dkim:<selector>.pem`, PKCS#8 PEM, RSA of at
 *   least 1024 bits or Ed25519. `loadDkimKeys()` throws `DkimKeyError`
 *   naming the file.
 * - **DKIM signing** (DK-01..DK-03, H-05): every key of the MAIL FROM
 *   domain signs; relaxed/relaxed, `rsa-sha256` or `ed25519-sha256`,
 *   `t=` and no `x=`, `l=` or `i=`. `h=` lists each present header of
 *   H-05's set once per occurrence, then From, Subject, Date, To, Cc and
 *   Message-ID once more (over-signing). `b=` is wrapped at 70
 *   characters. A signing error throws: the session answers 451 4.3.0
 *   (S-46).
 * - **DKIM verification** (DK-04): the first 5 DKIM-Signature fields only;
 *   `rsa-sha1` and RSA keys under 1024 bits are `permerror`; a signature
 *   past its `x=` is `fail` with reason "signature expired (x=)" (chaski
 *   fix); a body hash mismatch or bad signature is `fail`; missing or
 *   broken keys and signature syntax errors are `permerror`; DNS trouble
 *   is `temperror`. Never throws, never rejects.
 * - **DMARC** (B-07): `checkDmarc()` with the `From:` domain
 *   (`fromDomain()`), the SPF result for the MAIL FROM domain and the DKIM
 *   rows; the organizational domain comes from the Public Suffix List.
 *   `policy` is what the domain asks for on failure.
 * - **Authentication-Results** (H-04): `Authentication-Results: <host>`,
 *   then `\t;spf=<result> (<text>)`, one `\t;dkim=pass header.b=<12>
 *   header.d=<d>` per passing signature, or `\t;dkim=<result>
 *   reason="<why>"` followed by `\t header.b=<12> header.d=<d>`,
 *   `\t;dkim=none` when there was no signature, and
 *   `\t;dmarc=<result> header.from=<domain>`.
 *
 * @module
 */
export { type MailauthResolver, mailauthResolver } from "./resolver.ts";
export {
  checkSpf,
  type SpfCheck,
  type SpfOptions,
  type SpfResult,
} from "./spf.ts";
export {
  type DkimKey,
  DkimKeyError,
  type DkimVerifyResult,
  loadDkimKeys,
  parseDkimKey,
  relaxedBody,
  relaxedHeader,
  signMessage,
  type SignOptions,
  verifyMessage,
} from "./dkim.ts";
export type { VerifyOptions } from "./_dkim_verify.ts";
export {
  checkDmarc,
  type DmarcCheck,
  type DmarcOptions,
  type DmarcResult,
} from "./dmarc.ts";
export { type ArcSealOptions, type ArcSealResult, sealArc } from "./arc.ts";
export {
  authResultsHeader,
  type AuthResultsOptions,
  fromDomain,
} from "./auth_results.ts";
