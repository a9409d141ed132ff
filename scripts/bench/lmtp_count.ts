/**
 * A counting LMTP sink for the end-to-end bench: accepts every transaction
 * (RFC 2033, pipelining allowed), throws the message away as it streams in
 * and only counts messages, recipient deliveries and bytes, so that memory
 * stays flat whatever the load. It listens on 127.0.0.1 (any port) and on a
 * unix socket in a private temp dir. The tests' scriptable sink with its
 * recorded bodies is tests/harness/lmtp_sink.ts.
 *
 * @module
 */

import * as net from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A running counting sink. */
export interface CountingLmtpSink {
  /** `127.0.0.1:<port>`. */
  readonly tcpAddress: string;
  /** The unix socket path. */
  readonly path: string;
  /** Messages taken in (final `.` seen with at least one recipient). */
  readonly messages: number;
  /** Recipients answered 250 after DATA (one per delivery). */
  readonly deliveries: number;
  /** Message bytes received, dot-stuffed, terminator excluded (about). */
  readonly bytes: number;
  /** `Date.now()` of the last delivery; 0 before the first one. */
  readonly lastDeliveryAt: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Closes the listeners and every connection; removes the temp dir. */
  close(): Promise<void>;
}

const END = Buffer.from("\r\n.\r\n", "latin1");
const MAX_LINE = 4096;

class Counter {
  messages = 0;
  deliveries = 0;
  bytes = 0;
  lastDeliveryAt = 0;
  connections = 0;
}

/** One LMTP connection: a line parser with a streaming DATA state. */
function session(sock: net.Socket, c: Counter): void {
  let line = "";
  let rcpts: string[] = [];
  let inData = false;
  // The last bytes of DATA so far, to find `CRLF.CRLF` across chunks;
  // starts as CRLF so that an empty message (`.` at once) ends too.
  let tail = Buffer.from("\r\n", "latin1");
  const out: string[] = [];
  const say = (s: string) => out.push(`${s}\r\n`);

  const command = (cmd: string): boolean => {
    const verb = cmd.split(" ", 1)[0]!.toUpperCase();
    switch (verb) {
      case "LHLO":
        say("250-sink.bench\r\n250-PIPELINING\r\n250 8BITMIME");
        return true;
      case "MAIL":
        rcpts = [];
        say("250 2.1.0 OK");
        return true;
      case "RCPT":
        rcpts.push(/<([^>]*)>/.exec(cmd)?.[1] ?? "");
        say("250 2.1.5 OK");
        return true;
      case "DATA":
        if (rcpts.length === 0) {
          say("503 5.5.1 No recipients");
          return true;
        }
        say("354 Go ahead");
        inData = true;
        tail = Buffer.from("\r\n", "latin1");
        return true;
      case "RSET":
        rcpts = [];
        say("250 2.0.0 OK");
        return true;
      case "NOOP":
        say("250 2.0.0 OK");
        return true;
      case "QUIT":
        say("221 2.0.0 Bye");
        return false;
      default:
        say("500 5.5.1 Unknown command");
        return true;
    }
  };

  /** Consumes DATA bytes; the index after the terminator, or -1. */
  const data = (chunk: Buffer, from: number): number => {
    const head = tail.length;
    const joined = Buffer.concat([tail, chunk.subarray(from)]);
    const at = joined.indexOf(END);
    if (at < 0) {
      c.bytes += chunk.length - from;
      tail = Buffer.from(joined.subarray(Math.max(0, joined.length - 4)));
      return -1;
    }
    c.bytes += Math.max(0, at - head);
    c.messages++;
    c.deliveries += rcpts.length;
    c.lastDeliveryAt = Date.now();
    for (const to of rcpts) say(`250 2.0.0 <${to}> Saved`);
    rcpts = [];
    inData = false;
    return from + (at + END.length - head);
  };

  sock.on("data", (chunk: Buffer) => {
    let i = 0;
    let open = true;
    while (open && i < chunk.length) {
      if (inData) {
        const next = data(chunk, i);
        if (next < 0) break;
        i = next;
        continue;
      }
      const nl = chunk.indexOf(0x0a, i);
      if (nl < 0) {
        line += chunk.toString("latin1", i);
        if (line.length > MAX_LINE) open = false;
        break;
      }
      line += chunk.toString("latin1", i, nl);
      i = nl + 1;
      const cmd = line.replace(/\r$/, "");
      line = "";
      open = command(cmd);
    }
    if (out.length > 0) sock.write(out.splice(0).join(""));
    if (!open) sock.end();
  });
  sock.write("220 sink.bench LMTP ready\r\n");
}

/** Starts a counting sink on a free loopback port and a unix socket. */
export async function startCountingLmtpSink(): Promise<CountingLmtpSink> {
  const dir = mkdtempSync(join(tmpdir(), "chaski-bench-lmtp-"));
  const path = join(dir, "lmtp.sock");
  const c = new Counter();
  const open = new Set<net.Socket>();
  const server = () =>
    net.createServer((sock) => {
      c.connections++;
      open.add(sock);
      sock.on("error", () => {});
      sock.once("close", () => open.delete(sock));
      session(sock, c);
    });
  const tcp = server();
  const unix = server();
  try {
    await new Promise<void>((ok, fail) => {
      tcp.once("error", fail);
      tcp.listen(0, "127.0.0.1", ok);
    });
    await new Promise<void>((ok, fail) => {
      unix.once("error", fail);
      unix.listen(path, ok);
    });
  } catch (e) {
    tcp.close();
    unix.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const port = (tcp.address() as net.AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    tcpAddress: `127.0.0.1:${port}`,
    path,
    get messages() {
      return c.messages;
    },
    get deliveries() {
      return c.deliveries;
    },
    get bytes() {
      return c.bytes;
    },
    get lastDeliveryAt() {
      return c.lastDeliveryAt;
    },
    get connections() {
      return c.connections;
    },
    close() {
      closing ??= (async () => {
        for (const s of open) s.destroy();
        await Promise.all(
          [tcp, unix].map((s) =>
            new Promise<void>((r) => s.listening ? s.close(() => r()) : r())
          ),
        );
        rmSync(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
