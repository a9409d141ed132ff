/**
 * Security levels between two chaski servers (SL-03, SL-04, SL-06, U-06):
 * A (a.test) relays to B (b.test, MX mx.b.test from a real dnsmasq)
 * through a TCP proxy in the test. First the proxy passes everything and A
 * records b.test at TLS_INSECURE (B's certificate is signed by the test CA,
 * which A does not trust). Then the proxy strips STARTTLS from B's EHLO
 * reply, as an attacker on the path would, and A refuses to deliver in
 * plain text (temporary failure). `chaski domaininfo remove b.test` clears
 * the level through A's daemon, and after a restart A delivers.
 *
 * The proxy stands for "B drops STARTTLS": `chaski serve` cannot start
 * without certificates, and stripping the EHLO keyword is exactly the
 * downgrade the levels exist to catch, with no test knob in the server.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import {
  queueId,
  runCli,
  sendMail,
  startServer,
  type TestServer,
  waitLog,
} from "../harness/server.ts";

const skip = dnsmasqMissing() ?? false;

const ALICE = { user: "alice@a.test", password: "alice-pw" };

/** A TCP proxy to `target` that can hide STARTTLS from the client. */
interface StripProxy {
  readonly port: number;
  /** From the next connection on, STARTTLS is not offered. */
  strip: boolean;
  close(): Promise<void>;
}

async function startProxy(target: number): Promise<StripProxy> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => s.destroy());
  };
  const proxy = {
    port: 0,
    strip: false,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect(target, "127.0.0.1");
    track(upstream);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    if (!proxy.strip) {
      upstream.pipe(client);
      return;
    }
    // The connection stays in plain text, so replies can be read as lines.
    let pending = "";
    upstream.on("data", (b: Uint8Array) => {
      pending += new TextDecoder().decode(b);
      const end = pending.lastIndexOf("\r\n") + 2;
      if (end < 2) return;
      client.write(
        pending.slice(0, end).replace(
          /^250([- ])STARTTLS\r$/gim,
          "250$1XNOTLS\r",
        ),
      );
      pending = pending.slice(end);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxy.port = (server.address() as net.AddressInfo).port;
  return proxy;
}

function submit(a: TestServer, subject: string): Promise<string> {
  return sendMail(a, {
    mode: "submission",
    auth: ALICE,
    from: ALICE.user,
    to: ["bob@b.test"],
    data: `From: alice@a.test\r\nSubject: ${subject}\r\n\r\nhello\r\n`,
  });
}

describe("security levels between two chaski servers", { skip }, () => {
  let dns: TestDns;
  let b: TestServer;
  let proxy: StripProxy;
  let a: TestServer;
  let a2: TestServer | null = null;
  const domaininfo = (args: string[]) =>
    runCli(["domaininfo", ...args, "--config-dir", a.configDir]);

  before(async () => {
    dns = await startDns({
      records: {
        "b.test": { MX: [{ exchange: "mx.b.test", priority: 10 }] },
        "mx.b.test": { A: ["127.0.0.1"] },
      },
    });
    b = await startServer({
      domains: ["b.test"],
      certs: ["mail.b.test"],
      users: { "bob@b.test": null },
      hostname: "mx.b.test",
    });
    proxy = await startProxy(b.port("smtp"));
    a = await startServer({
      domains: ["a.test"],
      certs: ["mx.a.test"],
      users: { [ALICE.user]: ALICE.password },
      yaml: `outgoing_smtp_port: ${proxy.port}\ndns_server: "${dns.addr}"`,
    });
  });
  after(async () => {
    if (a2) await a2.close();
    else await a?.close();
    await proxy?.close();
    await b?.close();
    await dns?.close();
  });

  it("records B's level, refuses plain text, and delivers after remove", async () => {
    // 1. STARTTLS passes through: delivered, b.test recorded.
    const first = queueId(await submit(a, "one"));
    await b.waitMail("bob@b.test", 1, 20_000);
    await waitLog(a, new RegExp(`${first} from=\\S+ to=bob@b\\.test sent`));
    let list = await domaininfo(["list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(
      list.stdout,
      "b.test  incoming=PLAIN  outgoing=TLS_INSECURE\n",
    );

    // 2. STARTTLS stripped: a temporary failure, nothing reaches B.
    proxy.strip = true;
    const second = queueId(await submit(a, "two"));
    const log = await waitLog(
      a,
      new RegExp(`${second} from=\\S+ to=bob@b\\.test failed \\(temporary\\)`),
    );
    assert.match(
      log,
      new RegExp(
        `${second} .*to=bob@b\\.test failed \\(temporary\\): .*security level check failed \\(level:PLAIN\\)`,
      ),
    );
    assert.equal(b.mailbox("bob@b.test").length, 1);

    // 3. The operator clears the level through the running daemon.
    const unknown = await domaininfo(["remove", "nowhere.test"]);
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /^chaski: cannot clear "nowhere\.test": unknown domain "nowhere\.test"\n$/,
    );
    const removed = await domaininfo(["remove", "b.test"]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, 'security levels of "b.test" cleared\n');
    list = await domaininfo(["list"]);
    assert.equal(list.stdout, "b.test  incoming=PLAIN  outgoing=PLAIN\n");

    // 4. A restarts (retrying at once) and delivers in plain text.
    a.signal("SIGTERM");
    await a.exited;
    a2 = await startServer({ keepDir: a.dir });
    const got = await b.waitMail("bob@b.test", 2, 20_000);
    assert.match(got.join("\n"), /Subject: two/);
    await waitLog(a2, new RegExp(`${second} from=\\S+ to=bob@b\\.test sent`));
  });

  it("clears in the database directly when the server is stopped", async () => {
    const srv = a2 ?? a;
    srv.signal("SIGTERM");
    await srv.exited;
    const r = await runCli([
      "domaininfo-remove",
      "b.test",
      `-C=${srv.configDir}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^server not running at \S+: security levels of "b\.test" cleared in the database directly\n$/,
    );
  });
});
