import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { dkimSign } from "mailauth/lib/dkim/sign.js";
import {
  dnsmasqMissing,
  startDns,
  type TestDns,
} from "../../tests/harness/dnsmasq.ts";
import { createNodeResolver } from "../runtime/node_dns.ts";
import type { Resolver } from "../runtime/types.ts";
import {
  DkimKeyError,
  parseDkimKey,
  relaxedBody,
  relaxedHeader,
  signMessage,
  verifyMessage,
} from "./dkim.ts";
import { testKey } from "./_test_keys.ts";

const MSG =
  "From: A <a@d.test>\r\nTo: b@b.test\r\nSubject:  hi \r\n\tthere\r\n" +
  "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <1@d.test>\r\n\r\nHello  \r\n\r\n";
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("relaxedBody() / relaxedHeader()", () => {
  it("collapses whitespace and trailing empty lines", () => {
    assert.equal(relaxedBody("a  b \t\r\nc\r\n\r\n\r\n"), "a b\r\nc\r\n");
    assert.equal(relaxedBody("\r\n\r\n"), "");
  });
  it("unfolds and lower-cases the name", () => {
    assert.equal(relaxedHeader("Subject ", " a \r\n\tb "), "subject:a b\r\n");
  });
});

describe("parseDkimKey()", () => {
  it("names the file of a malformed key", () => {
    assert.throws(
      () =>
        parseDkimKey(
          "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n",
          {
            file: "domains/d.test/dkim:s.pem",
            domain: "d.test",
            selector: "s",
          },
        ),
      (e: unknown) =>
        e instanceof DkimKeyError &&
        /domains\/d\.test\/dkim:s\.pem/.test(e.message),
    );
  });
});

describe("signMessage()", () => {
  it("writes the H-05 header layout with over-signing", () => {
    const k = testKey("ed25519", "d.test", "e1");
    const out = dec(
      signMessage({
        message: enc(MSG),
        domain: "d.test",
        keys: [k.key],
        now: new Date(1e12),
      }),
    );
    assert.match(
      out,
      /^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed\/relaxed;\r\n d=d\.test; s=e1; t=1000000000;\r\n h=From:To:Subject:Date:Message-ID:From:Subject:Date:To:Cc:Message-ID;\r\n bh=[^;]+;\r\n b=/,
    );
    assert.doesNotMatch(out.split("\r\n\r\n")[0]!, / (x|l|i)=/);
    assert.ok(out.endsWith(MSG));
  });
  it("refuses a message without From", () => {
    const k = testKey("ed25519", "d.test", "e1");
    assert.throws(() =>
      signMessage({
        message: enc("To: x@y\r\n\r\nb\r\n"),
        domain: "d.test",
        keys: [k.key],
        now: new Date(),
      })
    );
  });
});

const skip = dnsmasqMissing() ?? false;

describe("verifyMessage()", { skip }, () => {
  const rsa = testKey("rsa", "d.test", "rsa");
  const ed = testKey("ed25519", "d.test", "ed");
  const weak = testKey("rsa", "d.test", "weak", 512);
  const extra = Array.from(
    { length: 6 },
    (_, i) => testKey("ed25519", "d.test", `m${i}`),
  );
  let dns: TestDns;
  let resolver: Resolver;
  before(async () => {
    const records: Record<string, { TXT: string[] }> = {
      "rsa._domainkey.d.test": { TXT: [rsa.txt] },
      "ed._domainkey.d.test": { TXT: [ed.txt] },
      "weak._domainkey.d.test": { TXT: [weak.txt] },
      "broken._domainkey.d.test": { TXT: ["v=DKIM1; k=rsa; p=notbase64!!"] },
    };
    for (const k of extra) {
      records[`${k.key.selector}._domainkey.d.test`] = { TXT: [k.txt] };
    }
    dns = await startDns({ records });
    resolver = createNodeResolver({ server: dns.addr, timeoutMs: 2000 });
  });
  after(async () => await dns?.close());

  it("passes RSA and Ed25519 signatures it made", async () => {
    const signed = signMessage({
      message: enc(MSG),
      domain: "d.test",
      keys: [rsa.key, ed.key],
      now: new Date(),
    });
    const { results } = await verifyMessage({
      message: signed,
      resolver,
      now: new Date(),
    });
    assert.deepEqual(results.map((r) => [r.result, r.domain, r.selector]), [[
      "pass",
      "d.test",
      "rsa",
    ], ["pass", "d.test", "ed"]]);
    assert.equal(results[0]!.b12.length, 12);
    assert.ok(dec(signed).includes(`b=${results[0]!.b12}`));
  });
  it("fails a tampered body", async () => {
    const signed = dec(
      signMessage({
        message: enc(MSG),
        domain: "d.test",
        keys: [rsa.key],
        now: new Date(),
      }),
    );
    const { results } = await verifyMessage({
      message: enc(signed.replace("Hello", "Hullo")),
      resolver,
      now: new Date(),
    });
    assert.equal(results[0]!.result, "fail");
  });
  it("fails an expired signature with a reason", async () => {
    const t = new Date(Date.now() - 7200_000);
    const { signatures } = await dkimSign(Buffer.from(MSG), {
      signTime: t,
      signatureData: [{
        signingDomain: "d.test",
        selector: "ed",
        privateKey: ed.pem,
      }],
      expires: new Date(Date.now() - 3600_000),
    } as never);
    const { results } = await verifyMessage({
      message: enc(signatures + MSG),
      resolver,
      now: new Date(),
    });
    assert.equal(results[0]!.result, "fail");
    assert.match(results[0]!.reason, /expired/);
  });
  it("gives permerror for a missing or broken key", async () => {
    for (const selector of ["absent", "broken"]) {
      const k = { ...ed.key, selector };
      const signed = signMessage({
        message: enc(MSG),
        domain: "d.test",
        keys: [k],
        now: new Date(),
      });
      const { results } = await verifyMessage({
        message: signed,
        resolver,
        now: new Date(),
      });
      assert.equal(results[0]!.result, "permerror", selector);
    }
  });
  it("rejects rsa-sha1 and RSA keys under 1024 bits", async () => {
    const sha1 = await dkimSign(
      Buffer.from(MSG),
      {
        algorithm: "rsa-sha1",
        signatureData: [{
          signingDomain: "d.test",
          selector: "rsa",
          privateKey: rsa.pem,
        }],
      } as never,
    );
    const short = signMessage({
      message: enc(MSG),
      domain: "d.test",
      keys: [weak.key],
      now: new Date(),
    });
    for (const m of [enc(sha1.signatures + MSG), short]) {
      const { results } = await verifyMessage({
        message: m,
        resolver,
        now: new Date(),
      });
      assert.equal(results[0]!.result, "permerror", results[0]!.reason);
    }
  });
  it("looks at 5 signatures at most", async () => {
    const signed = signMessage({
      message: enc(MSG),
      domain: "d.test",
      keys: extra.map((k) => k.key),
      now: new Date(),
    });
    const { results } = await verifyMessage({
      message: signed,
      resolver,
      now: new Date(),
    });
    assert.deepEqual(results.map((r) => r.selector), [
      "m0",
      "m1",
      "m2",
      "m3",
      "m4",
    ]);
    assert.ok(results.every((r) => r.result === "pass"));
  });
  it("gives no rows for an unsigned message and never throws on garbage", async () => {
    assert.deepEqual(
      (await verifyMessage({ message: enc(MSG), resolver, now: new Date() }))
        .results,
      [],
    );
    const junk = await verifyMessage({
      message: enc("DKIM-Signature: v=1; a=\r\n\r\n"),
      resolver,
      now: new Date(),
    });
    assert.ok(junk.results.every((r) => r.result === "permerror"));
  });
});
