/**
 * ARC sealing of forwarded mail (B-08, RFC 8617), through mailauth: the
 * incoming chain is validated first and its result becomes `cv=` of the new
 * set (`none` when there is no chain), whose instance is the previous one
 * plus one. As RFC 8617 §5.1 says (and mailauth's `authenticate()` does), a
 * broken chain is sealed once with `cv=fail`; a chain whose newest seal
 * already says `cv=fail` is forwarded unsealed.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { KeyObject } from "node:crypto";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import { arc, createSeal } from "mailauth/lib/arc/index.js";
import type { Resolver } from "../runtime/types.ts";
import { mailauthResolver } from "./resolver.ts";

/** What `sealArc()` needs. */
export interface ArcSealOptions {
  readonly resolver: Resolver;
  /** `d=`: the alias's domain. */
  readonly signingDomain: string;
  /** `s=` of the key. */
  readonly selector: string;
  /** An RSA private key (ARC validators take only rsa-sha256). */
  readonly privateKey: KeyObject;
  /** The authserv-id of ARC-Authentication-Results: our hostname. */
  readonly authservId: string;
  /** The `t=` of the seal. */
  readonly now: Date;
}

/** The outcome of sealing: the message with the new set on top, or why not. */
export interface ArcSealResult {
  readonly message: Uint8Array;
  readonly sealed: boolean;
  /** The incoming chain's validation: `none`, `pass`, `fail`… */
  readonly cv: string;
  /** The new set's `i=`; 0 when not sealed. */
  readonly instance: number;
  /** Why it was not sealed; empty when sealed. */
  readonly error: string;
}

interface Verified {
  headers: unknown;
  arc: Parameters<typeof arc>[0];
  seal?: { bodyHash?: string };
  results?: { info?: string }[];
}

/**
 * Validates the message's ARC chain and adds an ARC set signed with
 * `privateKey`. Never throws for a bad chain or key: the message comes back
 * unchanged with `sealed: false` and the reason.
 */
export async function sealArc(
  message: Uint8Array,
  opts: ArcSealOptions,
): Promise<ArcSealResult> {
  const resolver = mailauthResolver(opts.resolver);
  const seal = {
    signingDomain: opts.signingDomain,
    selector: opts.selector,
    privateKey: opts.privateKey.export({ type: "pkcs8", format: "pem" })
      .toString(),
    algorithm: "rsa-sha256",
  };
  const v = await dkimVerify(
    Buffer.from(message),
    {
      resolver,
      seal,
    } as Parameters<typeof dkimVerify>[1],
  ) as unknown as Verified;
  const chain = await arc(v.arc, { resolver } as Parameters<typeof arc>[1]);
  const cv = String(chain.status.result);
  const unsealed = (error: string) => ({
    message,
    sealed: false,
    cv,
    instance: 0,
    error,
  });
  if (!["none", "pass"].includes(cv) && !chain.status.shouldSeal) {
    return unsealed(`the incoming ARC chain is "${cv}"`);
  }
  const infos = [
    ...(v.results ?? []).map((r) => r.info),
    (chain as { info?: string }).info,
  ].filter((x): x is string => !!x);
  const created = await createSeal(
    false,
    {
      headers: v.headers,
      arc: v.arc,
      seal: {
        ...seal,
        cv,
        authResults: [opts.authservId, ...infos].join(";\r\n\t"),
        signTime: opts.now,
        ...(v.seal?.bodyHash ? { bodyHash: v.seal.bodyHash } : {}),
      },
    } as Parameters<typeof createSeal>[1],
  );
  if (created.headers.length === 0) {
    const why = created.errors.map((e) => String(e.err?.message ?? e.err));
    return unsealed(why.join("; ") || "no ARC set was made");
  }
  const top = Buffer.from(created.headers.join("\r\n") + "\r\n", "latin1");
  const i = /\bi=(\d+)/.exec(created.headers[0]!)?.[1] ?? "0";
  return {
    message: Buffer.concat([top, Buffer.from(message)]),
    sealed: true,
    cv,
    instance: Number(i),
    error: "",
  };
}
