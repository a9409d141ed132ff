/**
 * The runtime contract: everything the core needs from the platform, as small
 * structural interfaces the core owns. Implementations live beside this file
 * (`node_*.ts` on `node:*` built-ins shared by Deno and Bun, `deno/`, `bun/`
 * for what differs, `memory/` for unit-test fakes). Only `src/main.ts` and
 * test helpers pick an implementation; the core receives these interfaces.
 *
 * @module
 */

/** A network endpoint as seen on a socket. */
export interface NetAddr {
  /** IP address without brackets, e.g. `127.0.0.1` or `::1`. */
  readonly host: string;
  readonly port: number;
}

/** What a finished TLS handshake tells us. */
export interface TlsInfo {
  /** Protocol as reported by the runtime, e.g. `TLSv1.3`. */
  readonly version: string;
  /** IANA cipher suite name, e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly cipher: string;
  /** SNI name the client sent (server side), or `""` when none. */
  readonly servername: string;
  /**
   * Client side only: the peer's chain verified against the trusted roots
   * (or the configured CA) and its name matched `servername`.
   */
  readonly authorized: boolean;
  /** Client side only: why `authorized` is false. */
  readonly authorizationError: string;
}

/** A certificate and key pair loaded from `certs/<name>/`. */
export interface CertPair {
  /** The directory name under `certs/` (for logs). */
  readonly name: string;
  /** PEM text of `fullchain.pem`. */
  readonly cert: string;
  /** PEM text of `privkey.pem`. */
  readonly key: string;
}

/**
 * Server-side TLS material, built once from the loaded certificates and
 * swapped as a whole on reload. The certificate is chosen by SNI among the
 * names each certificate covers; the first pair is the default.
 */
export interface ServerTls {
  /** Every DNS name (SAN or CN) covered by a loaded certificate, lower-case. */
  readonly names: readonly string[];
  /** True when a loaded certificate covers `name` (wildcards included). */
  covers(name: string): boolean;
}

/** Options for dialling out. */
export interface DialOptions {
  readonly host: string;
  readonly port: number;
  /** Give up connecting after this many milliseconds. */
  readonly timeoutMs: number;
  /** Local address to bind, if any. */
  readonly localHost?: string;
  /**
   * A unix socket to connect to instead of `host` and `port` (which are then
   * ignored), e.g. an LMTP server's socket. @default none
   */
  readonly path?: string;
}

/** Options for client-side STARTTLS or implicit TLS. */
export interface ClientTlsOptions {
  /** SNI and the name the certificate must match. */
  readonly servername: string;
  /** Extra trusted CA certificates (PEM), for tests and private CAs. */
  readonly ca?: string;
  /** Give up the handshake after this many milliseconds. */
  readonly timeoutMs: number;
}

/**
 * A byte stream connection (TCP, possibly TLS). Reads are pull-based chunks
 * so callers (line and dot readers) can parse without copying per line.
 */
export interface Conn {
  readonly remote: NetAddr;
  readonly local: NetAddr;
  /** Present once TLS is up (implicit or after STARTTLS). */
  readonly tls: TlsInfo | null;
  /**
   * The next chunk of bytes, or `null` at end of stream. Rejects when the
   * connection failed. Only one read may be outstanding at a time.
   */
  read(): Promise<Uint8Array | null>;
  /** Bytes received but not yet returned by `read()`. */
  pendingBytes(): number;
  /**
   * Puts bytes back at the front of the read queue, e.g. what a PROXY header
   * reader in `ListenOptions.beforeTls` read past the header (the start of
   * the ClientHello). Optional so fakes need not implement it.
   */
  unread?(data: Uint8Array): void;
  /** Writes and resolves once the runtime accepted the bytes. */
  write(data: Uint8Array | string): Promise<void>;
  /**
   * Server-side STARTTLS. The socket is paused synchronously, so call it in
   * the same tick that parsed the STARTTLS command, before any `await`
   * (Deno hangs most handshakes otherwise). Writes `reply` in plain text,
   * then runs the handshake with `tls`.
   */
  startTls(reply: string, tls: ServerTls, timeoutMs: number): Promise<TlsInfo>;
  /** Client-side STARTTLS (after the peer's 220) or TLS on a fresh socket. */
  startTlsClient(opts: ClientTlsOptions): Promise<TlsInfo>;
  /** Closes both directions; pending reads resolve to `null`. Idempotent. */
  close(): void;
  /** Resolves once the connection is fully closed. */
  readonly closed: Promise<void>;
}

/** A listening socket. */
export interface Listener {
  readonly addr: NetAddr;
  /** Stops accepting; open connections are left alone. */
  close(): Promise<void>;
}

/** Options for listening. */
export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS: handshake before handing the connection over. */
  readonly tls?: () => ServerTls;
  /** Handshake deadline for implicit TLS, in milliseconds. */
  readonly tlsTimeoutMs?: number;
  /**
   * Called before the TLS handshake on implicit-TLS listeners with the raw
   * connection, so a PROXY header can be read in plain text first.
   * @default none
   */
  readonly beforeTls?: (conn: Conn) => Promise<void>;
  /** Listen backlog. @default 511 */
  readonly backlog?: number;
  /**
   * A unix socket to listen on instead of `host` and `port` (which are then
   * ignored). A stale file at the path is removed first, and the socket is
   * made 0600 once listening. `Listener.addr` is then `{ host: path, port: 0 }`.
   * @default none
   */
  readonly path?: string;
}

/** Sockets and TLS. */
export interface Net {
  /** Builds server TLS material from PEM pairs; throws on a bad pair. */
  serverTls(pairs: readonly CertPair[]): ServerTls;
  listen(opts: ListenOptions, onConn: (conn: Conn) => void): Promise<Listener>;
  dial(opts: DialOptions): Promise<Conn>;
}

/** DNS record types the core asks for. */
export type RRType = "A" | "AAAA" | "MX" | "TXT" | "CNAME" | "PTR";

/** An MX record as returned by `Resolver.mx()`. */
export interface MxRecord {
  readonly exchange: string;
  readonly priority: number;
}

/**
 * Codes on `DnsError`: `ENOTFOUND` is NXDOMAIN, `ENODATA` is a name with no
 * record of that type, `ETIMEOUT` and `ESERVFAIL` are temporary.
 */
export type DnsErrorCode =
  | "ENOTFOUND"
  | "ENODATA"
  | "ETIMEOUT"
  | "ESERVFAIL"
  | "EREFUSED"
  | "EBADRESP";

/** A failed DNS lookup; `code` is what mailauth and the couriers look at. */
export class DnsError extends Error {
  readonly code: DnsErrorCode;
  readonly hostname: string;
  constructor(code: DnsErrorCode, hostname: string, options?: ErrorOptions) {
    super(`DNS lookup of "${hostname}" failed: ${code}`, options);
    this.name = "DnsError";
    this.code = code;
    this.hostname = hostname;
  }
  /** True for failures worth retrying later. */
  get temporary(): boolean {
    return this.code === "ETIMEOUT" || this.code === "ESERVFAIL" ||
      this.code === "EREFUSED" || this.code === "EBADRESP";
  }
}

/**
 * A DNS resolver. TXT records come back whole: the strings of one record are
 * joined (long DKIM keys are split into several strings on the wire).
 */
export interface Resolver {
  mx(name: string): Promise<MxRecord[]>;
  a(name: string): Promise<string[]>;
  aaaa(name: string): Promise<string[]>;
  /** One entry per record, the record's strings in order. */
  txt(name: string): Promise<string[][]>;
  /** Generic lookup in the shape mailauth expects. */
  resolve(name: string, type: RRType): Promise<unknown[]>;
}

/** What to run. */
export interface SpawnOptions {
  readonly cmd: string;
  readonly args: readonly string[];
  /** The complete environment: nothing is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** Written to the child's stdin, which is then closed. */
  readonly stdin?: Uint8Array;
  /** Kill the whole process group after this many milliseconds. */
  readonly timeoutMs: number;
  /** Keep at most this many bytes of each of stdout and stderr. @default 1 MiB */
  readonly maxOutput?: number;
}

/** How a subprocess ended. */
export interface SpawnResult {
  /** Exit code, or `null` when killed by a signal or never started. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  readonly timedOut: boolean;
  /** Set when the process could not be started (missing, not executable). */
  readonly startError?: Error;
}

/** Runs subprocesses (hooks, MDA, pipe aliases). */
export interface Spawner {
  run(opts: SpawnOptions): Promise<SpawnResult>;
}

/** Minimal file metadata. */
export interface FileInfo {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  readonly size: number;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** File system access. Paths are absolute or relative to the process cwd. */
export interface Files {
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  /** Writes via a temp file, fsync and rename, keeping owner when replacing. */
  writeAtomic(
    path: string,
    data: Uint8Array | string,
    mode: number,
  ): Promise<void>;
  /** Appends (creating with `mode`); used for the mail log and maildirs. */
  append(path: string, data: Uint8Array | string, mode?: number): Promise<void>;
  /** Follows symlinks; `null` when the path does not exist. */
  stat(path: string): Promise<FileInfo | null>;
  /** Entry names, sorted. */
  readDir(path: string): Promise<string[]>;
  mkdir(path: string, mode?: number): Promise<void>;
  remove(path: string, opts?: { recursive?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** A new private directory under the system temp dir. */
  makeTempDir(prefix: string): Promise<string>;
  /** Absolute form of `path`. */
  resolve(path: string): string;
  /** Changes the process working directory. */
  chdir(path: string): void;
  cwd(): string;
}

/** A prepared statement, as much of `node:sqlite` as Kysely's shim needs. */
export interface SqliteStatement {
  /** True when the statement returns rows. */
  readonly reader: boolean;
  all(params: readonly unknown[]): unknown[];
  run(
    params: readonly unknown[],
  ): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(params: readonly unknown[]): IterableIterator<unknown>;
}

/** An open SQLite database, shaped like what Kysely's `SqliteDialect` drives. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}

/** Opens SQLite files (`:memory:` for tests). */
export interface Sqlite {
  open(path: string): SqliteDatabase;
}

/** Time, injectable so tests fake it rather than wait. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Monotonic milliseconds, for durations. */
  monotonic(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A cancellable timer. */
  setTimer(ms: number, fn: () => void): Timer;
}

/** A pending timer from `Clock.setTimer`. */
export interface Timer {
  cancel(): void;
  /** Restarts the countdown with `ms`. */
  reset(ms: number): void;
}

/** Process signals the server reacts to. */
export type SignalName = "SIGHUP" | "SIGTERM" | "SIGINT";

/** Signal subscription. */
export interface Signals {
  /** Returns a function that removes the handler. */
  on(signal: SignalName, handler: () => void): () => void;
}

/** Process-level facts and actions the CLI and app need. */
export interface ProcessInfo {
  readonly pid: number;
  readonly runtime: "deno" | "bun" | "node";
  readonly runtimeVersion: string;
  hostname(): string;
  env(name: string): string | undefined;
  /** Writes to stdout/stderr without a newline being added. */
  writeStdout(text: string): void;
  writeStderr(text: string): void;
  /** Reads all of stdin (for `--password-stdin` and message input). */
  readStdin(): Promise<Uint8Array>;
  /** Reads one line from the terminal without echo; `null` when not a TTY. */
  promptSecret(prompt: string): Promise<string | null>;
  /** Resident set size in bytes. */
  memoryRss(): number;
  /** User + system CPU time used so far, in microseconds. */
  cpuUsageMicros(): number;
  exit(code: number): never;
}

/** Everything platform-specific, handed to `app.ts` by the entry point. */
export interface Runtime {
  readonly net: Net;
  readonly resolver: (opts: ResolverOptions) => Resolver;
  readonly spawner: Spawner;
  readonly files: Files;
  readonly sqlite: Sqlite;
  readonly clock: Clock;
  readonly signals: Signals;
  readonly process: ProcessInfo;
}

/** How to build a resolver. */
export interface ResolverOptions {
  /**
   * `host:port` or `host` of the DNS server; empty means the first
   * `nameserver` of /etc/resolv.conf (falling back to 127.0.0.1:53).
   */
  readonly server: string;
  /** Per-query timeout in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
}
