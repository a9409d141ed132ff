/**
 * Remote delivery over SMTP (CO-03..CO-05, CO-08, SL-04, N-06, AL-08).
 *
 * Mail hosts come from the recipient domain's MX records (IDNA ASCII, best
 * preference first, equal preferences shuffled, at most five); a domain
 * without MX records is its own mail host, a null MX fails permanently with
 * `5.1.10`. A `via` list replaces the lookup: those servers, in order.
 *
 * Each host is tried in turn: dial (1 min), then the whole conversation
 * within 10 min, EHLO, opportunistic STARTTLS classified as `tls:secure`
 * (chain and name verified) or `tls:insecure`; when STARTTLS or its
 * handshake fails, the same host is tried again in plain text. Recipients
 * go in transactions of up to 100. Per recipient: a 2xx RCPT reply is
 * accepted, 5xx is permanent, 4xx is temporary and tried on the next host.
 * A 5xx at MAIL or DATA is permanent and ends the delivery; connection
 * failures, timeouts, garbage and 4xx replies move on to the next host. When
 * every host failed temporarily the recipient gets
 * `all MXs failed temporarily; last: …`.
 *
 * Security levels (SL-03, SL-04): once TLS is settled, each recipient
 * domain's recorded outgoing level is checked against the connection's
 * (`plain` PLAIN, `tls:insecure` TLS_INSECURE, `tls:secure` TLS_SECURE); a
 * higher level is recorded, a lower one fails temporarily with
 * `security level check failed (level:<L>)` and the next host is tried.
 * The plain retry after a failed STARTTLS is PLAIN, so it fails for a
 * domain that did TLS before. `via` batches are checked by recipient
 * domain too.
 *
 * MTA-STS (ST-03; not for `via`): with a policy in `enforce` mode, MX hosts
 * that do not match it are skipped, and a connection that is not
 * `tls:secure` fails temporarily before MAIL FROM. `testing` and `none`
 * change nothing.
 *
 * Failure texts start with the peer's reply (`550 5.1.1 …`) so bounces can
 * carry its status code.
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { Clock, Net, Resolver } from "../runtime/types.ts";
import { domainOf } from "../envelope/mod.ts";
import { lookupMxs, type MxLookup, resolveHost } from "./_mx.ts";
import { runSession, type SessionOutcome } from "./_smtp_session.ts";
import {
  type Courier,
  type DeliveryResult,
  permanent,
  temporary,
} from "./types.ts";

export type { TlsStatus } from "./_smtp_session.ts";
import type { TlsCheck, TlsStatus } from "./_smtp_session.ts";
import { levelName, SecLevel } from "../domaininfo/mod.ts";
import { type Counter, MetricsRegistry } from "../monitoring/mod.ts";
import { matchesMx, type Policy } from "../sts/mod.ts";
import { domainToAscii } from "../normalize/mod.ts";

/** CO-09 and ST-06: the courier's metrics, declared against the registry it is given. */
function declareMetrics(
  registry: MetricsRegistry,
): { tlsCount: Counter; stsMode: Counter; stsSecurity: Counter } {
  return {
    tlsCount: registry.counter(
      "chasquid/smtpOut/tlsCount",
      "count of TLS status on outgoing connections",
      "result",
    ),
    stsMode: registry.counter(
      "chasquid/smtpOut/sts/mode",
      "count of MTA-STS policy modes on outgoing deliveries",
      "mode",
    ),
    stsSecurity: registry.counter(
      "chasquid/smtpOut/sts/security",
      "count of MTA-STS enforce checks of outgoing connections",
      "result",
    ),
  };
}

/** SL-04: the level each TLS outcome counts as. */
const LEVEL_OF_TLS: Readonly<Record<TlsStatus, SecLevel>> = {
  plain: SecLevel.PLAIN,
  "tls:insecure": SecLevel.TLS_INSECURE,
  "tls:secure": SecLevel.TLS_SECURE,
};

/** The STS transient error text (ST-03). */
const STS_NOT_SECURE = "security level not valid for STS policy";

/** What the SMTP courier needs. */
export interface SmtpCourierProps {
  readonly net: Net;
  readonly resolver: Resolver;
  /** Our name in EHLO. */
  readonly hostname: string;
  /** Port to connect to (`outgoing_smtp_port`). @default 25 in the config */
  readonly port: number;
  readonly clock: Clock;
  readonly log?: Logger;
  /** Give up connecting after this long. @default 60000 */
  readonly dialTimeoutMs?: number;
  /** The whole conversation with one host must end within this. @default 600000 */
  readonly connTimeoutMs?: number;
  /** Extra trusted CA (PEM) for classifying TLS, for tests. @default system roots */
  readonly tlsCa?: string;
  /** Source of randomness for shuffling equal MX preferences. @default Math.random */
  readonly random?: () => number;
  /** Where CO-09's `tlsCount` is counted. @default a private registry */
  readonly metrics?: MetricsRegistry;
  /**
   * Per-domain security levels (SL-03), e.g. a `DomainInfo`: a connection
   * below a recipient domain's recorded level fails temporarily and the
   * next MX is tried. @default no checks
   */
  readonly secLevels?: {
    outgoingCheck(domain: string, level: SecLevel): Promise<boolean>;
  };
  /** MTA-STS policies (ST-03), e.g. an `StsCache`. @default no MTA-STS */
  readonly sts?: {
    policyFor(domain: string): Promise<Policy | null>;
  };
}

/** Several recipients of one domain (or one via list) for one message. */
export interface BatchRequest {
  /** The envelope sender; `""` (or `"<>"`) is the null sender. */
  readonly from: string;
  /** All of one domain, or all of one via group. */
  readonly to: readonly string[];
  readonly data: Uint8Array;
  /** Servers to use instead of the MX lookup, in order. */
  readonly via?: readonly string[];
}

/** The outcome of a batch. */
export interface BatchResult {
  /** One per `to`, in the same order. */
  readonly results: DeliveryResult[];
  /** TLS of the last connection that answered; `null` when none did. */
  readonly tls: TlsStatus | null;
  /** The host of that connection. */
  readonly mx: string | null;
}

const DIAL_TIMEOUT_MS = 60_000;
const CONN_TIMEOUT_MS = 600_000;

/**
 * The SMTP courier.
 *
 * @example
 * ```ts
 * const smtp = new SmtpCourier({ net, resolver, hostname: "mx.a.test", port: 25, clock });
 * const { results } = await smtp.deliverBatch({ from: "a@a.test", to: ["b@b.test"], data });
 * ```
 */
export class SmtpCourier implements Courier {
  readonly #p: SmtpCourierProps;
  readonly #m: ReturnType<typeof declareMetrics>;

  constructor(props: SmtpCourierProps) {
    this.#p = props;
    this.#m = declareMetrics(props.metrics ?? new MetricsRegistry());
  }

  /** Delivers to one recipient. */
  async deliver(
    from: string,
    to: string,
    data: Uint8Array,
  ): Promise<DeliveryResult> {
    const { results } = await this.deliverBatch({ from, to: [to], data });
    return results[0]!;
  }

  /** Delivers one message to several recipients, each with its result. */
  async deliverBatch(req: BatchRequest): Promise<BatchResult> {
    if (req.to.length === 0) return { results: [], tls: null, mx: null };
    let hosts: readonly string[];
    if (req.via && req.via.length > 0) {
      hosts = req.via;
    } else {
      const found = await this.#lookup(req.to[0]!);
      if (!found.ok) {
        return { results: req.to.map(() => found.result), tls: null, mx: null };
      }
      hosts = found.hosts;
      const policy = await this.#stsPolicy(req.to[0]!);
      if (policy?.mode === "enforce") {
        const allowed = hosts.filter((h) => matchesMx(policy, h));
        if (allowed.length === 0) {
          const r = temporary("No MX host matches the MTA-STS policy");
          return { results: req.to.map(() => r), tls: null, mx: null };
        }
        return await this.#tryHosts(allowed, req, this.#tlsCheck(req, true));
      }
    }
    return await this.#tryHosts(hosts, req, this.#tlsCheck(req, false));
  }

  /**
   * SL-03, then ST-03 (chasquid's order): the recipient domains' security
   * levels, then MTA-STS enforce. A `via` batch is checked by its
   * recipients' domains too, as chasquid does; when it mixes domains, one
   * failing domain fails the connection for the whole batch.
   */
  #tlsCheck(req: BatchRequest, stsEnforce: boolean): TlsCheck | undefined {
    const levels = this.#p.secLevels;
    if (!levels && !stsEnforce) return undefined;
    const domains = [...new Set(req.to.map((r) => domainOf(r).toLowerCase()))];
    return async (tls) => {
      const level = LEVEL_OF_TLS[tls];
      for (const d of levels ? domains : []) {
        if (!(await levels?.outgoingCheck(d, level))) {
          return `security level check failed (level:${levelName(level)})`;
        }
      }
      return stsEnforce ? this.#stsCheck(tls) : null;
    };
  }

  /** ST-03: the policy of the recipient domain; `null` without one. */
  async #stsPolicy(rcpt: string): Promise<Policy | null> {
    const sts = this.#p.sts;
    if (!sts) return null;
    let policy: Policy | null = null;
    try {
      policy = await sts.policyFor(domainToAscii(domainOf(rcpt)));
    } catch (err) {
      // Fail open, as for a policy that cannot be fetched (ST-04).
      this.#p.log?.warn("MTA-STS policy lookup failed", { error: err });
    }
    if (policy) this.#m.stsMode.inc(policy.mode);
    return policy;
  }

  #stsCheck(tls: TlsStatus | null): string | null {
    const ok = tls === "tls:secure";
    this.#m.stsSecurity.inc(ok ? "pass" : "fail");
    return ok ? null : STS_NOT_SECURE;
  }

  #lookup(rcpt: string): Promise<MxLookup> {
    const domain = domainOf(rcpt);
    if (domain === "") {
      const result = permanent(`No mail server found for "${rcpt}"`);
      return Promise.resolve({ ok: false, result });
    }
    return lookupMxs(this.#p.resolver, domain, this.#p.random ?? Math.random);
  }

  async #tryHosts(
    hosts: readonly string[],
    req: BatchRequest,
    tlsCheck?: TlsCheck,
  ): Promise<BatchResult> {
    const final: (DeliveryResult | undefined)[] = req.to.map(() => undefined);
    const last: DeliveryResult[] = req.to.map(() =>
      temporary("No mail server tried")
    );
    let tls: TlsStatus | null = null;
    let mx: string | null = null;
    let stopped = false;
    for (const host of hosts) {
      const pending = req.to.map((_, i) => i).filter((i) => !final[i]);
      if (pending.length === 0) break;
      const out = await this.#attempt(host, {
        ...req,
        to: pending.map((i) => req.to[i]!),
      }, tlsCheck);
      if (out.tls !== null) [tls, mx] = [out.tls, host];
      pending.forEach((i, j) => {
        const r = out.results[j]!;
        if (r.status === "temporary") last[i] = r;
        else final[i] = r;
      });
      if (out.stop) {
        stopped = true;
        break;
      }
    }
    const results = req.to.map((_, i) =>
      final[i] ?? (stopped ? last[i]! : allFailed(last[i]!))
    );
    return { results, tls, mx };
  }

  /** One host: resolve, connect, and retry in plain text after a TLS failure. */
  async #attempt(
    host: string,
    req: BatchRequest,
    tlsCheck?: TlsCheck,
  ): Promise<Extract<SessionOutcome, { kind: "done" }>> {
    const p = this.#p;
    let addrs: string[];
    try {
      addrs = await resolveHost(p.resolver, host);
    } catch (err) {
      const r = temporary(`${host}: ${(err as Error).message}`, err);
      return {
        kind: "done",
        results: req.to.map(() => r),
        tls: null,
        stop: false,
      };
    }
    const opts = {
      net: p.net,
      clock: p.clock,
      log: p.log,
      host,
      addrs,
      port: p.port,
      hostname: p.hostname,
      dialTimeoutMs: p.dialTimeoutMs ?? DIAL_TIMEOUT_MS,
      connTimeoutMs: p.connTimeoutMs ?? CONN_TIMEOUT_MS,
      tlsCa: p.tlsCa,
      from: req.from,
      to: req.to,
      data: req.data,
      tlsCheck,
    };
    const first = await runSession({ ...opts, tryTls: true });
    if (first.kind === "done") return this.#counted(first);
    this.#m.tlsCount.inc("tls:failed");
    p.log?.info("STARTTLS failed, retrying in plain text", {
      host,
      error: first.error.message,
    });
    const plain = await runSession({ ...opts, tryTls: false });
    if (plain.kind === "done") return this.#counted(plain);
    // Unreachable: without TLS there is nothing to fail.
    const r = temporary(plain.error.message, plain.error);
    return {
      kind: "done",
      results: req.to.map(() => r),
      tls: null,
      stop: false,
    };
  }

  /** CO-09: one count per connection that got as far as EHLO. */
  #counted<T extends { tls: TlsStatus | null }>(out: T): T {
    if (out.tls !== null) this.#m.tlsCount.inc(out.tls);
    return out;
  }
}

function allFailed(last: DeliveryResult): DeliveryResult {
  const error = last.status === "sent" ? undefined : last.error;
  return temporary(
    `all MXs failed temporarily; last: ${error?.message ?? "none"}`,
    error,
  );
}
