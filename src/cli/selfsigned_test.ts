import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { selfSignedCert } from "./selfsigned.ts";

describe("selfSignedCert()", () => {
  it("makes a certificate that parses, self-verifies and names the hosts", () => {
    const now = new Date();
    const { cert, key } = selfSignedCert(["mail.try.test", "localhost"], now);
    const x = new X509Certificate(cert);
    assert.equal(x.subject, "CN=mail.try.test");
    assert.match(x.subjectAltName ?? "", /DNS:mail.try.test, DNS:localhost/);
    assert.ok(x.verify(x.publicKey));
    assert.ok(x.checkPrivateKey(createKey(key)));
    assert.ok(new Date(x.validTo) > now && new Date(x.validFrom) < now);
  });
});

import { createPrivateKey } from "node:crypto";
function createKey(pem: string) {
  return createPrivateKey(pem);
}
