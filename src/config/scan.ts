/**
 * `scanConfigDir()`: the certificates under `certs/` and the local domains
 * under `domains/` (P-06..P-09).
 *
 * @module
 */

import { createPrivateKey, X509Certificate } from "node:crypto";
import { join } from "node:path";
import type { CertPair, Files } from "../runtime/types.ts";
import type { Logger } from "../log/mod.ts";
import { domain as normalizeDomain } from "../normalize/mod.ts";
import type { DomainScan } from "./types.ts";
import { ConfigError } from "./errors.ts";

/** Options for `scanConfigDir()`. */
export interface ScanOptions {
  readonly files: Files;
  /** The config dir (absolute, or relative to the process cwd). */
  readonly configDir: string;
  /** Receives one warning per skipped `certs/` entry. @default none */
  readonly log?: Pick<Logger, "warn">;
  /**
   * Accept a missing or empty `certs/` (`chaski try` makes its own).
   * @default false
   */
  readonly allowNoCerts?: boolean;
}

/** What `scanConfigDir()` found. */
export interface ScanResult extends DomainScan {
  /**
   * Directory name under `domains/` for each local domain (they differ when
   * the directory uses the A-label or upper case). `localhost` has none
   * unless `domains/localhost` exists.
   */
  readonly domainDirs: Readonly<Record<string, string>>;
  /** Skipped entries, also sent to `log.warn()`. */
  readonly warnings: readonly string[];
}

/**
 * Scans `certs/` and `domains/` in the config dir.
 * @throws {ConfigError} when a directory is unreadable or empty, a domain
 * name fails IDNA, a certificate pair fails to load, or there is no
 * certificate (unless `allowNoCerts`).
 */
export async function scanConfigDir(opts: ScanOptions): Promise<ScanResult> {
  const dir = opts.files.resolve(opts.configDir);
  const warnings: string[] = [];
  const warn = (msg: string): void => {
    warnings.push(msg);
    opts.log?.warn(msg);
  };
  const certs = await scanCerts(
    opts.files,
    dir,
    warn,
    opts.allowNoCerts ?? false,
  );
  const domainDirs = await scanDomains(opts.files, dir);
  const domains = Object.keys(domainDirs).sort();
  return Object.freeze({
    domains: Object.freeze(domains),
    certs: Object.freeze(certs),
    domainDirs: Object.freeze(domainDirs),
    warnings: Object.freeze(warnings),
  });
}

async function listDir(
  files: Files,
  path: string,
  name: string,
  allowMissing: boolean,
): Promise<string[]> {
  if ((await files.stat(path)) === null) {
    if (allowMissing) return [];
    throw new ConfigError("the directory does not exist", { file: name });
  }
  try {
    return await files.readDir(path);
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    const why = typeof code === "string" ? code : message(cause);
    throw new ConfigError(`cannot read the directory: ${why}`, {
      file: name,
      cause,
    });
  }
}

async function scanCerts(
  files: Files,
  dir: string,
  warn: (msg: string) => void,
  allowNone: boolean,
): Promise<CertPair[]> {
  const certsDir = join(dir, "certs");
  const out: CertPair[] = [];
  for (const name of await listDir(files, certsDir, "certs/", allowNone)) {
    const sub = join(certsDir, name);
    if (!(await files.stat(sub))?.isDirectory) continue; // files are ignored
    const chain = await files.stat(join(sub, "fullchain.pem"));
    const key = await files.stat(join(sub, "privkey.pem"));
    if (!chain?.isFile || !key?.isFile) {
      warn(
        `certs/${name}: skipped: it needs both fullchain.pem and privkey.pem`,
      );
      continue;
    }
    out.push(await loadPair(files, sub, name));
  }
  if (out.length === 0 && !allowNone) {
    throw new ConfigError("no certificates found", { file: "certs/" });
  }
  return out;
}

/** Reads and checks one pair; a pair that does not load is fatal (P-07). */
async function loadPair(
  files: Files,
  sub: string,
  name: string,
): Promise<CertPair> {
  const file = `certs/${name}/`;
  let cert: string;
  let key: string;
  try {
    cert = await files.readText(join(sub, "fullchain.pem"));
    key = await files.readText(join(sub, "privkey.pem"));
  } catch (cause) {
    throw new ConfigError(
      `cannot read the certificate pair: ${message(cause)}`,
      {
        file,
        field: name,
        cause,
      },
    );
  }
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) {
      throw new Error("the private key does not match the certificate");
    }
  } catch (cause) {
    throw new ConfigError(
      `cannot load the certificate pair: ${message(cause)}`,
      {
        file,
        field: name,
        cause,
      },
    );
  }
  return Object.freeze({ name, cert, key });
}

async function scanDomains(
  files: Files,
  dir: string,
): Promise<Record<string, string>> {
  const domainsDir = join(dir, "domains");
  const out: Record<string, string> = {};
  for (const name of await listDir(files, domainsDir, "domains/", false)) {
    const info = await files.stat(join(domainsDir, name));
    if (info === null || info.isFile) continue; // regular files are not domains
    let d: string;
    try {
      d = normalizeDomain(name);
    } catch (cause) {
      throw new ConfigError(
        `invalid domain name: "${name}" is not valid IDNA`,
        { file: "domains/", field: name, cause },
      );
    }
    if (d === "") continue;
    out[d] ??= name;
  }
  if (Object.keys(out).length === 0) {
    throw new ConfigError("no domains found", { file: "domains/" });
  }
  out["localhost"] ??= "";
  return out;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
