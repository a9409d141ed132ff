/**
 * Real clients against a real server: swaks (STARTTLS + AUTH PLAIN on
 * submission, implicit TLS), msmtp (certificate checked against the test
 * CA; AUTH PLAIN and LOGIN), python3 smtplib (starttls + login + sendmail)
 * and `openssl s_client -starttls smtp`. Each message must reach the MDA
 * byte-exact after the one Received header the server adds. A missing tool
 * skips its test, naming it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startServer, type TestServer } from "../harness/server.ts";

const CA = join(ROOT, "testdata/certs/ca.pem");
const MSG_FILE = join(ROOT, "testdata/messages/02-plain.eml");
const MSG = readFileSync(MSG_FILE, "utf8").replace(/\r?\n/g, "\r\n");
/** swaks sends the file, then its own CRLF before the final dot. */
const SWAKS_MSG = `${MSG}\r\n`;

function missing(tool: string): string | false {
  const r = spawnSync("sh", ["-c", `command -v ${tool}`]);
  return r.status === 0 ? false : `${tool} is not installed`;
}

function run(
  cmd: string,
  args: string[],
  stdin = "",
): Promise<{ code: number | null; out: string }> {
  return new Promise((res, rej) => {
    const c = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    c.stdout.on(
      "data",
      (b: Uint8Array) => (out += new TextDecoder().decode(b)),
    );
    c.stderr.on(
      "data",
      (b: Uint8Array) => (out += new TextDecoder().decode(b)),
    );
    c.stdin.on("error", () => {});
    c.stdin.end(stdin);
    const t = setTimeout(() => {
      c.kill("SIGKILL");
      rej(new Error(`${cmd} did not finish:\n${out}`));
    }, 30_000);
    c.on("close", (code) => {
      clearTimeout(t);
      res({ code, out });
    });
  });
}

/** The delivered message without the first (Received) header. */
function body(m: string): string {
  assert.match(m, /^Received: /);
  const end = m.search(/\r\n(?![\t ])/);
  return m.slice(end + 2);
}

describe("interop clients", () => {
  let srv: TestServer;
  before(async () => {
    const users: Record<string, string | null> = { "user@a.test": "secret" };
    for (let i = 1; i <= 6; i++) users[`c${i}@a.test`] = null;
    srv = await startServer({ users });
  });
  after(async () => await srv.close());

  const swaks = (extra: string[], to: string) => [
    "--server",
    "127.0.0.1",
    "--ehlo",
    "client.test",
    "--auth",
    "PLAIN",
    "--auth-user",
    "user@a.test",
    "--auth-password",
    "secret",
    "--from",
    "user@a.test",
    "--to",
    to,
    "--data",
    MSG_FILE,
    ...extra,
  ];

  it("swaks: STARTTLS + AUTH PLAIN on submission", {
    skip: missing("swaks"),
  }, async () => {
    const r = await run(
      "swaks",
      swaks(["--port", String(srv.port("submission")), "--tls"], "c1@a.test"),
    );
    assert.equal(r.code, 0, r.out);
    assert.equal(body((await srv.waitMail("c1@a.test"))[0]!), SWAKS_MSG);
  });

  it("swaks: implicit TLS on submission+tls", {
    skip: missing("swaks"),
  }, async () => {
    const r = await run(
      "swaks",
      swaks(
        ["--port", String(srv.port("submission+tls")), "--tlsc"],
        "c2@a.test",
      ),
    );
    assert.equal(r.code, 0, r.out);
    assert.equal(body((await srv.waitMail("c2@a.test"))[0]!), SWAKS_MSG);
  });

  for (const [auth, to] of [["plain", "c3@a.test"], ["login", "c4@a.test"]]) {
    it(`msmtp: STARTTLS, verified certificate, AUTH ${auth}`, {
      skip: missing("msmtp"),
    }, async () => {
      const r = await run("msmtp", [
        "--host=127.0.0.1",
        `--port=${srv.port("submission")}`,
        "--domain=client.test",
        "--tls=on",
        "--tls-starttls=on",
        `--tls-trust-file=${CA}`,
        "--tls-host-override=mx.a.test",
        `--auth=${auth}`,
        "--user=user@a.test",
        "--passwordeval=echo secret",
        "--from=user@a.test",
        to!,
      ], readFileSync(MSG_FILE, "utf8"));
      assert.equal(r.code, 0, r.out);
      assert.equal(body((await srv.waitMail(to!))[0]!), MSG);
    });
  }

  it("python3 smtplib: starttls + login + sendmail", {
    skip: missing("python3"),
  }, async () => {
    // smtplib checks the certificate against its _host: connect to the IP
    // but verify the name mx.a.test.
    const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
msg = open(sys.argv[3], "rb").read().replace(b"\\n", b"\\r\\n")
with smtplib.SMTP(local_hostname="client.test") as s:
    s.connect("127.0.0.1", int(sys.argv[1]))
    s._host = "mx.a.test"
    s.ehlo()
    s.starttls(context=ctx)
    s.ehlo()
    s.login("user@a.test", "secret")
    s.sendmail("user@a.test", ["c5@a.test"], msg)
`;
    const r = await run("python3", [
      "-c",
      script,
      String(srv.port("submission")),
      CA,
      MSG_FILE,
    ]);
    assert.equal(r.code, 0, r.out);
    assert.equal(body((await srv.waitMail("c5@a.test"))[0]!), MSG);
  });

  it("openssl s_client -starttls smtp: EHLO after TLS offers AUTH", {
    skip: missing("openssl"),
  }, async () => {
    const r = await run("openssl", [
      "s_client",
      "-starttls",
      "smtp",
      "-connect",
      `127.0.0.1:${srv.port("smtp")}`,
      "-servername",
      "mx.a.test",
      "-CAfile",
      CA,
      "-verify_return_error",
      "-crlf",
      "-ign_eof",
    ], "EHLO client.test\nQUIT\n");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Verify return code: 0 \(ok\)/);
    assert.match(r.out, /^250-AUTH PLAIN LOGIN\r?$/m);
    assert.match(r.out, /^221 /m);
  });
});
