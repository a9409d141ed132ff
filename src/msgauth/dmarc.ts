/**
 * DMARC (RFC 7489) for unauthenticated mail, through mailauth (B-07). The
 * organizational domain comes from mailauth's Public Suffix List handling
 * (`tldts`). Results are annotations; enforcement (`dmarc_enforce`) is
 * the session's business.
 *
 * @module
 */
import { dmarc } from "mailauth/lib/dmarc/index.js";
import type { Resolver } from "../runtime/types.ts";
import { mailauthResolver } from "./resolver.ts";
import type { SpfResult } from "./spf.ts";
import type { DkimVerifyResult } from "./_dkim_verify.ts";

/** A DMARC verdict. */
export type DmarcResult = "pass" | "fail" | "none" | "temperror" | "permerror";

/** What `checkDmarc()` needs. */
export interface DmarcOptions {
  /** The `From:` header domain (see `fromDomain()`). */
  readonly from: string;
  /** The SPF result and the domain it was checked for (MAIL FROM). */
  readonly spf?: { readonly result: SpfResult; readonly domain: string };
  readonly dkim: readonly Pick<DkimVerifyResult, "result" | "domain">[];
  readonly resolver: Resolver;
}

/** The outcome of a DMARC check. */
export interface DmarcCheck {
  readonly result: DmarcResult;
  /** The policy to apply to a failure (after `sp=`, `np=`, `t=`); `null` when there is none. */
  readonly policy: "none" | "quarantine" | "reject" | null;
  /** The `From:` domain (`header.from`). */
  readonly domain: string;
}

const POLICIES = new Set(["none", "quarantine", "reject"]);

/**
 * Looks up the From domain's policy (or its organizational domain's) and
 * checks SPF and DKIM alignment. Never throws.
 */
export async function checkDmarc(opts: DmarcOptions): Promise<DmarcCheck> {
  const domain = opts.from.toLowerCase().replace(/\.$/, "");
  let res;
  try {
    res = await dmarc({
      headerFrom: `postmaster@${domain}`,
      fromFields: 1,
      spfDomains: opts.spf?.result === "pass" ? [opts.spf.domain] : [],
      dkimDomains: opts.dkim.filter((r) => r.result === "pass")
        .map((r) => ({ domain: r.domain })),
      // mailauth's typing says string records; MX answers are objects.
      resolver: mailauthResolver(opts.resolver) as never,
    } as never);
  } catch {
    return { result: "temperror", policy: null, domain };
  }
  if (!res) return { result: "permerror", policy: null, domain };
  const r = res as {
    status?: { result?: string };
    policy?: string;
  };
  const status = r.status?.result ?? "";
  let result: DmarcResult;
  if (
    status === "pass" || status === "fail" || status === "none" ||
    status === "temperror" || status === "permerror"
  ) result = status;
  else result = "permerror";
  const policy = result === "pass" || result === "fail"
    ? POLICIES.has(r.policy ?? "") ? r.policy as DmarcCheck["policy"] : "none"
    : null;
  return { result, policy, domain };
}
