/**
 * Runtime contract: sockets and server STARTTLS.
 * The clients here are plain `node:net`/`node:tls`, not our own code.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type * as tls from "node:tls";
import { testRuntime, waitFor } from "./_runtime.ts";
import {
  closeSock,
  connect,
  connReadUntil,
  peerCn,
  readUntil,
  serverTls,
  tlsClient,
} from "./_net.ts";
import type { Conn, Listener, TlsInfo } from "../../src/runtime/types.ts";

const rt = testRuntime();
const decoder = new TextDecoder();

/** A STARTTLS server: waits for STARTTLS, upgrades, echoes one line. */
class StartTlsServer {
  listener!: Listener;
  infos: TlsInfo[] = [];
  errors: Error[] = [];
  conns: Conn[] = [];
  #tls = serverTls();

  async start(): Promise<void> {
    this.listener = await rt.net.listen(
      { host: "127.0.0.1", port: 0 },
      (conn) => void this.#serve(conn),
    );
  }

  async #serve(conn: Conn): Promise<void> {
    this.conns.push(conn);
    try {
      await connReadUntil(conn, "STARTTLS\r\n");
      this.infos.push(await conn.startTls("220 go\r\n", this.#tls, 10_000));
      const line = await connReadUntil(conn, "\n");
      await conn.write(`echo ${line}`);
    } catch (err) {
      this.errors.push(err as Error);
    }
  }

  async close(): Promise<void> {
    await this.listener.close();
    for (const c of this.conns) c.close();
    await Promise.all(this.conns.map((c) => c.closed));
  }
}

/** Plain connect, STARTTLS, TLS handshake with `servername` (or none). */
async function startTlsClient(
  port: number,
  servername?: string,
): Promise<tls.TLSSocket> {
  const sock = await connect(port);
  const got = readUntil(sock, "220 go\r\n");
  sock.write("STARTTLS\r\n");
  await got;
  return tlsClient(
    sock,
    servername ? { servername } : { host: "127.0.0.1" },
  );
}

describe("Conn.startTls()", () => {
  const srv = new StartTlsServer();
  before(() => srv.start());
  after(() => srv.close());

  it("presents the certificate SNI asks for", async () => {
    for (
      const [sni, cn] of [["mail.b.test", "mail.b.test"], [
        "a.test",
        "mx.a.test",
      ]]
    ) {
      const s = await startTlsClient(srv.listener.addr.port, sni);
      assert.equal(peerCn(s), cn);
      const echoed = readUntil(s, "\n");
      s.write("hi\r\n");
      assert.equal(await echoed, "echo hi\r\n");
      await closeSock(s);
    }
    assert.deepEqual(srv.errors, []);
    assert.deepEqual(srv.infos.map((i) => i.servername), [
      "mail.b.test",
      "a.test",
    ]);
    assert.match(srv.infos[0]!.version, /^TLSv1\.[23]$/);
    assert.match(srv.infos[0]!.cipher, /^TLS_/);
  });

  it("presents the first certificate when the client sends no SNI", async () => {
    // Deno hands "" to SNICallback in this case; Bun may not call it.
    const s = await startTlsClient(srv.listener.addr.port);
    assert.equal(peerCn(s), "mx.a.test");
    const echoed = readUntil(s, "\n");
    s.write("hi\r\n");
    assert.equal(await echoed, "echo hi\r\n");
    await closeSock(s);
    assert.equal(srv.infos.at(-1)?.servername, "");
  });

  it("completes 50 concurrent handshakes (the Deno pause regression)", async () => {
    const n = 50;
    const socks = await Promise.all(
      Array.from(
        { length: n },
        () => startTlsClient(srv.listener.addr.port, "mail.b.test"),
      ),
    );
    const echoes = await Promise.all(socks.map((s, i) => {
      const got = readUntil(s, "\n");
      s.write(`${i}\r\n`);
      return got;
    }));
    assert.deepEqual(echoes, socks.map((_, i) => `echo ${i}\r\n`));
    await Promise.all(socks.map(closeSock));
    assert.deepEqual(srv.errors, []);
  });
});

describe("Conn.pendingBytes()", () => {
  it("shows bytes pipelined after STARTTLS, which the upgrade drops", async () => {
    let serverConn: Conn | undefined;
    const result: { pending?: number; first?: string; err?: Error } = {};
    const listener = await rt.net.listen(
      { host: "127.0.0.1", port: 0 },
      async (conn) => {
        serverConn = conn;
        try {
          await connReadUntil(conn, "STARTTLS\r\n");
          await conn.write("ok\r\n");
          // The client sends its injection only after our "ok", so it is
          // queued, not part of the chunk we already read.
          await waitFor("pipelined bytes", () => conn.pendingBytes() > 0);
          result.pending = conn.pendingBytes();
          await conn.startTls("220 go\r\n", serverTls(), 10_000);
          result.first = await connReadUntil(conn, "\n");
          await conn.write("bye\r\n");
        } catch (err) {
          result.err = err as Error;
        }
      },
    );
    const sock = await connect(listener.addr.port);
    const ok = readUntil(sock, "ok\r\n");
    sock.write("STARTTLS\r\n");
    await ok;
    const go = readUntil(sock, "220 go\r\n");
    sock.write("EHLO evil\r\n");
    await go;
    const s = await tlsClient(sock, { servername: "mx.a.test" });
    const bye = readUntil(s, "bye\r\n");
    s.write("EHLO good\r\n");
    await bye;
    assert.equal(result.err, undefined);
    assert.equal(result.pending, "EHLO evil\r\n".length);
    assert.equal(result.first, "EHLO good\r\n");
    await closeSock(s);
    await listener.close();
    serverConn?.close();
    await serverConn?.closed;
  });
});

describe("Conn.read()", () => {
  it("returns null once the peer half-closes", async () => {
    const reads: (string | null)[] = [];
    let serverConn: Conn | undefined;
    const done = new Promise<void>((resolve) => {
      void rt.net.listen({ host: "127.0.0.1", port: 0 }, async (conn) => {
        serverConn = conn;
        for (;;) {
          const c = await conn.read();
          reads.push(c === null ? null : decoder.decode(c));
          if (c === null) break;
        }
        resolve();
      }).then(async (l) => {
        const sock = await connect(l.addr.port);
        sock.end("hello");
        await done;
        await l.close();
        await closeSock(sock);
      });
    });
    await done;
    assert.deepEqual(reads, ["hello", null]);
    serverConn!.close();
    await serverConn!.closed;
  });
});

describe("Net.dial()", () => {
  it("fails on a closed port", async () => {
    const l = await rt.net.listen({ host: "127.0.0.1", port: 0 }, () => {});
    const port = l.addr.port;
    await l.close();
    await assert.rejects(
      rt.net.dial({ host: "127.0.0.1", port, timeoutMs: 5000 }),
    );
  });
});

describe("Conn flow control", () => {
  it("stops reading past 256 KiB unread and resumes when drained", async () => {
    const total = 4 * 1024 * 1024;
    let serverConn: Conn | undefined;
    const got = { first: 0 };
    const l = await rt.net.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
      serverConn = conn;
      void conn.read().then((c) => got.first = c?.byteLength ?? 0);
    });
    const sock = await connect(l.addr.port);
    sock.write(new Uint8Array(total).fill(0x78));
    await waitFor("the first read", () => got.first > 0);
    const conn = serverConn!;
    await waitFor("data to queue", () => conn.pendingBytes() > 256 * 1024);
    // Loopback buffers could hold all 4 MiB; a paused socket leaves most of
    // it in the kernel instead of in our queue.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(conn.pendingBytes() < 2 * 1024 * 1024, `${conn.pendingBytes()}`);
    let n = got.first;
    while (n < total) n += (await conn.read())?.byteLength ?? Infinity;
    assert.equal(n, total);
    await closeSock(sock);
    assert.equal(await conn.read(), null);
    conn.close();
    conn.close(); // idempotent
    await conn.closed;
    await l.close();
  });
});

describe("Conn.startTls() failures", () => {
  it("rejects when the client never starts the handshake", async () => {
    let result: unknown;
    let serverConn: Conn | undefined;
    const l = await rt.net.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
      serverConn = conn;
      void (async () => {
        await connReadUntil(conn, "STARTTLS\r\n");
        result = await conn.startTls("220 go\r\n", serverTls(), 100).catch((
          e,
        ) => e);
      })();
    });
    const sock = await connect(l.addr.port);
    const go = readUntil(sock, "220 go\r\n");
    sock.write("STARTTLS\r\n");
    await go;
    await waitFor("the handshake deadline", () => result !== undefined);
    assert.match(String(result), /timed out/);
    await serverConn!.closed;
    await closeSock(sock);
    await l.close();
  });

  it("closes an implicit-TLS connection that speaks plain text (Bun would wait)", async () => {
    let accepted = 0;
    const l = await rt.net.listen(
      { host: "127.0.0.1", port: 0, tls: serverTls, tlsTimeoutMs: 5000 },
      () => accepted++,
    );
    const sock = await connect(l.addr.port);
    const closed = new Promise<void>((r) => sock.once("close", () => r()));
    sock.on("error", () => {});
    sock.write("EHLO this is not TLS\r\n".repeat(10));
    await closed;
    assert.equal(accepted, 0);
    await l.close();
  });
});
