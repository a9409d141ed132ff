import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "./_test_env.ts";
import {
  plainMatches,
  SCRYPT_DEFAULTS,
  scryptHash,
  scryptVerify,
} from "./scrypt.ts";
import { parseUsersFile } from "./users_file.ts";

function fixtureHash(fixture: string, user: string) {
  const file = join(FIXTURES, fixture);
  const { entries } = parseUsersFile(readFileSync(file), file);
  const c = entries.find((e) => e.user === user)?.credential;
  assert.ok(c?.scheme === "scrypt", `${user} in ${fixture}`);
  return c.hash;
}

describe("scryptVerify()", () => {
  it("accepts the right password for a chasquid-util hash", async () => {
    const h = fixtureHash("chasquid/domains/example.com/users", "alice");
    assert.equal(await scryptVerify(h, "secret"), true);
    assert.equal(await scryptVerify(h, "Secret"), false);
    assert.equal(await scryptVerify(h, ""), false);
  });

  it("hashes the UTF-8 bytes of the password as chasquid does", async () => {
    const h = fixtureHash("chasquid/domains/example.com/users", "ñandú");
    assert.equal(await scryptVerify(h, 'contraseña "quoted" \\ back'), true);
    assert.equal(await scryptVerify(h, 'contrasena "quoted" \\ back'), false);
  });

  it("accepts the same hash written in the old format", async () => {
    const h = fixtureHash("handmade/users", "alice");
    assert.equal(await scryptVerify(h, "secret"), true);
  });

  it("never matches out-of-bounds parameters", async () => {
    const h = fixtureHash("chasquid/domains/example.com/users", "alice");
    assert.equal(await scryptVerify({ ...h, logN: 40 }, "secret"), false);
    assert.equal(await scryptVerify({ ...h, keyLen: 16 }, "secret"), false);
  });
});

describe("scryptHash()", () => {
  it("uses chasquid's parameters and a fresh 16-byte salt", async () => {
    const a = await scryptHash("pw");
    const b = await scryptHash("pw");
    assert.deepEqual([a.logN, a.r, a.p, a.keyLen], [14, 8, 1, 32]);
    assert.equal(a.salt.length, SCRYPT_DEFAULTS.saltLen);
    assert.equal(a.encrypted.length, 32);
    assert.notDeepEqual(a.salt, b.salt);
    assert.equal(await scryptVerify(a, "pw"), true);
    assert.equal(await scryptVerify(a, "pW"), false);
  });
});

describe("plainMatches()", () => {
  it("compares exactly", () => {
    assert.equal(plainMatches("pässword", "pässword"), true);
    assert.equal(plainMatches("pässword", "password"), false);
    assert.equal(plainMatches("a", "ab"), false);
  });
});
