/**
 * What a session needs from the rest of the server, as small interfaces the
 * smtpsrv package owns. `app.ts` wires the real implementations.
 *
 * @module
 */

import type { SpfResult } from "../msgauth/mod.ts";
import type { Clock, ServerTls } from "../runtime/types.ts";
import type { Logger } from "../log/mod.ts";
import type { MailLog } from "../maillog/mod.ts";
import type { MetricsRegistry } from "../monitoring/mod.ts";
import type {
  EnvelopeResult,
  EnvelopeStage,
  HookFacts,
  PostDataResult,
} from "../hooks/mod.ts";

/** The three socket modes (L-01), named as in logs and Received headers. */
export type Mode = "SMTP" | "submission" | "submission+TLS";

/** Outcome of checking a password. */
export type AuthResult = "ok" | "bad";

/** Checks credentials; throws when the backend fails (→ 454 4.7.0). */
export interface Authenticator {
  authenticate(
    user: string,
    domain: string,
    password: string,
  ): Promise<AuthResult>;
}

/** Decides whether a local recipient exists (users, aliases, catch-all). */
export interface RecipientChecker {
  /**
   * `address` is normalised (PRECIS user, Unicode domain). Returns false for
   * an unknown recipient; throws on lookup errors (→ 451 4.4.3).
   */
  exists(address: string): Promise<boolean>;
}

/** An accepted message on its way to the queue. */
export interface Envelope {
  /** MAIL FROM as accepted; `""` for the null sender. */
  readonly from: string;
  /** RCPT TO addresses as accepted (normalised when local). */
  readonly to: readonly string[];
  /** The full message with our Received header prepended, CRLF endings. */
  readonly data: Uint8Array;
  /** `user@domain` of the authenticated client, or `""`. */
  readonly authAs: string;
  /** `ip:port` of the client. */
  readonly remoteAddr: string;
}

/** The part of the queue the session uses. */
export interface QueuePutter {
  /** Stores durably; resolves with the queue ID once committed. */
  put(env: Envelope): Promise<string>;
}

/** The operator's hooks (K-01..K-05, B-04); `Hooks` from src/hooks implements it. */
export interface SessionHooks {
  postData(facts: HookFacts, message: Uint8Array): Promise<PostDataResult>;
  envelope(stage: EnvelopeStage, facts: HookFacts): Promise<EnvelopeResult>;
}

/** Per-server state shared by its sessions; `tls` and `localDomains` may change on reload. */
export interface SessionContext {
  readonly hostname: string;
  /** Current certificates, or null when none are loaded. */
  readonly tls: () => ServerTls | null;
  readonly localDomains: () => ReadonlySet<string>;
  readonly maxDataSize: number;
  readonly maxReceivedHeaders: number;
  readonly commandTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly authenticator: Authenticator;
  readonly recipients: RecipientChecker;
  readonly queue: QueuePutter;
  readonly clock: Clock;
  readonly log: Logger;
  readonly maillog: MailLog;
  /** True while draining: new commands get 421 4.3.2. */
  readonly draining: () => boolean;
  /** Where the `chasquid/smtpIn/*` metrics are counted. @default nowhere read */
  readonly metrics?: MetricsRegistry;
  /** The post-DATA and envelope hooks. @default none run */
  readonly hooks?: SessionHooks;
  /** SPF, DKIM and DMARC (#4). @default none: no checks, no signatures */
  readonly msgAuth?: MessageAuth;
  /** Inbound security levels (SL-02). @default none */
  readonly secLevels?: SecurityLevels;
  /** Sender policy for authenticated users (B-02). @default none: anything goes (A-09) */
  readonly senderPolicy?: SenderPolicyCheck;
}

/** The sender policy as the session needs it; `SenderPolicy` from src/policy implements it. */
export interface SenderPolicyCheck {
  /** The mode for an authenticated `user@domain`. */
  modeFor(user: string): "off" | "report" | "enforce";
  /** The addresses that are not `user`'s; throws when alias lookups fail. */
  notOwned(user: string, addresses: readonly string[]): Promise<string[]>;
  /** Counts one checked message. */
  count(result: "ok" | "violation"): void;
}

/** The SPF outcome the session keeps for headers, hooks and DMARC. */
export interface SpfOutcome {
  readonly result: SpfResult;
  readonly explanation: string;
  /** The MAIL FROM domain that was checked. */
  readonly domain: string;
  /** `Received-SPF: …` without CRLF (H-03). */
  readonly header: string;
}

/** DKIM and DMARC results of an unauthenticated message. */
export interface VerifyOutcome {
  /** `Authentication-Results: …` without the final CRLF, or `""` (H-04). */
  readonly authResults: string;
  readonly dmarcResult: string | null;
  /** DMARC failed and the domain asks for `p=reject`. */
  readonly dmarcReject: boolean;
  /** DKIM-Signature headers found and how many passed (DK-08 metrics). */
  readonly dkimFound: number;
  readonly dkimValid: number;
}

/** Mail authentication as the session needs it; `app_parts.ts` builds it over msgauth. */
export interface MessageAuth {
  /** SPF at MAIL FROM for unauthenticated, non-null senders (SP-01). */
  spf(ip: string, sender: string, helo: string): Promise<SpfOutcome>;
  /**
   * Signs with every DKIM key of `domain` (DK-01); the message comes back
   * unchanged when the domain has none. Throws when signing fails (S-46).
   */
  sign(message: Uint8Array, domain: string): Uint8Array;
  /** Verifies DKIM and evaluates DMARC (DK-04, B-07); never throws for bad input. */
  verify(
    message: Uint8Array,
    spf: SpfOutcome | null,
    hostname: string,
  ): Promise<VerifyOutcome>;
  /** `dmarc_enforce`. */
  readonly dmarcEnforce: boolean;
}

/** SL-02, as `DomainInfo` provides it. */
export interface SecurityLevels {
  incomingCheck(domain: string, level: number): Promise<boolean>;
  incomingSkipped(): void;
}
