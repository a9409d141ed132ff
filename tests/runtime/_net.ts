/**
 * Test helpers for the net contract: plain `node:net`/`node:tls` clients
 * (not our own code) and small servers.
 *
 * @module
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { Buffer } from "node:buffer";
import { testRuntime } from "./_runtime.ts";
import { testPair } from "../harness/certs.ts";
import type { Conn, ServerTls } from "../../src/runtime/types.ts";

const rt = testRuntime();
const decoder = new TextDecoder();

/** Server TLS with both test certificates, mx.a.test first. */
export function serverTls(): ServerTls {
  return rt.net.serverTls([testPair("mx.a.test"), testPair("mail.b.test")]);
}

/** Reads from a node socket until `text` has been seen. */
export function readUntil(sock: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    function onData(c: Buffer): void {
      got += c.toString("latin1");
      if (!got.includes(text)) return;
      sock.off("data", onData);
      sock.off("error", reject);
      resolve(got);
    }
    sock.on("data", onData);
    sock.once("error", reject);
  });
}

/** Reads from our Conn until `text` has been seen. */
export async function connReadUntil(conn: Conn, text: string): Promise<string> {
  let got = "";
  while (!got.includes(text)) {
    const chunk = await conn.read();
    if (chunk === null) throw new Error(`EOF before ${JSON.stringify(text)}`);
    got += decoder.decode(chunk);
  }
  return got;
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

/** Upgrades a client socket, resolving once the handshake is done. */
export function tlsClient(
  socket: net.Socket | null,
  opts: tls.ConnectionOptions,
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      ...(socket ? { socket } : {}),
      rejectUnauthorized: false,
      ...opts,
    }, () => resolve(s));
    s.once("error", reject);
  });
}

export function peerCn(s: tls.TLSSocket): string {
  return String(s.getPeerCertificate().subject?.CN ?? "");
}

export function closeSock(s: net.Socket): Promise<void> {
  if (s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    s.once("close", () => resolve());
    s.destroy();
  });
}

/** A TCP relay to `port` that sends `prefix` glued to the first chunk. */
export async function startRelay(
  port: number,
  prefix: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const socks: net.Socket[] = [];
  const server = net.createServer((down) => {
    const up = net.connect({ host: "127.0.0.1", port });
    socks.push(down, up);
    down.on("error", () => up.destroy());
    up.on("error", () => down.destroy());
    down.once("data", (first: Buffer) => {
      up.write(Buffer.concat([Buffer.from(prefix), first]));
      down.pipe(up);
    });
    up.pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      await Promise.all(socks.map(closeSock));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
