/**
 * Our own stub resolver on `node:dgram` + `dns-packet`.
 *
 * Why not `node:dns`: Bun's splits multi-string TXT records into separate
 * records (breaking 2048-bit DKIM keys), and Deno reports NODATA as an error
 * without a code, which mailauth needs. Here the wire is ours: UDP with
 * EDNS0, one retry, TCP when the answer is truncated, CNAMEs followed within
 * the answer section.
 *
 * @module
 */
import * as dgram from "node:dgram";
import * as net from "node:net";
import { readFileSync } from "node:fs";
import { randomInt } from "node:crypto";
import { Buffer } from "node:buffer";
import * as packet from "dns-packet";
import {
  DnsError,
  type MxRecord,
  type Resolver,
  type ResolverOptions,
  type RRType,
} from "./types.ts";

/** EDNS0 UDP payload size recommended by DNS flag day 2020. */
const EDNS_PAYLOAD = 1232;
const DEFAULT_TIMEOUT_MS = 5000;
const MAX_CNAME_HOPS = 8;

/** A DNS server address. */
export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

/** Parses `host`, `host:port`, `[v6]:port` or a bare IPv6 address. */
export function parseServer(spec: string): DnsServer {
  const s = spec.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 53 };
  if (net.isIPv6(s)) return { host: s, port: 53 };
  const i = s.lastIndexOf(":");
  if (i > 0) return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { host: s, port: 53 };
}

/** The first `nameserver` of a resolv.conf text, if any. */
export function resolvConfServer(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m?.[1]) return m[1].replace(/%.*$/, "");
  }
  return undefined;
}

function systemServer(): DnsServer {
  try {
    const ns = resolvConfServer(readFileSync("/etc/resolv.conf", "utf8"));
    if (ns) return parseServer(net.isIPv6(ns) ? `[${ns}]` : ns);
  } catch {
    // No resolv.conf (containers, tests): fall back to a local resolver.
  }
  return { host: "127.0.0.1", port: 53 };
}

function stripDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

function encodeQuery(name: string, type: RRType): { id: number; buf: Buffer } {
  const id = randomInt(0, 65536);
  const buf = packet.encode({
    type: "query",
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
    additionals: [{
      type: "OPT",
      name: ".",
      udpPayloadSize: EDNS_PAYLOAD,
      flags: 0,
      options: [],
    } as unknown as packet.Answer],
  });
  return { id, buf };
}

function udpQuery(
  server: DnsServer,
  query: { id: number; buf: Buffer },
  timeoutMs: number,
): Promise<packet.Packet | null> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIPv6(server.host) ? "udp6" : "udp4");
    const timer = setTimeout(() => done(null), timeoutMs);
    let finished = false;
    function done(res: packet.Packet | null, err?: Error): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(res);
    }
    sock.on("error", (err) => done(null, err));
    sock.on("message", (msg, rinfo) => {
      // Only the server we asked may answer (cheap spoofing defence).
      if (rinfo.port !== server.port) return;
      let p: packet.Packet;
      try {
        p = packet.decode(msg);
      } catch {
        return; // Garbage: keep waiting for the real answer.
      }
      if (p.id === query.id) done(p);
    });
    sock.send(query.buf, server.port, server.host, (err) => {
      if (err) done(null, err);
    });
  });
}

function tcpQuery(
  server: DnsServer,
  query: { id: number; buf: Buffer },
  timeoutMs: number,
): Promise<packet.Packet | null> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => done(null), timeoutMs);
    let finished = false;
    function done(res: packet.Packet | null, err?: Error): void {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(res);
    }
    sock.on("error", (err) => done(null, err));
    sock.on("connect", () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.buf.length);
      sock.write(Buffer.concat([len, query.buf]));
    });
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 2) return;
      const n = buf.readUInt16BE(0);
      if (buf.length < 2 + n) return;
      try {
        done(packet.decode(buf.subarray(2, 2 + n)));
      } catch (err) {
        done(null, err as Error);
      }
    });
    sock.on("end", () => done(null, new Error("DNS TCP connection closed")));
  });
}

/** Sends one question: UDP, one retry on timeout, TCP on truncation. */
async function exchange(
  server: DnsServer,
  name: string,
  type: RRType,
  timeoutMs: number,
): Promise<packet.Packet> {
  const query = encodeQuery(name, type);
  let res: packet.Packet | null = null;
  try {
    for (let attempt = 0; attempt < 2 && !res; attempt++) {
      res = await udpQuery(server, query, timeoutMs);
    }
    if (res && ((res.flags ?? 0) & packet.TRUNCATED_RESPONSE)) {
      res = await tcpQuery(server, query, timeoutMs);
    }
  } catch (err) {
    throw new DnsError("EBADRESP", name, { cause: err });
  }
  if (!res) throw new DnsError("ETIMEOUT", name);
  return res;
}

function checkRcode(res: packet.Packet, name: string): void {
  switch ((res as { rcode?: string }).rcode ?? "NOERROR") {
    case "NOERROR":
      return;
    case "NXDOMAIN":
      throw new DnsError("ENOTFOUND", name);
    case "SERVFAIL":
      throw new DnsError("ESERVFAIL", name);
    case "REFUSED":
      throw new DnsError("EREFUSED", name);
    default:
      throw new DnsError("EBADRESP", name);
  }
}

/** The answers of `type` for `name`, following CNAMEs in the answer. */
function pick(res: packet.Packet, name: string, type: RRType): packet.Answer[] {
  const answers = res.answers ?? [];
  let owner = name.toLowerCase();
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const here = answers.filter((a) =>
      stripDot(a.name).toLowerCase() === owner
    );
    const hits = here.filter((a) => a.type === type);
    if (hits.length > 0) return hits;
    const cname = here.find((a) => a.type === "CNAME");
    if (!cname || type === "CNAME") return [];
    owner = stripDot(String(dataOf(cname))).toLowerCase();
  }
  return [];
}

function dataOf(a: packet.Answer): unknown {
  return (a as { data?: unknown }).data;
}

function txtStrings(data: unknown): string[] {
  const parts = Array.isArray(data) ? data : [data];
  return parts.map((p) =>
    typeof p === "string" ? p : Buffer.from(p as Uint8Array).toString("utf8")
  );
}

function convert(a: packet.Answer): unknown {
  switch (a.type) {
    case "A":
    case "AAAA":
      return String(a.data);
    case "MX": {
      const mx = a.data as packet.MxData;
      return { exchange: stripDot(mx.exchange), priority: mx.preference ?? 0 };
    }
    case "TXT":
      return txtStrings(a.data);
    case "CNAME":
    case "PTR":
      return stripDot(String(a.data));
    default:
      return dataOf(a);
  }
}

/** A `Resolver` that talks DNS to one server. */
export class NodeResolver implements Resolver {
  #server: DnsServer;
  #timeoutMs: number;

  constructor(opts: ResolverOptions) {
    this.#server = opts.server ? parseServer(opts.server) : systemServer();
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async resolve(name: string, type: RRType): Promise<unknown[]> {
    const qname = stripDot(name);
    const res = await exchange(this.#server, qname, type, this.#timeoutMs);
    checkRcode(res, qname);
    const hits = pick(res, qname, type);
    if (hits.length === 0) throw new DnsError("ENODATA", qname);
    return hits.map(convert);
  }

  mx(name: string): Promise<MxRecord[]> {
    return this.resolve(name, "MX") as Promise<MxRecord[]>;
  }

  a(name: string): Promise<string[]> {
    return this.resolve(name, "A") as Promise<string[]>;
  }

  aaaa(name: string): Promise<string[]> {
    return this.resolve(name, "AAAA") as Promise<string[]>;
  }

  txt(name: string): Promise<string[][]> {
    return this.resolve(name, "TXT") as Promise<string[][]>;
  }
}

/** Builds a resolver; the `Runtime.resolver` factory. */
export function createNodeResolver(opts: ResolverOptions): Resolver {
  return new NodeResolver(opts);
}
