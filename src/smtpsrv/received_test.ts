import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  addrLiteral,
  goQuote,
  receivedHeader,
  tlsVersionName,
} from "./received.ts";

const date = new Date(Date.UTC(2026, 10, 22, 10, 0, 0));

describe("receivedHeader()", () => {
  it("shows the client IP and plain text for unauthenticated sessions", () => {
    const h = receivedHeader({
      ehloDomain: "client.test",
      remoteIp: "127.0.0.1",
      hostname: "mx.a.test",
      esmtp: true,
      authenticated: false,
      tls: null,
      mode: "SMTP",
      mailFrom: "x@y.test",
      date,
    });
    const lines = h.split("\r\n");
    assert.equal(lines[0], "Received: from client.test ([127.0.0.1])");
    assert.equal(lines[1], "\tby mx.a.test (chaski) with ESMTP");
    assert.equal(
      lines[2],
      '\t(over SMTP, plain text!, envelope from "x@y.test")',
    );
    assert.match(
      lines[3]!,
      /^\t; \w{3}, \d{2} \w{3} 2026 \d{2}:\d{2}:\d{2} [+-]\d{4}$/,
    );
    assert.equal(lines[4], "");
  });

  it("hides the IP and adds TLS details for authenticated TLS sessions", () => {
    const h = receivedHeader({
      ehloDomain: "laptop",
      remoteIp: "::1",
      hostname: "mx.a.test",
      esmtp: true,
      authenticated: true,
      tls: {
        version: "TLSv1.3",
        cipher: "TLS_AES_128_GCM_SHA256",
        servername: "",
        authorized: false,
        authorizationError: "",
      },
      mode: "submission",
      mailFrom: "",
      date,
    });
    assert.ok(
      h.startsWith(
        "Received: from laptop\r\n\tby mx.a.test (chaski) with ESMTPSA\r\n",
      ),
    );
    assert.ok(h.includes("\ttls TLS_AES_128_GCM_SHA256\r\n"));
    assert.ok(h.includes('\t(over submission, TLS-1.3, envelope from "")\r\n'));
    assert.ok(!h.includes("::1"));
  });
});

describe("helpers", () => {
  it("formats address literals, TLS versions and Go quoting", () => {
    assert.equal(addrLiteral("::1"), "IPv6:::1");
    assert.equal(addrLiteral("10.0.0.1"), "10.0.0.1");
    assert.equal(tlsVersionName("TLSv1.2"), "TLS-1.2");
    assert.equal(tlsVersionName("TLSv1"), "TLS-1.0");
    assert.equal(goQuote('a"b\\c\n'), '"a\\"b\\\\c\\n"');
  });
});
