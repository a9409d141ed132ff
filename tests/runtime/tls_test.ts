/**
 * Runtime contract: implicit TLS, client TLS and certificate selection.
 * The clients here are plain `node:net`/`node:tls`, not our own code.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import * as tls from "node:tls";
import { testRuntime } from "./_runtime.ts";
import { testCa, testPair } from "../harness/certs.ts";
import {
  closeSock,
  connect,
  peerCn,
  readUntil,
  serverTls,
  startRelay,
  tlsClient,
} from "./_net.ts";
import type { Conn, Listener } from "../../src/runtime/types.ts";

const rt = testRuntime();

describe("Net.listen() with implicit TLS", () => {
  let listener: Listener;
  const conns: Conn[] = [];
  const proxyLines: string[] = [];

  before(async () => {
    listener = await rt.net.listen({
      host: "127.0.0.1",
      port: 0,
      tls: serverTls,
      tlsTimeoutMs: 10_000,
      async beforeTls(conn) {
        // A PROXY-header reader: may read past the line into the
        // ClientHello, and puts the excess back.
        const chunk = await conn.read();
        if (!chunk) throw new Error("EOF");
        const text = Buffer.from(chunk);
        const eol = text.indexOf("\r\n");
        if (eol < 0 || !text.subarray(0, 6).equals(Buffer.from("PROXY "))) {
          conn.unread?.(chunk);
          return;
        }
        proxyLines.push(text.subarray(0, eol).toString("latin1"));
        conn.unread?.(chunk.subarray(eol + 2));
      },
    }, (conn) => {
      conns.push(conn);
      void conn.write(`hello ${conn.tls?.servername}\r\n`);
    });
  });
  after(async () => {
    await listener.close();
    for (const c of conns) c.close();
    await Promise.all(conns.map((c) => c.closed));
  });

  it("issues no session tickets (chasquid T-03)", async () => {
    // A TLS 1.3 server sends its tickets before our greeting, so by the time
    // the greeting arrives the client has seen any. (Deno's client emits no
    // 'session' events at all; Bun's does, and sees 2 from a default server.)
    const s = tls.connect({
      host: "127.0.0.1",
      port: listener.addr.port,
      servername: "mx.a.test",
      rejectUnauthorized: false,
      maxVersion: "TLSv1.3",
    });
    let sessions = 0;
    s.on("session", () => sessions++);
    await readUntil(s, "\r\n");
    assert.equal(sessions, 0);
    await closeSock(s);
  });

  it("handshakes first and picks the certificate by SNI", async () => {
    const s = await tlsClient(null, {
      host: "127.0.0.1",
      port: listener.addr.port,
      servername: "b.test",
      ca: testCa(),
    });
    assert.equal(peerCn(s), "mail.b.test");
    assert.equal(await readUntil(s, "\r\n"), "hello b.test\r\n");
    await closeSock(s);
  });

  it("completes 50 concurrent handshakes", async () => {
    const socks = await Promise.all(
      Array.from({ length: 50 }, () =>
        tlsClient(null, {
          host: "127.0.0.1",
          port: listener.addr.port,
          servername: "mx.a.test",
        })),
    );
    const hellos = await Promise.all(socks.map((s) => readUntil(s, "\r\n")));
    assert.deepEqual(new Set(hellos), new Set(["hello mx.a.test\r\n"]));
    await Promise.all(socks.map(closeSock));
  });

  it("lets beforeTls read a PROXY header sent with the ClientHello", async () => {
    // A relay prepends the PROXY line to the ClientHello, in one write, the
    // way a load balancer's bytes may arrive.
    const relay = await startRelay(
      listener.addr.port,
      "PROXY TCP4 192.0.2.1 192.0.2.2 1234 25\r\n",
    );
    const sock = await connect(relay.port);
    const s = await tlsClient(sock, { servername: "mx.a.test" });
    assert.equal(peerCn(s), "mx.a.test");
    assert.equal(await readUntil(s, "\r\n"), "hello mx.a.test\r\n");
    assert.deepEqual(proxyLines, ["PROXY TCP4 192.0.2.1 192.0.2.2 1234 25"]);
    await closeSock(s);
    await relay.close();
  });
});

describe("Conn.startTlsClient()", () => {
  let listener: Listener;
  const conns: Conn[] = [];
  before(async () => {
    listener = await rt.net.listen(
      { host: "127.0.0.1", port: 0, tls: serverTls },
      (conn) => conns.push(conn),
    );
  });
  after(async () => {
    await listener.close();
    for (const c of conns) c.close();
    await Promise.all(conns.map((c) => c.closed));
  });

  const cases: {
    name: string;
    servername: string;
    ca: boolean;
    ok: boolean;
  }[] = [
    {
      name: "trusted CA and matching name",
      servername: "mx.a.test",
      ca: true,
      ok: true,
    },
    {
      name: "trusted CA, other name on the cert",
      servername: "b.test",
      ca: true,
      ok: true,
    },
    {
      name: "trusted CA but wrong name",
      servername: "wrong.test",
      ca: true,
      ok: false,
    },
    {
      name: "system roots only",
      servername: "mx.a.test",
      ca: false,
      ok: false,
    },
  ];
  for (const c of cases) {
    it(`reports authorized=${c.ok} with ${c.name}`, async () => {
      const conn = await rt.net.dial({
        host: "127.0.0.1",
        port: listener.addr.port,
        timeoutMs: 5000,
      });
      const info = await conn.startTlsClient({
        servername: c.servername,
        timeoutMs: 10_000,
        ...(c.ca ? { ca: testCa() } : {}),
      });
      assert.equal(info.authorized, c.ok);
      assert.equal(info.authorizationError === "", c.ok);
      assert.match(info.version, /^TLSv1\.[23]$/);
      conn.close();
      await conn.closed;
    });
  }
});

describe("Net.serverTls()", () => {
  it("lists and matches the covered names", () => {
    const t = serverTls();
    assert.deepEqual([...t.names].sort(), [
      "a.test",
      "b.test",
      "mail.b.test",
      "mx.a.test",
    ]);
    assert.equal(t.covers("MX.A.test"), true);
    assert.equal(t.covers("other.a.test"), false);
  });

  it("rejects a key that does not match its certificate", () => {
    const a = testPair("mx.a.test");
    const b = testPair("mail.b.test");
    assert.throws(() => rt.net.serverTls([{ ...a, key: b.key }]));
  });
});
