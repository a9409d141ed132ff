import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { Conn, TlsInfo } from "../runtime/types.ts";
import { SmtpClient } from "./client.ts";
import { SmtpError } from "./errors.ts";
import { formatReply } from "./reply.ts";
import { type ChunkSource, SmtpReader } from "./reader.ts";

/** One direction of an in-memory connection. */
class Pipe implements ChunkSource {
  #chunks: (Uint8Array | null)[] = [];
  #waiter: ((c: Uint8Array | null) => void) | null = null;
  push(c: Uint8Array | null): void {
    if (this.#waiter) {
      this.#waiter(c);
      this.#waiter = null;
    } else this.#chunks.push(c);
  }
  read(): Promise<Uint8Array | null> {
    if (this.#chunks.length > 0) return Promise.resolve(this.#chunks.shift()!);
    return new Promise((r) => (this.#waiter = r));
  }
}

const TLS: TlsInfo = {
  version: "TLSv1.3",
  cipher: "TLS_AES_128_GCM_SHA256",
  servername: "mx.test",
  authorized: true,
  authorizationError: "",
};

/** A client Conn wired to a fake server that answers from `serve`. */
function fakeConn(): { conn: Conn; toServer: Pipe; toClient: Pipe } {
  const toServer = new Pipe();
  const toClient = new Pipe();
  const enc = new TextEncoder();
  let tls: TlsInfo | null = null;
  const conn: Conn = {
    remote: { host: "192.0.2.1", port: 25 },
    local: { host: "192.0.2.2", port: 40000 },
    get tls() {
      return tls;
    },
    read: () => toClient.read(),
    pendingBytes: () => 0,
    write(d) {
      toServer.push(typeof d === "string" ? enc.encode(d) : d);
      return Promise.resolve();
    },
    startTls: () => Promise.reject(new Error("server side only")),
    startTlsClient() {
      tls = TLS;
      return Promise.resolve(TLS);
    },
    close() {
      toClient.push(null);
    },
    closed: Promise.resolve(),
  };
  return { conn, toServer, toClient };
}

/** A minimal server: records commands and messages, answers as told. */
async function serve(
  toServer: Pipe,
  toClient: Pipe,
  log: string[],
  rcptReply = "250 2.1.5 ok",
): Promise<void> {
  const r = new SmtpReader(toServer);
  const send = (code: number, text: string) =>
    toClient.push(new TextEncoder().encode(formatReply(code, text)));
  send(220, "mx.test ESMTP");
  for (;;) {
    const line = await r.readLine();
    log.push(line);
    const verb = line.split(" ")[0]!.toUpperCase();
    if (verb === "EHLO") {
      send(250, "mx.test\nSIZE 1000\nAUTH PLAIN LOGIN\nSTARTTLS");
    } else if (verb === "STARTTLS") send(220, "2.0.0 go");
    else if (verb === "AUTH") send(235, "2.7.0 ok");
    else if (verb === "RCPT") {
      const [code, ...rest] = rcptReply.split(" ");
      send(Number(code), rest.join(" "));
    } else if (verb === "DATA") {
      send(354, "go ahead");
      const res = await r.readDotData({ maxSize: 10000 });
      log.push(
        res.status === "ok" ? new TextDecoder().decode(res.data) : res.status,
      );
      send(250, "2.0.0 queued");
    } else if (verb === "QUIT") return send(221, "2.0.0 bye");
    else send(250, "2.0.0 ok");
  }
}

describe("SmtpClient", () => {
  it("runs a whole transaction", async () => {
    const { conn, toServer, toClient } = fakeConn();
    const log: string[] = [];
    const server = serve(toServer, toClient, log);
    const c = await SmtpClient.connect(() => Promise.resolve(conn));
    assert.equal((await c.greeting()).code, 220);
    await c.ehlo("client.test");
    assert.equal(c.extensions.get("SIZE"), "1000");
    assert.equal(c.extensions.get("AUTH"), "PLAIN LOGIN");
    assert.ok(c.extensions.has("STARTTLS"));
    assert.deepEqual(
      await c.startTls({ servername: "mx.test", timeoutMs: 1000 }),
      TLS,
    );
    assert.equal(c.extensions.size, 0);
    await c.ehlo("client.test");
    await c.auth("user@mx.test", "secret");
    await c.mail("", { BODY: "8BITMIME", SMTPUTF8: "" });
    await c.rcpt("b@mx.test");
    const r = await c.data(new TextEncoder().encode(".hi\r\nbye"));
    assert.deepEqual([r.code, r.text], [250, "2.0.0 queued"]);
    assert.equal((await c.quit()).code, 221);
    await server;
    const plain = Buffer.from("\0user@mx.test\0secret").toString("base64");
    assert.deepEqual(log, [
      "EHLO client.test",
      "STARTTLS",
      "EHLO client.test",
      `AUTH PLAIN ${plain}`,
      "MAIL FROM:<> BODY=8BITMIME SMTPUTF8",
      "RCPT TO:<b@mx.test>",
      "DATA",
      ".hi\r\nbye\r\n",
      "QUIT",
    ]);
  });

  it("throws the peer's reply as an SmtpError", async () => {
    const { conn, toServer, toClient } = fakeConn();
    const server = serve(toServer, toClient, [], "550 5.1.1 no such user");
    const c = new SmtpClient(conn);
    await c.greeting();
    await c.helo("client.test");
    await c.mail("a@x.test");
    await assert.rejects(c.rcpt("nobody@mx.test"), (e) => {
      assert.ok(e instanceof SmtpError);
      assert.deepEqual([e.code, e.enhanced, e.message], [
        550,
        "5.1.1",
        "no such user",
      ]);
      return true;
    });
    await c.quit();
    await server;
  });
});
