/**
 * DKIM interop with dkimpy (Debian python3-dkim): chaski's signatures
 * verified by dkimpy (keys handed over through `dnsfunc`), and dkimpy's
 * signatures verified by chaski (keys served by dnsmasq).
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dnsmasqMissing, startDns, type TestDns } from "../harness/dnsmasq.ts";
import { createNodeResolver } from "../../src/runtime/node_dns.ts";
import { signMessage, verifyMessage } from "../../src/msgauth/mod.ts";
import { testKey } from "../../src/msgauth/_test_keys.ts";

const PY = "/usr/bin/python3";
function dkimpyMissing(): string | null {
  if (!existsSync(PY)) return `${PY} is missing`;
  const r = spawnSync(PY, ["-c", "import dkim"]);
  return r.status === 0
    ? null
    : "dkimpy is not installed (apt-get install python3-dkim)";
}
const skip = dkimpyMissing() ?? dnsmasqMissing() ?? false;

const MSG = "From: A <a@i.test>\r\nTo: b@b.test\r\nSubject: interop  test\r\n" +
  "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@i.test>\r\n\r\nHello\r\n  world \r\n";

const VERIFY_PY = `
import dkim, json, sys
dns = json.load(open(sys.argv[1]))
msg = open(sys.argv[2], 'rb').read()
d = dkim.DKIM(msg)
out = []
for i in range(int(sys.argv[3])):
    out.append(bool(d.verify(idx=i, dnsfunc=lambda n, timeout=5: dns.get(n.decode().rstrip('.'), '').encode())))
print(json.dumps(out))
`;

describe("DKIM interop with dkimpy", { skip }, () => {
  const rsa = testKey("rsa", "i.test", "rsa");
  const ed = testKey("ed25519", "i.test", "ed");
  let dir: string;
  let dns: TestDns;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "chaski-dkim-"));
    dns = await startDns({
      records: {
        "rsa._domainkey.i.test": { TXT: [rsa.txt] },
        "ed._domainkey.i.test": { TXT: [ed.txt] },
      },
    });
  });
  after(async () => {
    await dns?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("dkimpy verifies chaski's RSA and Ed25519 signatures", () => {
    const signed = signMessage({
      message: new TextEncoder().encode(MSG),
      domain: "i.test",
      keys: [rsa.key, ed.key],
      now: new Date(),
    });
    writeFileSync(join(dir, "signed.eml"), signed);
    writeFileSync(
      join(dir, "dns.json"),
      JSON.stringify({
        "rsa._domainkey.i.test": rsa.txt,
        "ed._domainkey.i.test": ed.txt,
      }),
    );
    const r = spawnSync(PY, [
      "-c",
      VERIFY_PY,
      join(dir, "dns.json"),
      join(dir, "signed.eml"),
      "2",
    ], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [true, true]);
  });

  it("chaski verifies dkimsign's RSA signature", async () => {
    writeFileSync(join(dir, "msg.eml"), MSG);
    writeFileSync(join(dir, "rsa.pem"), rsa.pem);
    const r = spawnSync("dkimsign", [
      "rsa",
      "i.test",
      join(dir, "rsa.pem"),
      "--hcanon",
      "relaxed",
      "--bcanon",
      "relaxed",
    ], {
      input: MSG,
    });
    assert.equal(r.status, 0, String(r.stderr));
    const resolver = createNodeResolver({ server: dns.addr, timeoutMs: 2000 });
    const { results } = await verifyMessage({
      message: r.stdout,
      resolver,
      now: new Date(),
    });
    assert.deepEqual(results.map((x) => [x.result, x.selector]), [[
      "pass",
      "rsa",
    ]]);
  });
});
