/**
 * What a session needs from the rest of the server, as small interfaces the
 * smtpsrv package owns. `app.ts` wires the real implementations.
 *
 * @module
 */

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
}
