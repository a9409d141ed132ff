/**
 * The Authentication-Results header (RFC 8601) in chasquid's layout (H-04)
 * plus chaski's `dmarc=` line, and the `From:` domain helper DMARC needs.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { headerBlock, parseHeaderFields } from "./_headers.ts";
import type { SpfCheck } from "./spf.ts";
import type { DkimVerifyResult } from "./_dkim_verify.ts";
import type { DmarcCheck } from "./dmarc.ts";

/** What `authResultsHeader()` reports; a missing part is left out. */
export interface AuthResultsOptions {
  /** Our hostname: the authserv-id. */
  readonly hostname: string;
  readonly spf?: Pick<SpfCheck, "result" | "explanation">;
  /** DKIM rows; an empty list gives `;dkim=none`. */
  readonly dkim?: readonly DkimVerifyResult[];
  readonly dmarc?: Pick<DmarcCheck, "result" | "domain">;
}

function quoted(s: string): string {
  return `"${s.replace(/[\r\n]+/g, " ").replace(/["\\]/g, "\\$&")}"`;
}

function comment(s: string): string {
  return s.replace(/[\r\n]+/g, " ").replace(/[()\\]/g, "");
}

/**
 * Builds the header, lines joined with CRLF and no final line ending.
 * Returns `""` when there is nothing to report (no SPF, DKIM or DMARC).
 *
 * @example
 * ```ts
 * authResultsHeader({ hostname: "mx.a.test", spf, dkim: [] });
 * // Authentication-Results: mx.a.test
 * // \t;spf=pass (…)
 * // \t;dkim=none
 * ```
 */
export function authResultsHeader(opts: AuthResultsOptions): string {
  const lines: string[] = [];
  if (opts.spf) {
    const text = comment(opts.spf.explanation);
    lines.push(`\t;spf=${opts.spf.result}${text ? ` (${text})` : ""}`);
  }
  if (opts.dkim) {
    if (opts.dkim.length === 0) lines.push("\t;dkim=none");
    for (const r of opts.dkim) {
      const ids = `header.b=${r.b12} header.d=${r.domain}`;
      if (r.result === "pass") lines.push(`\t;dkim=pass ${ids}`);
      else {
        lines.push(`\t;dkim=${r.result} reason=${quoted(r.reason)}`);
        lines.push(`\t ${ids}`);
      }
    }
  }
  if (opts.dmarc) {
    lines.push(
      `\t;dmarc=${opts.dmarc.result} header.from=${opts.dmarc.domain}`,
    );
  }
  if (lines.length === 0) return "";
  return [`Authentication-Results: ${opts.hostname}`, ...lines].join("\r\n");
}

/**
 * The domain of the (first) `From:` header's address, lower-cased, or
 * `null` when there is no From or no domain in it.
 */
export function fromDomain(message: Uint8Array): string | null {
  const text = Buffer.from(message.subarray(0, 256 * 1024)).toString("latin1");
  const field = parseHeaderFields(headerBlock(text).header)
    .find((f) => f.name.toLowerCase() === "from");
  if (!field) return null;
  const value = field.value.replace(/\r?\n/g, "");
  const angle = /<[^<>]*@([^<>@\s]+)>/.exec(value);
  const bare = /@([A-Za-z0-9.\-\[\]:_]+)/.exec(value);
  const domain = (angle ?? bare)?.[1]?.replace(/\.$/, "").toLowerCase();
  return domain ? domain : null;
}
