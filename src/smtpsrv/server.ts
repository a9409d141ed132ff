/**
 * The SMTP server: listeners per mode, connection caps (L-11: total and per
 * client IP), sessions, and a graceful stop that lets open sessions finish.
 *
 * @module
 */

import type { Conn, Listener, Net } from "../runtime/types.ts";
import { formatReply } from "../smtp/reply.ts";
import type { Mode, SessionContext } from "./types.ts";
import { Session } from "./session.ts";

/** One address to listen on, in one mode. */
export interface ListenSpec {
  readonly mode: Mode;
  /** `host:port`, `:port` (all addresses) or `[v6]:port`. */
  readonly address: string;
}

/** Options for `SmtpServer`. */
export interface SmtpServerProps {
  readonly net: Net;
  readonly ctx: Omit<SessionContext, "draining">;
  /** @default 500 */
  readonly maxConnections: number;
  /** @default 20 */
  readonly maxConnectionsPerIp: number;
}

/** Splits `host:port` as chasquid's listen addresses are written. */
export function parseListenAddress(
  address: string,
): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) {
    throw new RangeError(
      `listen address must be "host:port": current value is "${address}"`,
    );
  }
  const host = m[1] ?? m[2] ?? "";
  return { host: host === "" ? "::" : host, port: Number(m[3]) };
}

/** Listens in every mode and runs sessions. */
export class SmtpServer {
  readonly #props: SmtpServerProps;
  readonly #ctx: SessionContext;
  readonly #listeners: { mode: Mode; listener: Listener }[] = [];
  readonly #perIp = new Map<string, number>();
  readonly #sessions = new Map<Promise<void>, Session>();
  readonly #conns = new Set<Conn>();
  #draining = false;

  constructor(props: SmtpServerProps) {
    this.#props = props;
    this.#ctx = { ...props.ctx, draining: () => this.#draining };
  }

  /** Addresses actually bound, per mode (port 0 resolved). */
  get addresses(): { mode: Mode; host: string; port: number }[] {
    return this.#listeners.map(({ mode, listener }) => ({
      mode,
      ...listener.addr,
    }));
  }

  /** Number of open sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Binds one listener. */
  async listen(spec: ListenSpec): Promise<{ host: string; port: number }> {
    const { host, port } = parseListenAddress(spec.address);
    const implicit = spec.mode === "submission+TLS";
    const tls = this.#ctx.tls;
    const listener = await this.#props.net.listen(
      {
        host,
        port,
        ...(implicit
          ? { tls: () => tls()!, tlsTimeoutMs: this.#ctx.commandTimeoutMs }
          : {}),
      },
      (conn) => this.#accept(conn, spec.mode),
    );
    this.#listeners.push({ mode: spec.mode, listener });
    return listener.addr;
  }

  #accept(conn: Conn, mode: Mode): void {
    const ip = conn.remote.host;
    const n = this.#perIp.get(ip) ?? 0;
    if (
      this.#conns.size >= this.#props.maxConnections ||
      n >= this.#props.maxConnectionsPerIp || this.#draining
    ) {
      const text = this.#draining
        ? "4.3.2 Service shutting down"
        : "4.7.0 Too many connections, try again later";
      conn.write(formatReply(421, text)).catch(() => {}).finally(() =>
        conn.close()
      );
      return;
    }
    this.#perIp.set(ip, n + 1);
    this.#conns.add(conn);
    const session = new Session(conn, mode, this.#ctx);
    const p = session.run().finally(() => {
      this.#conns.delete(conn);
      const left = (this.#perIp.get(ip) ?? 1) - 1;
      if (left <= 0) this.#perIp.delete(ip);
      else this.#perIp.set(ip, left);
      this.#sessions.delete(p);
    });
    this.#sessions.set(p, session);
  }

  /**
   * Stops listening, lets sessions finish their current transaction (new
   * commands get 421 4.3.2), and closes the rest after `timeoutMs`.
   */
  async shutdown(timeoutMs: number): Promise<void> {
    this.#draining = true;
    await Promise.all(this.#listeners.map(({ listener }) => listener.close()));
    this.#listeners.length = 0;
    if (this.#sessions.size === 0) return;
    for (const session of this.#sessions.values()) session.drain();
    const all = Promise.allSettled([...this.#sessions.keys()]);
    const timer = this.#ctx.clock.setTimer(timeoutMs, () => {
      for (const c of this.#conns) c.close();
    });
    await all;
    timer.cancel();
  }
}
