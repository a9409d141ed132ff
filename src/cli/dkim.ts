/**
 * `chaski dkim keygen|dns|sign|verify` (DK-06; chasquid-util's
 * `dkim-keygen` and `dkim-dns`).
 *
 * - `keygen DOMAIN [--selector S] [--algo rsa3072|rsa4096|ed25519]` writes
 *   `<config>/domains/<d>/dkim:<sel>.pem` (PKCS#8, mode 0600; refuses to
 *   overwrite) and prints the DNS record. The selector defaults to today's
 *   UTC date, `YYYYMMDD`.
 * - `dns DOMAIN [--selector S]` prints the record of an existing key (the
 *   first one without `--selector`).
 * - `sign --domain D` signs the message on stdin with every key of D.
 * - `verify [--dns-server host:port]` verifies the message on stdin; exit
 *   0 when at least one signature passes, 1 otherwise.
 *
 * @module
 */
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import type { Runtime } from "../runtime/types.ts";
import {
  type DkimKey,
  loadDkimKeys,
  parseDkimKey,
  signMessage,
  verifyMessage,
} from "../msgauth/mod.ts";
import { CliError, type CliIO, DEFAULT_CONFIG_DIR, parse } from "./common.ts";

const USAGE = `Usage: chaski dkim <keygen|dns|sign|verify> [options]
  keygen DOMAIN [--selector S] [--algo rsa3072|rsa4096|ed25519]
  dns DOMAIN [--selector S]
  sign --domain D < message
  verify [--dns-server host:port] < message
Common: --config-dir DIR (default ${DEFAULT_CONFIG_DIR})
`;

const OPTIONS = {
  "config-dir": { type: "string" },
  selector: { type: "string" },
  algo: { type: "string" },
  domain: { type: "string" },
  "dns-server": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** `<sel>._domainkey.<domain>\tTXT\t"v=DKIM1; k=…; p=…"` for a key. */
export function dkimDnsLine(key: DkimKey): string {
  const spki = createPublicKey(key.key).export({ type: "spki", format: "der" });
  const ed = key.algorithm === "ed25519-sha256";
  // RFC 8463: Ed25519 publishes the raw 32-byte key, not the SPKI.
  const p = (ed ? spki.subarray(spki.length - 32) : spki).toString("base64");
  return `${key.selector}._domainkey.${key.domain}\tTXT\t"v=DKIM1; k=${
    ed ? "ed25519" : "rsa"
  }; p=${p}"`;
}

function today(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll("-", "");
}

function newKeyPem(algo: string): string {
  const kp = algo === "ed25519"
    ? generateKeyPairSync("ed25519")
    : algo === "rsa3072" || algo === "rsa4096"
    ? generateKeyPairSync("rsa", { modulusLength: Number(algo.slice(3)) })
    : null;
  if (!kp) {
    throw new CliError(
      `--algo must be rsa3072, rsa4096 or ed25519: current value is "${algo}"`,
      2,
    );
  }
  return kp.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
}

async function keysOf(rt: Runtime, dir: string, domain: string) {
  const keys = (await loadDkimKeys(rt.files, dir, [domain])).get(domain) ?? [];
  if (keys.length === 0) {
    throw new CliError(`no DKIM key for domain "${domain}" in ${dir}`);
  }
  return keys;
}

/** Runs `chaski dkim …`; resolves with the exit code. */
export async function dkimCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const [sub, ...rest] = args;
  const { values: v, positionals: pos } = parse(rest, OPTIONS);
  if (!sub || v.help) {
    io.out(USAGE);
    return sub ? 0 : 2;
  }
  const dir = (v["config-dir"] as string | undefined) ?? DEFAULT_CONFIG_DIR;
  const selector = v.selector as string | undefined;
  switch (sub) {
    case "keygen": {
      const domain = pos[0];
      if (!domain) throw new CliError("keygen needs a DOMAIN", 2);
      const sel = selector ?? pos[1] ?? today(rt.clock.now());
      const rel = join("domains", domain, `dkim:${sel}.pem`);
      const path = join(dir, rel);
      if (await rt.files.stat(path)) {
        throw new CliError(`${path} already exists, not overwriting it`);
      }
      const pem = newKeyPem((v.algo as string | undefined) ?? "rsa3072");
      await rt.files.mkdir(join(dir, "domains", domain), 0o755);
      await rt.files.writeAtomic(path, pem, 0o600);
      io.out(
        dkimDnsLine(parseDkimKey(pem, { file: rel, domain, selector: sel })) +
          "\n",
      );
      return 0;
    }
    case "dns": {
      const domain = pos[0];
      if (!domain) throw new CliError("dns needs a DOMAIN", 2);
      const keys = await keysOf(rt, dir, domain);
      const key = selector
        ? keys.find((k) => k.selector === selector)
        : keys[0];
      if (!key) throw new CliError(`no DKIM key with selector "${selector}"`);
      io.out(dkimDnsLine(key) + "\n");
      return 0;
    }
    case "sign": {
      const domain = v.domain as string | undefined;
      if (!domain) throw new CliError("sign needs --domain D", 2);
      const keys = await keysOf(rt, dir, domain);
      const message = await rt.process.readStdin();
      const now = new Date(rt.clock.now());
      io.out(
        new TextDecoder().decode(signMessage({ message, domain, keys, now })),
      );
      return 0;
    }
    case "verify": {
      const resolver = rt.resolver({
        server: (v["dns-server"] as string | undefined) ?? "",
      });
      const message = await rt.process.readStdin();
      const { results } = await verifyMessage({
        message,
        resolver,
        now: new Date(rt.clock.now()),
      });
      if (results.length === 0) io.out("dkim=none\n");
      for (const r of results) {
        io.out(
          `dkim=${r.result} d=${r.domain} s=${r.selector} b=${r.b12}${
            r.reason ? ` reason="${r.reason}"` : ""
          }\n`,
        );
      }
      return results.some((r) => r.result === "pass") ? 0 : 1;
    }
    default:
      throw new CliError(`unknown dkim command "${sub}"\n${USAGE}`, 2);
  }
}
