import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { MemoryResolver } from "../runtime/memory/mod.ts";
import { sealArc } from "./arc.ts";
import { testKey } from "./_test_keys.ts";

const A = testKey("rsa", "a.test", "arc");
const C = testKey("rsa", "c.test", "arc");
const resolver = new MemoryResolver({
  "arc._domainkey.a.test": { TXT: [A.txt] },
  "arc._domainkey.c.test": { TXT: [C.txt] },
});
const MSG = Buffer.from(
  "From: x@ext.test\r\nTo: fwd@a.test\r\nSubject: hi\r\n" +
    "Message-ID: <1@ext.test>\r\n\r\nbody\r\n",
);

function seal(message: Uint8Array, k: typeof A, domain: string) {
  return sealArc(message, {
    resolver,
    signingDomain: domain,
    selector: "arc",
    privateKey: k.key.key,
    authservId: `mx.${domain}`,
    now: new Date(),
  });
}

describe("sealArc()", () => {
  it("adds set i=1 with cv=none to a message without a chain", async () => {
    const r = await seal(MSG, A, "a.test");
    assert.equal(r.sealed, true, r.error);
    assert.equal(r.instance, 1);
    assert.equal(r.cv, "none");
    const text = Buffer.from(r.message).toString("latin1");
    assert.match(text, /^ARC-Seal: i=1; a=rsa-sha256;[^]*cv=none/);
    assert.match(text, /\r\nARC-Message-Signature: i=1;[^]*d=a\.test/);
    assert.match(text, /\r\nARC-Authentication-Results: i=1; mx\.a\.test/);
    assert.ok(text.endsWith(MSG.toString("latin1")));
  });

  it("the next hop validates the chain and adds i=2 with cv=pass", async () => {
    const first = await seal(MSG, A, "a.test");
    const second = await seal(first.message, C, "c.test");
    assert.equal(second.sealed, true, second.error);
    assert.equal(second.cv, "pass");
    assert.equal(second.instance, 2);
  });

  it("seals a chain broken by a changed body with cv=fail, once", async () => {
    const first = await seal(MSG, A, "a.test");
    const text = Buffer.from(first.message).toString("latin1");
    const changed = Buffer.from(text.replace("body", "b0dy"), "latin1");
    const r = await seal(changed, C, "c.test");
    assert.equal(r.sealed, true, r.error);
    assert.equal(r.cv, "fail");
    assert.match(
      Buffer.from(r.message).toString("latin1"),
      /^ARC-Seal: i=2;[^]*cv=fail/,
    );
    // RFC 8617 5.1: a chain whose newest seal says cv=fail is not sealed again.
    const again = await seal(r.message, A, "a.test");
    assert.equal(again.sealed, false);
    assert.deepEqual(again.message, r.message);
  });
});
