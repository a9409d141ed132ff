/**
 * DKIM verification through mailauth, with chaski's rules (DK-04): at most
 * five signatures, sha1 and RSA keys under 1024 bits rejected, and a
 * signature past its `x=` is a failure (chaski fix).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import type { Resolver } from "../runtime/types.ts";
import { mailauthResolver } from "./resolver.ts";
import { headerBlock, parseHeaderFields } from "./_headers.ts";

/** DK-04: signatures past the fifth are not looked at. */
export const MAX_SIGNATURES = 5;

/** The verdict on one DKIM-Signature. */
export interface DkimVerifyResult {
  readonly result: "pass" | "fail" | "permerror" | "temperror";
  /** `d=` */
  readonly domain: string;
  /** `s=` */
  readonly selector: string;
  /** The first 12 characters of `b=` (`header.b` in H-04). */
  readonly b12: string;
  /** Why it did not pass; empty on pass. */
  readonly reason: string;
}

/** What `verifyMessage()` needs. */
export interface VerifyOptions {
  readonly message: Uint8Array;
  readonly resolver: Resolver;
  /** Checked against `t=` and `x=`. */
  readonly now: Date;
}

/** Drops DKIM-Signature fields past the fifth from the message. */
function limitSignatures(message: Uint8Array): Uint8Array {
  const text = Buffer.from(message).toString("latin1");
  const { header } = headerBlock(text);
  const fields = parseHeaderFields(header);
  let seen = 0;
  let kept = "";
  let dropped = false;
  for (const f of fields) {
    if (f.name.toLowerCase() === "dkim-signature" && ++seen > MAX_SIGNATURES) {
      dropped = true;
      continue;
    }
    kept += f.raw;
  }
  if (!dropped) return message;
  const rest = text.slice(header.length).replace(/^\r?\n/, "\r\n");
  return Buffer.from(kept.replace(/\r?\n?$/, "") + rest, "latin1");
}

interface MailauthRow {
  signingDomain?: string;
  selector?: string;
  signature?: string;
  status?: { result?: string; comment?: string };
}

function mapRow(row: MailauthRow): DkimVerifyResult | null {
  const status = row.status?.result ?? "";
  const comment = row.status?.comment ?? "";
  const base = {
    domain: row.signingDomain ?? "",
    selector: row.selector ?? "",
    b12: (row.signature ?? "").replace(/\s+/g, "").slice(0, 12),
  };
  switch (status) {
    case "none":
      return null;
    case "pass":
      return { ...base, result: "pass", reason: "" };
    case "fail":
      return { ...base, result: "fail", reason: comment || "bad signature" };
    case "temperror":
      return { ...base, result: "temperror", reason: comment || "DNS error" };
    case "policy":
      // weak algorithm (sha1) or weak key (RSA < 1024 bits)
      return { ...base, result: "permerror", reason: comment || "weak key" };
    default:
      break;
  }
  if (comment === "expired") {
    return { ...base, result: "fail", reason: "signature expired (x=)" };
  }
  if (comment === "body hash did not verify") {
    return { ...base, result: "fail", reason: comment };
  }
  return { ...base, result: "permerror", reason: comment || status };
}

/**
 * Verifies the first five DKIM signatures of `message`. Never throws:
 * anything unexpected is a `permerror` row (or no rows for a message
 * mailauth cannot parse at all). No signature gives no rows.
 */
export async function verifyMessage(
  opts: VerifyOptions,
): Promise<{ results: DkimVerifyResult[] }> {
  let res;
  try {
    res = await dkimVerify(Buffer.from(limitSignatures(opts.message)), {
      // mailauth's typing says string records; MX answers are objects.
      resolver: mailauthResolver(opts.resolver) as never,
      curTime: opts.now,
      minBitLength: 1024,
      rejectRsaSha1: true,
    } as never);
  } catch (err) {
    const reason = `verification error: ${(err as Error).message}`;
    return {
      results: [{
        result: "permerror",
        domain: "",
        selector: "",
        b12: "",
        reason,
      }],
    };
  }
  const rows = (res.results ?? []) as MailauthRow[];
  const results = rows.map(mapRow).filter((r): r is DkimVerifyResult =>
    r !== null
  );
  return { results: results.slice(0, MAX_SIGNATURES) };
}
