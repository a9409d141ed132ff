/**
 * SPF (RFC 7208) at MAIL FROM, through mailauth (SP-01..SP-04).
 *
 * @module
 */
import { spf } from "mailauth/lib/spf/index.js";
import type { Resolver } from "../runtime/types.ts";
import { mailauthResolver } from "./resolver.ts";

/** The results of `check_host()`. */
export type SpfResult =
  | "pass"
  | "fail"
  | "softfail"
  | "neutral"
  | "none"
  | "temperror"
  | "permerror";

/** What `checkSpf()` needs. */
export interface SpfOptions {
  /** The client's IP address (behind HAProxy: the PROXY source). */
  readonly ip: string;
  /** The MAIL FROM address; its domain is the one checked (SP-02). */
  readonly sender: string;
  /** The EHLO/HELO name, only used in macros (HELO is not checked). */
  readonly helo: string;
  /** Our hostname, named in the explanation texts. */
  readonly mta: string;
  readonly resolver: Resolver;
}

/** The outcome of an SPF check. */
export interface SpfCheck {
  readonly result: SpfResult;
  /**
   * For `fail`, the domain's `exp=` text when it published one; otherwise
   * a sentence saying why (S-21 puts it in the 550 reply).
   */
  readonly explanation: string;
  /** The checked domain (the MAIL FROM domain), for DMARC alignment. */
  readonly domain: string;
  /** `Received-SPF: <result> (<text>)` (H-03), without a line ending. */
  readonly header: string;
}

const RESULTS = new Set<string>([
  "pass",
  "fail",
  "softfail",
  "neutral",
  "none",
  "temperror",
  "permerror",
]);

/** Header text has no line breaks and no unbalanced parentheses. */
function commentText(s: string): string {
  return s.replace(/[\r\n\t]+/g, " ").replace(/[()\\]/g, "").trim();
}

/**
 * Runs `check_host(ip, domain of sender, sender)`. Never throws: DNS
 * trouble is `temperror`, broken records (or more than 10 lookups) are
 * `permerror`.
 *
 * @example
 * ```ts
 * const r = await checkSpf({ ip, sender: "a@b.test", helo, mta, resolver });
 * if (r.result === "fail") throw spfFail(r.explanation);
 * ```
 */
export async function checkSpf(opts: SpfOptions): Promise<SpfCheck> {
  const at = opts.sender.lastIndexOf("@");
  const fallbackDomain = opts.sender.slice(at + 1).toLowerCase();
  let res;
  try {
    res = await spf({
      ip: opts.ip,
      sender: opts.sender,
      helo: opts.helo,
      mta: opts.mta,
      // mailauth's typing says string records; MX answers are objects.
      resolver: mailauthResolver(opts.resolver) as never,
    });
  } catch (err) {
    const text = `${opts.mta}: error in processing: ${(err as Error).message}`;
    return build("temperror", text, text, fallbackDomain);
  }
  const status = res.status as { result?: string; comment?: string };
  const result = RESULTS.has(status.result ?? "")
    ? status.result as SpfResult
    : "temperror";
  const comment = commentText(status.comment ?? "");
  const exp = (res as { explanation?: string }).explanation;
  const explanation = result === "fail" && exp ? commentText(exp) : comment;
  const domain = (res as { domain?: string }).domain ?? fallbackDomain;
  return build(result, explanation, comment, domain);
}

function build(
  result: SpfResult,
  explanation: string,
  comment: string,
  domain: string,
): SpfCheck {
  const header = comment
    ? `Received-SPF: ${result} (${comment})`
    : `Received-SPF: ${result}`;
  return { result, explanation, domain, header };
}
