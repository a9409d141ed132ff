import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createLogger } from "./log/mod.ts";
import { FakeClock, MemoryResolver } from "./runtime/memory/mod.ts";
import type { DkimKeys } from "./app_msgauth.ts";
import { testKey } from "./msgauth/_test_keys.ts";
import { buildArcSealer } from "./app_forward.ts";

const MSG = new TextEncoder().encode("From: x@ext.test\r\n\r\nbody\r\n");

function sealerWith(keys: ReturnType<typeof testKey>[]) {
  const lines: string[] = [];
  const seal = buildArcSealer({
    resolver: new MemoryResolver(),
    dkim: () => ({ get: () => keys.map((k) => k.key) }) as unknown as DkimKeys,
    hostname: "mx.a.test",
    clock: new FakeClock(),
    log: createLogger({ verbosity: 9, sink: (l) => lines.push(l) }),
  });
  return { seal, lines };
}

describe("buildArcSealer()", () => {
  it("seals with the alias domain's RSA key", async () => {
    const { seal } = sealerWith([
      testKey("ed25519", "a.test", "ed"),
      testKey("rsa", "a.test", "rsa"),
    ]);
    const out = new TextDecoder().decode(await seal(MSG, "a.test"));
    assert.match(out, /^ARC-Seal: i=1; a=rsa-sha256;[^]*d=a\.test; s=rsa;/);
  });

  it("forwards unsealed, logged, when the domain has no RSA key", async () => {
    const { seal, lines } = sealerWith([testKey("ed25519", "a.test", "ed")]);
    assert.deepEqual(await seal(MSG, "a.test"), MSG);
    assert.ok(
      lines.some((l) => l.includes("no RSA DKIM key")),
      lines.join("\n"),
    );
  });
});
