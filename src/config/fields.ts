/**
 * The one table of config keys: type, default, and how a raw value from
 * either file format becomes a `Config` value. Both readers hand raw values
 * (string, number, boolean, list, null) here, so the checks and the error
 * texts are the same for `chaski.yaml`, `chasquid.conf` and overrides.
 *
 * @module
 */

import type { Config } from "./types.ts";
import { ConfigError, quote } from "./errors.ts";
import { parseDuration } from "./duration.ts";

/** Keys that a file may set (everything but `config_dir` and `source_file`). */
export type FieldName = Exclude<keyof Config, "config_dir" | "source_file">;

/** The value kinds the files use. */
export type Kind =
  | "string"
  | "bool"
  | "int"
  | "list"
  | "listen"
  | "duration"
  | "port"
  | "policyMap"
  | "grantMap";

/** One key of the table. */
export interface FieldSpec {
  readonly kind: Kind;
  /** The value used when no source sets the key (durations in ms). */
  readonly default: Config[FieldName];
  /** Key of chasquid's `Config` proto (chaski-only keys are false). */
  readonly chasquid: boolean;
  /** proto3 `optional` in chasquid: `""` is a real value in chasquid.conf. */
  readonly optional?: boolean;
  /** Extra check on the converted value; returns the problem or `""`. */
  readonly check?: (v: never) => string;
}

const DEFAULT_MDA_ARGS = ["-f", "%from%", "-d", "%to_user%"];

/** `sender_policy` values (B-02). */
const POLICY_MODES: readonly string[] = ["off", "report", "enforce"];
const MODES_TEXT = 'must be "off", "report" or "enforce"';

/** Every key with its default. `hostname`'s default is filled in at load. */
export const FIELDS: Readonly<Record<FieldName, FieldSpec>> = {
  hostname: { kind: "string", default: "", chasquid: true },
  max_data_size_mb: { kind: "int", default: 50, chasquid: true },
  smtp_address: { kind: "listen", default: [":25"], chasquid: true },
  submission_address: { kind: "listen", default: [":587"], chasquid: true },
  submission_over_tls_address: {
    kind: "listen",
    default: [":465"],
    chasquid: true,
  },
  monitoring_address: {
    kind: "string",
    default: "",
    chasquid: true,
    check: (v: string) => v === "" ? "" : checkHostPort(v),
  },
  mail_delivery_agent_bin: {
    kind: "string",
    default: "maildrop",
    chasquid: true,
    check: notEmpty,
  },
  mail_delivery_agent_args: {
    kind: "list",
    default: DEFAULT_MDA_ARGS,
    chasquid: true,
  },
  data_dir: {
    kind: "string",
    default: "/var/lib/chaski",
    chasquid: true,
    check: notEmpty,
  },
  suffix_separators: {
    kind: "string",
    default: "+",
    chasquid: true,
    optional: true,
  },
  drop_characters: {
    kind: "string",
    default: ".",
    chasquid: true,
    optional: true,
  },
  mail_log_path: {
    kind: "string",
    default: "<syslog>",
    chasquid: true,
    check: notEmpty,
  },
  dovecot_auth: { kind: "bool", default: false, chasquid: true },
  dovecot_userdb_path: { kind: "string", default: "", chasquid: true },
  dovecot_client_path: { kind: "string", default: "", chasquid: true },
  haproxy_incoming: { kind: "bool", default: false, chasquid: true },
  // chaski differs (C-17): items live in the database, not in memory, so
  // the limit guards the disk and the delivery backlog, not the heap.
  max_queue_items: {
    kind: "int",
    default: 10_000,
    chasquid: true,
    check: (v: number) => v > 0xffff_ffff ? "must be at most 4294967295" : "",
  },
  give_up_send_after: {
    kind: "duration",
    default: 20 * 3_600_000,
    chasquid: true,
  },
  database: {
    kind: "string",
    default: "sqlite:chaski.db",
    chasquid: false,
    check: checkDatabase,
  },
  outgoing_smtp_port: { kind: "port", default: 25, chasquid: false },
  dns_server: {
    kind: "string",
    default: "",
    chasquid: false,
    check: (v: string) => /\s/.test(v) ? "must be host or host:port" : "",
  },
  dmarc_enforce: { kind: "bool", default: false, chasquid: false },
  sender_policy: {
    kind: "string",
    default: "report",
    chasquid: false,
    check: (v: string) => POLICY_MODES.includes(v) ? "" : MODES_TEXT,
  },
  sender_policy_overrides: { kind: "policyMap", default: {}, chasquid: false },
  send_as: { kind: "grantMap", default: {}, chasquid: false },
  lmtp_address: {
    kind: "string",
    default: "",
    chasquid: false,
    check: (v: string) =>
      v === "" || v.startsWith("/") || /^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(v)
        ? ""
        : 'must be "host:port" or an absolute socket path',
  },
  max_connections: { kind: "int", default: 500, chasquid: false },
  max_connections_per_ip: { kind: "int", default: 20, chasquid: false },
  command_timeout: { kind: "duration", default: 60_000, chasquid: false },
  connection_timeout: {
    kind: "duration",
    default: 20 * 60_000,
    chasquid: false,
  },
  shutdown_timeout: { kind: "duration", default: 60_000, chasquid: false },
  reload_every: { kind: "duration", default: 30_000, chasquid: false },
  max_received_headers: { kind: "int", default: 50, chasquid: false },
  mda_timeout: { kind: "duration", default: 30_000, chasquid: false },
};

/** The listen-address keys and the mode name each one configures. */
export const LISTEN_MODES: Readonly<Record<string, string>> = {
  smtp_address: "smtp",
  submission_address: "submission",
  submission_over_tls_address: "submission_tls",
};

/** True when `key` is a known field. */
export function isField(key: string): key is FieldName {
  return Object.hasOwn(FIELDS, key);
}

/** Where a raw value came from, for error messages. */
export interface Origin {
  readonly file: string;
  readonly line: number;
  /** For lists, the line of each entry, so errors point at the entry. */
  readonly itemLines?: readonly number[];
}

/**
 * Converts a raw value (as read from YAML or text-proto) for `key` into its
 * `Config` form, or throws a `ConfigError` naming file, line and key.
 */
export function convert(
  key: FieldName,
  raw: unknown,
  at: Origin,
): Config[FieldName] {
  const spec = FIELDS[key];
  const fail: Fail = (what, shown = raw, item = -1) => {
    const current = shown === NO_VALUE
      ? ""
      : `: current value is ${quote(shown)}`;
    throw new ConfigError(`field "${key}" ${what}${current}`, {
      file: at.file,
      line: at.itemLines?.[item] ?? at.line,
      field: key,
    });
  };
  const value = convertKind(spec.kind, key, raw, fail);
  const problem = spec.check?.(value as never) ?? "";
  if (problem !== "") fail(problem);
  return value;
}

/** Tells `fail` to leave out the current value. */
const NO_VALUE = Symbol("no value");

/** Throws the field's error; `item` picks the line of a list entry. */
type Fail = (what: string, shown?: unknown, item?: number) => never;

const EXPECTED: Readonly<Record<Kind, [string, string]>> = {
  string: ["string", "a string"],
  bool: ["boolean", "true or false"],
  int: ["number", "a positive integer"],
  port: ["number", "a port number between 1 and 65535"],
  duration: ["string", 'a duration such as "30s" or "1h30m"'],
  list: ["list", "a list of strings"],
  listen: ["list", 'a list of addresses such as ":25"'],
  policyMap: [
    "mapping",
    'a mapping of "user@domain" or "domain" to "off", "report" or "enforce"',
  ],
  grantMap: [
    "mapping",
    'a mapping of "user@domain" or "domain" to a list of addresses',
  ],
};

function convertKind(
  kind: Kind,
  key: FieldName,
  raw: unknown,
  fail: Fail,
): Config[FieldName] {
  const [type, what] = EXPECTED[kind];
  if (typeOf(raw) !== type) {
    fail(`must be ${what}, not ${article(typeOf(raw))}`);
  }
  switch (kind) {
    case "string":
    case "bool":
      return raw as string | boolean;
    case "int":
      return Number.isSafeInteger(raw) && (raw as number) > 0
        ? raw as number
        : fail(`must be ${what}`);
    case "port":
      return Number.isInteger(raw) && (raw as number) >= 1 &&
          (raw as number) <= 65535
        ? raw as number
        : fail(`must be ${what}`);
    case "duration":
      return convertDuration(raw as string, fail);
    case "list":
      return stringList(raw as unknown[], fail);
    case "listen":
      return stringList(raw as unknown[], fail).map((a, i) =>
        checkListen(key, a, (what, shown) => fail(what, shown, i))
      );
    case "policyMap":
      return policyMap(raw as Record<string, unknown>, fail);
    case "grantMap":
      return grantMap(raw as Record<string, unknown>, fail);
  }
}

/** `user@domain` or `domain`: the keys of the sender policy maps. */
const WHO = /^([^@\s]+@)?[^@\s*]+$/;
/** `user@domain` or `*@domain`: a `send_as` grant. */
const GRANT = /^[^@\s]+@[^@\s*]+$/;

function policyMap(
  raw: Record<string, unknown>,
  fail: Fail,
): Record<string, string> {
  Object.entries(raw).forEach(([who, mode], i) => {
    if (!WHO.test(who)) {
      fail('must have "user@domain" or "domain" keys', who, i);
    }
    if (typeof mode !== "string" || !POLICY_MODES.includes(mode)) {
      fail(`entry "${who}" ${MODES_TEXT}`, mode, i);
    }
  });
  return raw as Record<string, string>;
}

function grantMap(
  raw: Record<string, unknown>,
  fail: Fail,
): Record<string, string[]> {
  Object.entries(raw).forEach(([who, grants], i) => {
    if (!WHO.test(who)) {
      fail('must have "user@domain" or "domain" keys', who, i);
    }
    const bad = Array.isArray(grants)
      ? grants.find((g) =>
        typeof g !== "string" || !GRANT.test(g) ||
        (g.includes("*") && !g.startsWith("*@"))
      )
      : grants;
    if (bad !== undefined) {
      fail(
        `entry "${who}" must be a list of "user@domain" or "*@domain"`,
        bad,
        i,
      );
    }
  });
  return raw as Record<string, string[]>;
}

/** The YAML-ish type name of a raw value. */
function typeOf(raw: unknown): string {
  if (raw === null || raw === undefined) return "null";
  if (Array.isArray(raw)) return "list";
  if (typeof raw === "object") return "mapping";
  return typeof raw;
}

function article(type: string): string {
  return type === "null" ? "empty" : `a ${type}`;
}

function stringList(raw: unknown[], fail: Fail): string[] {
  const i = raw.findIndex((x) => typeof x !== "string");
  if (i >= 0) {
    const bad = raw[i];
    fail(
      `must be a list of strings, not contain ${article(typeOf(bad))}`,
      bad,
      i,
    );
  }
  return raw as string[];
}

function convertDuration(raw: string, fail: Fail): number {
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch {
    return fail('must be a duration such as "30s" or "1h30m"');
  }
  return ms > 0 ? ms : fail("must be a positive duration");
}

function checkListen(key: FieldName, addr: string, fail: Fail): string {
  const mode = LISTEN_MODES[key];
  if (addr === "") {
    fail(
      `has an empty address: remove the entry to disable ${mode} listeners`,
      NO_VALUE,
    );
  }
  if (addr === "systemd") {
    fail(
      `lists "systemd": socket activation is not supported yet, list addresses such as ":25" instead`,
      NO_VALUE,
    );
  }
  const problem = checkHostPort(addr);
  return problem === "" ? addr : fail(problem, addr);
}

/** Checks `host:port`, `:port` or `[v6]:port` with port 0..65535. */
function checkHostPort(addr: string): string {
  const m = /^(\[[^\]]*\]|[^\s:\[\]]*):(\d{1,5})$/.exec(addr);
  if (m === null) return 'must be "host:port" or ":port"';
  return Number(m[2]) <= 65535 ? "" : "has a port out of range (0-65535)";
}

function notEmpty(v: string): string {
  return v === "" ? "must not be empty" : "";
}

function checkDatabase(v: string): string {
  if (v === "" || v === "sqlite:") return "must not be empty";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !/^postgres(ql)?:\/\//i.test(v)) {
    return 'must be "sqlite:<path>", a path, or "postgres://…"';
  }
  return "";
}

/** A value a source set, with the line that set it. */
export interface Setting {
  readonly value: Config[FieldName];
  readonly line: number;
}

/** What one source (file or overrides) sets, already converted and checked. */
export interface Layer {
  /** Name for messages: `chaski.yaml`, `chasquid.conf`, `--config-overrides`. */
  readonly file: string;
  readonly values: ReadonlyMap<FieldName, Setting>;
}
