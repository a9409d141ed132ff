/**
 * A scripted SMTP peer for the SMTP courier's unit tests: a real listener
 * on 127.0.0.1 port 0 (through the runtime's `Net`, which handles the
 * server-side STARTTLS quirks), default replies for every verb, and hooks
 * to override any of them per connection.
 *
 * @module
 */

import { createNodeNet } from "../runtime/node_net.ts";
import type { CertPair, Conn, Listener } from "../runtime/types.ts";
import { SmtpReader } from "../smtp/reader.ts";

/** What the peer does in answer to a command. */
export type Action =
  /** Reply lines, each sent with CRLF. */
  | string
  | { readonly close: true }
  /** Never answer (the client must time out). */
  | { readonly stall: true }
  /** Raw bytes, sent as they are; then closes when `close` is set. */
  | { readonly raw: string; readonly close?: true };

/** One recorded connection. */
export interface PeerConn {
  /** Command lines received, in order (message data excluded). */
  readonly commands: string[];
  /** Messages received after DATA, dot-unstuffed, without the final dot. */
  readonly messages: string[];
  /** TLS was negotiated. */
  tls: boolean;
}

/** The script of a peer. */
export interface PeerScript {
  /** @default "220 peer.test ESMTP" */
  readonly greeting?: Action;
  /** EHLO keywords after the first line. @default ["8BITMIME", "PIPELINING"] */
  readonly ehlo?: readonly string[];
  /** Offer STARTTLS with this certificate. @default none */
  readonly cert?: CertPair;
  /** After the 220 to STARTTLS, send garbage instead of a handshake. */
  readonly breakTls?: boolean;
  /**
   * Overrides the reply to a command; `undefined` keeps the default.
   * `verb` is upper case, `n` is the connection number from 0.
   */
  readonly on?: (verb: string, line: string, n: number) => Action | undefined;
  /** Address to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port to listen on. @default 0 (any free port) */
  readonly port?: number;
}

/** A running peer. */
export interface TestPeer {
  readonly port: number;
  readonly conns: PeerConn[];
  close(): Promise<void>;
}

/** Starts a peer. */
export async function startPeer(script: PeerScript = {}): Promise<TestPeer> {
  const net = createNodeNet();
  const open = new Set<Conn>();
  const conns: PeerConn[] = [];
  const listener: Listener = await net.listen(
    { host: script.host ?? "127.0.0.1", port: script.port ?? 0 },
    (conn) => {
      open.add(conn);
      const rec: PeerConn = { commands: [], messages: [], tls: false };
      conns.push(rec);
      serve(conn, script, rec, conns.length - 1, net).catch(() => {}).finally(
        () => {
          conn.close();
          open.delete(conn);
        },
      );
    },
  );
  return {
    port: listener.addr.port,
    conns,
    async close() {
      await listener.close();
      for (const c of open) c.close();
    },
  };
}

async function act(conn: Conn, a: Action): Promise<boolean> {
  if (typeof a === "string") {
    await conn.write(a.split("\n").map((l) => `${l}\r\n`).join(""));
    return true;
  }
  if ("raw" in a) {
    await conn.write(a.raw);
    if (!a.close) return true;
  }
  if ("close" in a) conn.close();
  // A stall: leave the client waiting, and keep the connection open.
  if ("stall" in a) await conn.closed;
  return false;
}

async function serve(
  conn: Conn,
  script: PeerScript,
  rec: PeerConn,
  n: number,
  net: ReturnType<typeof createNodeNet>,
): Promise<void> {
  let reader = new SmtpReader(conn);
  if (!await act(conn, script.greeting ?? "220 peer.test ESMTP")) return;
  for (;;) {
    const line = await reader.readLine(4096);
    rec.commands.push(line);
    const verb = line.split(/[ :]/)[0]!.toUpperCase();
    const custom = script.on?.(verb, line, n);
    if (verb === "STARTTLS" && custom === undefined && script.cert) {
      if (script.breakTls) {
        await conn.write("220 go ahead\r\nthis is not a TLS handshake\r\n");
        return;
      }
      // Called in the tick that parsed the line (see Conn.startTls).
      await conn.startTls(
        "220 go ahead\r\n",
        net.serverTls([script.cert]),
        10_000,
      );
      rec.tls = true;
      reader = new SmtpReader(conn);
      continue;
    }
    const reply = custom ?? defaultReply(verb, script, rec.tls);
    if (!await act(conn, reply)) return;
    if (verb === "DATA" && typeof reply === "string" && /^354/.test(reply)) {
      const r = await reader.readDotData({ maxSize: 10 * 1024 * 1024 });
      if (r.status !== "ok") return;
      rec.messages.push(new TextDecoder().decode(r.data));
      const after = script.on?.("DATA-END", "", n) ?? "250 2.0.0 ok";
      if (!await act(conn, after)) return;
    }
    if (verb === "QUIT") return;
  }
}

function defaultReply(verb: string, script: PeerScript, tls: boolean): Action {
  switch (verb) {
    case "EHLO": {
      const ext = [...(script.ehlo ?? ["8BITMIME", "PIPELINING"])];
      if (script.cert && !tls) ext.push("STARTTLS");
      const lines = ["peer.test", ...ext];
      return lines.map((l, i) => `250${i === lines.length - 1 ? " " : "-"}${l}`)
        .join("\n");
    }
    case "HELO":
    case "MAIL":
    case "RCPT":
    case "RSET":
    case "NOOP":
      return "250 2.0.0 ok";
    case "DATA":
      return "354 go ahead";
    case "QUIT":
      return "221 2.0.0 bye";
    default:
      return "502 5.5.1 unknown command";
  }
}
