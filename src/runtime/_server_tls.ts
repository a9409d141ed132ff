/**
 * Server TLS material on `node:tls`: one secure context per certificate
 * pair, chosen by SNI among the names each certificate covers.
 *
 * @module
 */
import * as tls from "node:tls";
import { Buffer } from "node:buffer";
import {
  constants as cryptoConstants,
  createPrivateKey,
  createPublicKey,
  X509Certificate,
} from "node:crypto";
import type { CertPair, ServerTls } from "./types.ts";

/** One loaded pair with the names it covers. */
interface Entry {
  readonly name: string;
  readonly names: readonly string[];
  readonly context: tls.SecureContext;
}

/**
 * Session tickets off (chasquid T-03: tickets weaken forward secrecy and
 * chasquid never enabled them). `SSL_OP_NO_TICKET` is the OpenSSL switch;
 * runtimes that lack the constant simply skip it.
 */
function secureOptions(): number | undefined {
  const noTicket = (cryptoConstants as unknown as Record<string, unknown>)
    .SSL_OP_NO_TICKET;
  return typeof noTicket === "number" ? noTicket : undefined;
}

/** Names a certificate covers: SAN DNS entries, else the subject CN. */
export function certNames(pem: string): string[] {
  const x509 = new X509Certificate(pem);
  const names: string[] = [];
  for (const part of (x509.subjectAltName ?? "").split(",")) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m?.[1]) names.push(m[1].trim().toLowerCase());
  }
  if (names.length === 0) {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject);
    if (cn?.[1]) names.push(cn[1].trim().toLowerCase());
  }
  return names;
}

/**
 * Throws when `key` is not the private half of the first certificate.
 * Deno's `createSecureContext` accepts a mismatched pair and only fails
 * later, per handshake; we want the error at load time.
 */
function checkKeyMatches(certPem: string, keyPem: string): void {
  const der = { type: "spki", format: "der" } as const;
  const fromCert = new X509Certificate(certPem).publicKey.export(der);
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export(der);
  if (!Buffer.from(fromCert).equals(Buffer.from(fromKey))) {
    throw new Error("Private key does not match the certificate");
  }
}

/** True when `pattern` (exact or `*.` one-label wildcard) matches `name`. */
export function nameMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.startsWith("*.")) return false;
  const dot = name.indexOf(".");
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

/**
 * `ServerTls` backed by `node:tls` secure contexts. `Net.startTls` and the
 * implicit-TLS listener accept only instances of this class.
 */
export class NodeServerTls implements ServerTls {
  readonly names: readonly string[];
  #entries: readonly Entry[];

  constructor(pairs: readonly CertPair[]) {
    if (pairs.length === 0) {
      throw new RangeError("Server TLS needs at least one certificate pair");
    }
    const opts = secureOptions();
    this.#entries = pairs.map((p) => {
      let context: tls.SecureContext;
      let names: string[];
      try {
        names = certNames(p.cert);
        checkKeyMatches(p.cert, p.key);
        context = tls.createSecureContext({
          cert: p.cert,
          key: p.key,
          minVersion: "TLSv1.2",
          ...(opts === undefined ? {} : { secureOptions: opts }),
        });
      } catch (err) {
        throw new Error(`Certificate "${p.name}" is not usable`, {
          cause: err,
        });
      }
      return { name: p.name, names, context };
    });
    this.names = [...new Set(this.#entries.flatMap((e) => e.names))];
  }

  covers(name: string): boolean {
    const n = name.toLowerCase();
    return this.names.some((p) => nameMatches(p, n));
  }

  /** The context for an SNI name; the first pair when none matches. */
  contextFor(servername: string): tls.SecureContext {
    const n = servername.toLowerCase();
    const hit = n === ""
      ? undefined
      : this.#entries.find((e) => e.names.some((p) => nameMatches(p, n)));
    return (hit ?? this.#entries[0]!).context;
  }

  /** Options for a server-side `TLSSocket`. */
  socketOptions(): tls.TLSSocketOptions {
    return {
      isServer: true,
      secureContext: this.contextFor(""),
      // Deno passes "" when the client sent no SNI; contextFor handles it.
      SNICallback: (servername, cb) => {
        try {
          cb(null, this.contextFor(servername ?? ""));
        } catch (err) {
          cb(err as Error, undefined);
        }
      },
    };
  }
}
