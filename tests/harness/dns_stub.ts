/**
 * A DNS server for tests that answers every query at once with NXDOMAIN,
 * on 127.0.0.1 over UDP. Test servers that do not set `dns_server` use it,
 * so SPF, DKIM and MX lookups for test names fail fast and the same way on
 * every machine, with or without network or dnsmasq.
 *
 * @module
 */

import * as dgram from "node:dgram";
import { decode, encode } from "dns-packet";

let shared: Promise<string> | null = null;

/** The `host:port` of the process-wide stub, started on first use. */
export function nxdomainDns(): Promise<string> {
  shared ??= start();
  return shared;
}

function start(): Promise<string> {
  const sock = dgram.createSocket("udp4");
  sock.on("message", (msg, rinfo) => {
    let q;
    try {
      q = decode(msg);
    } catch {
      return;
    }
    const answer = encode({
      id: q.id ?? 0,
      type: "response",
      flags: (1 << 8) | (1 << 7) | 3, // RD, RA, RCODE=3 (NXDOMAIN)
      questions: q.questions ?? [],
    });
    sock.send(answer, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(0, "127.0.0.1", () => {
      // Never keeps a test process alive on its own.
      sock.unref();
      resolve(`127.0.0.1:${sock.address().port}`);
    });
  });
}
