/**
 * The validated, frozen configuration. Keys keep chasquid.conf's snake_case
 * names so the file, `config print` and this type read the same; chaski-only
 * keys are marked. Durations are milliseconds here and Go duration strings
 * (`"20h"`, `"1m30s"`) in the files.
 *
 * @module
 */

import type { CertPair } from "../runtime/types.ts";

/** Effective settings from `chaski.yaml` or `chasquid.conf` plus overrides. */
export interface Config {
  /** Absolute path of the config directory (the process chdirs here). */
  readonly config_dir: string;
  /** Which file was read: `chaski.yaml`, `chasquid.conf` or `""` (defaults only). */
  readonly source_file: string;

  /** Name in the greeting, EHLO, Received. @default OS hostname (C-01) */
  readonly hostname: string;
  /** @default 50 (C-02) */
  readonly max_data_size_mb: number;
  /** @default [":25"] (C-03) */
  readonly smtp_address: readonly string[];
  /** @default [":587"] (C-04) */
  readonly submission_address: readonly string[];
  /** @default [":465"] (C-05) */
  readonly submission_over_tls_address: readonly string[];
  /** @default "" (off) (C-06) */
  readonly monitoring_address: string;
  /** @default "maildrop" (C-07) */
  readonly mail_delivery_agent_bin: string;
  /** @default ["-f", "%from%", "-d", "%to_user%"] (C-08) */
  readonly mail_delivery_agent_args: readonly string[];
  /** Absolute. @default "/var/lib/chaski" (C-09) */
  readonly data_dir: string;
  /** @default "+" (C-10) */
  readonly suffix_separators: string;
  /** @default "." (C-11) */
  readonly drop_characters: string;
  /** `<syslog>`, `<stdout>`, `<stderr>` or a path. @default "<syslog>" (C-12) */
  readonly mail_log_path: string;
  /** @default false (C-13) */
  readonly dovecot_auth: boolean;
  /** @default "" (C-14) */
  readonly dovecot_userdb_path: string;
  /** @default "" (C-15) */
  readonly dovecot_client_path: string;
  /** @default false (C-16) */
  readonly haproxy_incoming: boolean;
  /** @default 10000 (C-17; chasquid's 200 was for items held in memory) */
  readonly max_queue_items: number;
  /** Milliseconds. @default 20h (C-18) */
  readonly give_up_send_after: number;

  // chaski-only keys.
  /**
   * `sqlite:<path>` (relative to data_dir), a bare path, or `postgres://…`.
   * @default "sqlite:chaski.db"
   */
  readonly database: string;
  /** Port for outgoing SMTP deliveries (tests point it at loopback). @default 25 */
  readonly outgoing_smtp_port: number;
  /** DNS server `host[:port]`; `""` reads /etc/resolv.conf. @default "" */
  readonly dns_server: string;
  /**
   * Reject (550 5.7.1) unauthenticated mail failing DMARC whose domain asks
   * for `p=reject` (B-07). Off: results are only recorded. @default false
   */
  readonly dmarc_enforce: boolean;
  /**
   * Sender policy for authenticated users (B-02): may they use MAIL FROM
   * and `From:` addresses that are not theirs. `report` logs and counts,
   * `enforce` rejects. @default "report"
   */
  readonly sender_policy: "off" | "report" | "enforce";
  /** Per-domain or per-user (`user@domain`) `sender_policy`; the user wins. @default {} */
  readonly sender_policy_overrides: Readonly<Record<string, string>>;
  /**
   * Extra addresses (`user@domain` or `*@domain`) a user, or every user of
   * a domain, may send as. @default {}
   */
  readonly send_as: Readonly<Record<string, readonly string[]>>;
  /**
   * Deliver local mail over LMTP to this `host:port` or unix socket instead
   * of running the MDA. @default "" (use the MDA)
   */
  readonly lmtp_address: string;
  /** Max concurrent connections in total. @default 500 */
  readonly max_connections: number;
  /** Max concurrent connections per client IP. @default 20 */
  readonly max_connections_per_ip: number;
  /** Per-command read timeout, ms. @default 1m */
  readonly command_timeout: number;
  /** Whole-connection deadline, ms. @default 20m */
  readonly connection_timeout: number;
  /** How long a graceful stop waits, ms. @default 60s */
  readonly shutdown_timeout: number;
  /** How often aliases and users files are re-read, ms. @default 30s */
  readonly reload_every: number;
  /** More Received headers than this is a loop. @default 50 */
  readonly max_received_headers: number;
  /** MDA timeout, ms. @default 30s */
  readonly mda_timeout: number;
}

/** The per-domain and certificate state found by scanning the config dir. */
export interface DomainScan {
  /** Local domains (Unicode, NFC, lower-case), `localhost` included. */
  readonly domains: readonly string[];
  /** Certificates found under `certs/`, in name order. */
  readonly certs: readonly CertPair[];
}
