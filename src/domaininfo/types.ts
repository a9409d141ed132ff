/**
 * Security levels (SL-01) and the store interface the domaininfo module
 * owns.
 *
 * @module
 */

/**
 * The security levels of SL-01, in order. Inbound uses `PLAIN` and
 * `TLS_CLIENT`; outbound uses `PLAIN`, `TLS_INSECURE` and `TLS_SECURE`. The
 * numbers are chasquid's (`domaininfo.proto`) and are what the database
 * stores.
 */
export const SecLevel = {
  PLAIN: 0,
  TLS_CLIENT: 1,
  TLS_INSECURE: 2,
  TLS_SECURE: 3,
} as const;

/** One of the `SecLevel` numbers. */
export type SecLevel = typeof SecLevel[keyof typeof SecLevel];

const NAMES: readonly string[] = [
  "PLAIN",
  "TLS_CLIENT",
  "TLS_INSECURE",
  "TLS_SECURE",
];

/** The SL-01 name of a level (`PLAIN`…); unknown numbers show as `LEVEL_<n>`. */
export function levelName(level: number): string {
  return NAMES[level] ?? `LEVEL_${level}`;
}

/** What is known about one domain. */
export interface DomainRecord {
  /** Lower-case domain name. */
  readonly domain: string;
  readonly incoming: SecLevel;
  readonly outgoing: SecLevel;
  /** Milliseconds since the epoch of the last change. */
  readonly updatedAt: number;
}

/** Which of a domain's two levels. */
export type Direction = "incoming" | "outgoing";

/**
 * Where records live. Implementations must make `raise` a single atomic
 * statement that never lowers a level, so concurrent instances sharing a
 * database cannot downgrade each other.
 */
export interface DomainInfoStore {
  get(domain: string): Promise<DomainRecord | null>;
  /**
   * Creates the record (other level `PLAIN`) or raises one level to
   * `level`; a lower `level` leaves the stored one as it is.
   */
  raise(
    domain: string,
    change: { direction: Direction; level: SecLevel; now: number },
  ): Promise<void>;
  /** Every record, by domain. */
  list(): Promise<DomainRecord[]>;
  /** Sets both levels to `PLAIN`, keeping the record; false when unknown. */
  clear(domain: string, now: number): Promise<boolean>;
}
