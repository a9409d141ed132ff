/**
 * A `Resolver` answering from a table, for unit tests.
 *
 * @module
 */
import {
  DnsError,
  type DnsErrorCode,
  type MxRecord,
  type Resolver,
  type RRType,
} from "../types.ts";

/** Records for one name, in the same shape as the dnsmasq harness. */
export interface MemoryRecordSet {
  readonly A?: readonly string[];
  readonly AAAA?: readonly string[];
  readonly MX?: readonly MxRecord[];
  /** One entry per record: a string, or the record's strings in order. */
  readonly TXT?: readonly (string | readonly string[])[];
  readonly CNAME?: string;
  readonly PTR?: readonly string[];
  /** Fail every lookup of this name with this code (e.g. `ESERVFAIL`). */
  readonly error?: DnsErrorCode;
}

function key(name: string): string {
  return (name.endsWith(".") ? name.slice(0, -1) : name).toLowerCase();
}

/**
 * Unknown names are `ENOTFOUND`; known names without the type are
 * `ENODATA`; CNAMEs are followed. `queries` records every lookup.
 */
export class MemoryResolver implements Resolver {
  /** Every lookup made, as `TYPE name`. */
  readonly queries: string[] = [];
  #records: Map<string, MemoryRecordSet>;

  constructor(records: Readonly<Record<string, MemoryRecordSet>> = {}) {
    this.#records = new Map(
      Object.entries(records).map(([n, r]) => [key(n), r]),
    );
  }

  /** Adds or replaces the records of a name. */
  set(name: string, records: MemoryRecordSet): void {
    this.#records.set(key(name), records);
  }

  resolve(name: string, type: RRType): Promise<unknown[]> {
    this.queries.push(`${type} ${key(name)}`);
    try {
      return Promise.resolve(this.#lookup(key(name), type, 0));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #lookup(name: string, type: RRType, depth: number): unknown[] {
    const rr = this.#records.get(name);
    if (!rr) throw new DnsError("ENOTFOUND", name);
    if (rr.error) throw new DnsError(rr.error, name);
    if (type !== "CNAME" && rr.CNAME && depth < 8) {
      return this.#lookup(key(rr.CNAME), type, depth + 1);
    }
    const found: unknown[] = type === "TXT"
      ? (rr.TXT ?? []).map((t) => typeof t === "string" ? [t] : [...t])
      : type === "CNAME"
      ? (rr.CNAME ? [rr.CNAME] : [])
      : type === "MX"
      ? (rr.MX ?? []).map((m) => ({ ...m }))
      : [...(rr[type] ?? [])];
    if (found.length === 0) throw new DnsError("ENODATA", name);
    return found;
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
