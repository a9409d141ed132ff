/**
 * Test certificates from `testdata/certs/` (see scripts/gen_test_certs.sh).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CertPair } from "../../src/runtime/types.ts";

const CERTS = fileURLToPath(new URL("../../testdata/certs/", import.meta.url));

/** Directory holding `ca.pem` and one folder per certificate. */
export const CERTS_DIR: string = CERTS;

/** PEM of the test CA that signed every test certificate. */
export function testCa(): string {
  return readFileSync(`${CERTS}ca.pem`, "utf8");
}

/** A test pair: `mx.a.test` (also a.test) or `mail.b.test` (also b.test). */
export function testPair(name: "mx.a.test" | "mail.b.test"): CertPair {
  return {
    name,
    cert: readFileSync(`${CERTS}${name}/fullchain.pem`, "utf8"),
    key: readFileSync(`${CERTS}${name}/privkey.pem`, "utf8"),
  };
}
