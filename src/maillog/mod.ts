/**
 * The operator mail log: one stable, grep-able line per event, in
 * chasquid's shapes (BEHAVIOUR.md ML-01..ML-07), so existing fail2ban
 * filters and habits keep working.
 *
 * Lines:
 * - `daemon listening on <addr>`
 * - `<ip:port> auth succeeded for <user@domain>` / `… auth failed for …`
 * - `<ip:port> rejected from=<from> to=[a b] - <reason>`
 * - `<id> from=<from> queued ip=<ip:port> to=[a b]`
 * - `<id> from=<from> to=<to> sent` / `… failed (temporary|permanent): <err>`
 * - `<id> from=<from> completed loop, next in <dur>` / `<id> from=<from> all done`
 *
 * Sinks: `<stdout>`, `<stderr>`, or a file path (appended; reopened by
 * `reopen()`). `<syslog>` is not wired yet and writes to standard error.
 *
 * @module
 */

/** Where finished lines go. */
export interface MailLogSink {
  write(line: string): void;
  /** Reopens a file sink (SIGHUP, for log rotation). */
  reopen?(): Promise<void>;
}

/** Formats a Go-style duration (`1m30s`) for the `next in` field. */
export function goDuration(ms: number): string {
  if (ms <= 0) return "0s";
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${s}s`;
}

/** The mail log: one method per event. */
export class MailLog {
  readonly #sink: MailLogSink;
  readonly #now: () => number;
  readonly #timestamps: boolean;

  /**
   * @param sink destination of the lines
   * @param opts.timestamps prefix lines with a date (files and std streams) @default true
   */
  constructor(
    sink: MailLogSink,
    opts: { now?: () => number; timestamps?: boolean } = {},
  ) {
    this.#sink = sink;
    this.#now = opts.now ?? Date.now;
    this.#timestamps = opts.timestamps ?? true;
  }

  #line(text: string): void {
    const ts = this.#timestamps ? `${formatTimestamp(this.#now())} ` : "";
    this.#sink.write(`${ts}${text.replace(/[\r\n]+/g, " ")}`);
  }

  listening(addr: string): void {
    this.#line(`daemon listening on ${addr}`);
  }

  auth(remote: string, user: string, ok: boolean): void {
    this.#line(`${remote} auth ${ok ? "succeeded" : "failed"} for ${user}`);
  }

  rejected(
    remote: string,
    from: string | null,
    to: readonly string[],
    reason: string,
  ): void {
    const f = from === null ? "" : ` from=${from}`;
    const t = to.length ? ` to=[${to.join(" ")}]` : "";
    this.#line(`${remote} rejected${f}${t} - ${reason}`);
  }

  /**
   * An authenticated user sent as addresses that are not theirs and the
   * sender policy only reports it (B-02 `report`).
   */
  senderPolicy(
    remote: string,
    user: string,
    from: string,
    notTheirs: readonly string[],
  ): void {
    this.#line(
      `${remote} sender policy violation user=${user} from=${from} ` +
        `not_theirs=[${notTheirs.join(" ")}] - reported`,
    );
  }

  queued(
    remote: string,
    id: string,
    from: string,
    to: readonly string[],
  ): void {
    this.#line(`${id} from=${from} queued ip=${remote} to=[${to.join(" ")}]`);
  }

  sendAttempt(
    id: string,
    from: string,
    to: string,
    error: { message: string; permanent: boolean } | null,
  ): void {
    if (error === null) {
      this.#line(`${id} from=${from} to=${to} sent`);
    } else {
      const kind = error.permanent ? "permanent" : "temporary";
      this.#line(
        `${id} from=${from} to=${to} failed (${kind}): ${error.message}`,
      );
    }
  }

  queueLoop(id: string, from: string, nextMs: number | null): void {
    if (nextMs === null) this.#line(`${id} from=${from} all done`);
    else {this.#line(
        `${id} from=${from} completed loop, next in ${goDuration(nextMs)}`,
      );}
  }

  async reopen(): Promise<void> {
    await this.#sink.reopen?.();
  }
}

function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${
      p(d.getMilliseconds(), 3)
    }`;
}
