/**
 * The latency probe: a small bounded SMTP client that sends `messages` over
 * `concurrency` connections (closed loop, connections reused, no
 * pipelining) and records, per message, the time from writing the final
 * `.` to reading the 250. smtp-source does not report latencies.
 *
 * @module
 */

import * as net from "node:net";

/** One probe run. */
export interface ProbeSpec {
  readonly port: number;
  readonly concurrency: number;
  readonly messages: number;
  readonly sizeBytes: number;
  /** Every connection is destroyed after this long. */
  readonly timeoutMs: number;
}

/** What the probe measured. */
export interface ProbeResult {
  /** End-of-data latencies of the messages answered 250, in ms. */
  readonly latenciesMs: readonly number[];
  /** Replies other than the expected ones, and broken connections. */
  readonly errors: number;
  readonly errorSample: readonly string[];
}

/** Runs the probe against 127.0.0.1:port. */
export async function runProbe(spec: ProbeSpec): Promise<ProbeResult> {
  const body = messageBody(spec.sizeBytes);
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const take = () => next < spec.messages ? ++next : 0;
  const deadline = Date.now() + spec.timeoutMs;
  const workers = Array.from({ length: spec.concurrency }, async () => {
    const c = await ReplyConn.connect(spec.port, deadline).catch((e) => {
      errors.push(String(e instanceof Error ? e.message : e));
      return null;
    });
    if (!c) return;
    try {
      await c.expect("", "2");
      await c.expect("EHLO probe.remote.test", "2");
      for (let n = take(); n > 0; n = take()) {
        await c.expect("MAIL FROM:<sender@remote.test>", "2");
        await c.expect("RCPT TO:<user@bench.test>", "2");
        await c.expect("DATA", "3");
        c.write(body);
        const t0 = performance.now();
        await c.expect(".", "250");
        latencies.push(performance.now() - t0);
      }
      await c.expect("QUIT", "2");
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    } finally {
      c.close();
    }
  });
  await Promise.all(workers);
  return {
    latenciesMs: latencies,
    errors: errors.length,
    errorSample: [...new Set(errors)].slice(0, 3),
  };
}

/** Headers plus `size` bytes of 78-character lines, without the final dot. */
export function messageBody(size: number): string {
  const head = "From: <sender@remote.test>\r\nTo: <user@bench.test>\r\n" +
    "Subject: bench\r\nMessage-ID: <probe@remote.test>\r\n\r\n";
  const line = "abcdefghijklmnopqrstuvwxyz0123456789".repeat(3).slice(0, 76);
  const lines: string[] = [];
  for (let n = 0; n < size; n += line.length + 2) {
    lines.push(line.slice(0, Math.max(1, Math.min(76, size - n - 2))));
  }
  return head + lines.join("\r\n") + "\r\n";
}

/** A socket that sends a line and waits for the complete reply. */
class ReplyConn {
  #sock: net.Socket;
  #buf = "";
  #wake: (() => void) | null = null;
  #closed = false;
  #deadline: number;

  private constructor(sock: net.Socket, deadline: number) {
    this.#sock = sock;
    this.#deadline = deadline;
    sock.setNoDelay(true);
    sock.on("data", (b: Uint8Array) => {
      this.#buf += new TextDecoder().decode(b);
      this.#wake?.();
    });
    sock.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    sock.on("error", () => {});
  }

  static connect(port: number, deadline: number): Promise<ReplyConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => {
        s.off("error", reject);
        resolve(new ReplyConn(s, deadline));
      });
      s.once("error", reject);
    });
  }

  write(text: string): void {
    this.#sock.write(text);
  }

  /** Sends `line` (none when empty) and checks the reply's code prefix. */
  async expect(line: string, code: string): Promise<void> {
    if (line !== "") this.#sock.write(`${line}\r\n`);
    const reply = await this.#reply();
    if (!reply.startsWith(code)) {
      throw new Error(`${line || "greeting"}: ${reply.split("\r\n")[0]}`);
    }
  }

  async #reply(): Promise<string> {
    for (;;) {
      const m = /(^|\n)\d{3} [^\n]*\n/.exec(this.#buf);
      if (m) {
        const end = m.index + m[0].length;
        const reply = this.#buf.slice(0, end);
        this.#buf = this.#buf.slice(end);
        return reply.slice(reply.lastIndexOf("\n", reply.length - 2) + 1);
      }
      if (this.#closed) throw new Error("connection closed by the server");
      const left = this.#deadline - Date.now();
      if (left <= 0) throw new Error("probe timed out");
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#wake = () => {
          clearTimeout(t);
          this.#wake = null;
          r();
        };
      });
    }
  }

  close(): void {
    this.#sock.destroy();
  }
}
