/**
 * Configuration: `chaski.yaml` or chasquid's `chasquid.conf`, command-line
 * overrides, and the scan of `certs/` and `domains/`.
 *
 * ## Where it is read from
 *
 * `loadConfig()` starts from the defaults below, then reads
 * `<config_dir>/chaski.yaml` if it exists, else `<config_dir>/chasquid.conf`
 * if that exists (if both exist only `chaski.yaml` is read, with a warning),
 * then applies `--config-overrides`. Relative `data_dir` and `mail_log_path`
 * resolve against the config dir. Any problem is a `ConfigError` whose
 * message starts with `file:line:` and names the key, e.g.
 * `chaski.yaml:12: field "max_data_size_mb" must be a positive integer: current value is "-1"`.
 *
 * ## chaski.yaml
 *
 * A YAML 1.2 mapping of the keys below. A key that is present always
 * overrides its default, `false`, `""`, `0` and `[]` included; an absent key
 * never does. Unknown keys, wrong types (`max_data_size_mb: "50"`) and bad
 * values are errors. Lists are YAML sequences; durations are Go duration
 * strings (`"90s"`, `"1h30m"`, `"1.5h"`; units `ns us µs ms s m h`, no day).
 *
 * ```yaml
 * hostname: mx.example.com
 * smtp_address: [":25"]
 * submission_address: [":587"]
 * submission_over_tls_address: []   # no implicit-TLS listener
 * give_up_send_after: 48h
 * ```
 *
 * ## chasquid.conf
 *
 * chasquid's protobuf text format, read unchanged: `key: "string"`,
 * `key: 123`, `key: true`, one `key: "…"` line per entry of a list (or
 * `key: ["a", "b"]`), `#` comments, `"…"` or `'…'` strings with C escapes.
 * chasquid's rule holds: a zero value (`""`, `0`, `false`, no entries) is
 * "unset" and never overrides, so a bool cannot be set back to false; the
 * exceptions are `suffix_separators` and `drop_characters`, where `""`
 * turns the feature off. chaski-only keys are accepted here too.
 *
 * ## --config-overrides
 *
 * Applied last. Text-proto as in chasquid (`hostname: "x" max_data_size_mb: 5`,
 * chasquid's merge rule) or, when the string starts with `{`, a YAML flow
 * mapping (`{hostname: x, dovecot_auth: false}`, YAML's rule). Errors name
 * `--config-overrides`.
 *
 * ## Keys
 *
 * | Key | Type | Default | Meaning |
 * |---|---|---|---|
 * | `hostname` | string | OS hostname | Greeting, EHLO, Received `by`, outgoing HELO. `""` means the OS hostname |
 * | `max_data_size_mb` | positive int | `50` | Largest message, advertised as `SIZE` |
 * | `smtp_address` | list of `host:port` | `[":25"]` | SMTP (MX) listeners. `[]` turns the mode off; `""` and `"systemd"` are errors |
 * | `submission_address` | list | `[":587"]` | Submission (STARTTLS) listeners |
 * | `submission_over_tls_address` | list | `[":465"]` | Submission over implicit TLS listeners |
 * | `monitoring_address` | `host:port` | `""` (off) | HTTP monitoring server; no auth, never expose it |
 * | `mail_delivery_agent_bin` | string | `"maildrop"` | Local delivery program |
 * | `mail_delivery_agent_args` | list | `["-f", "%from%", "-d", "%to_user%"]` | Its arguments; `%from% %from_user% %from_domain% %to% %to_user% %to_domain%` are replaced |
 * | `data_dir` | path | `"/var/lib/chaski"` | State: the SQLite database, the local RPC socket |
 * | `suffix_separators` | string | `"+"` | Each character starts an address suffix; `""` disables |
 * | `drop_characters` | string | `"."` | Characters dropped from local users; `""` disables |
 * | `mail_log_path` | string | `"<syslog>"` | `<syslog>`, `<stdout>`, `<stderr>` or a path |
 * | `dovecot_auth` | bool | `false` | Fall back to Dovecot for authentication |
 * | `dovecot_userdb_path` | path | `""` (autodetect) | Dovecot userdb socket |
 * | `dovecot_client_path` | path | `""` (autodetect) | Dovecot client socket |
 * | `haproxy_incoming` | bool | `false` | Expect a PROXY header on every listener |
 * | `max_queue_items` | positive int | `10000` | Queue length at which new mail is refused (chasquid: 200, held in memory; chaski keeps items in the database) |
 * | `give_up_send_after` | duration | `"20h"` | Retry horizon before a bounce |
 * | `database` | string | `"sqlite:chaski.db"` | *chaski.* `sqlite:<path>` or a path (relative to `data_dir`), or `postgres://…` |
 * | `outgoing_smtp_port` | port | `25` | *chaski.* Port for outgoing SMTP (tests use loopback) |
 * | `dns_server` | `host[:port]` | `""` | *chaski.* DNS server; `""` reads /etc/resolv.conf |
 * | `dmarc_enforce` | bool | `false` | *chaski.* Reject DMARC failures of `p=reject` domains (B-07); off only records them |
 * | `sender_policy` | `off`, `report`, `enforce` | `"report"` | *chaski.* May authenticated users send as addresses that are not theirs (B-02): `report` logs and counts, `enforce` rejects (`553 5.7.1` at MAIL, `550 5.7.1` after DATA) |
 * | `sender_policy_overrides` | mapping | `{}` | *chaski.* `sender_policy` per domain or per `user@domain` (the user wins): `{example.com: enforce, bob@example.com: off}` |
 * | `send_as` | mapping | `{}` | *chaski.* Extra addresses a `user@domain`, or every user of a `domain`, may send as: `{bob@example.com: ["sales@example.com", "*@other.example"]}` |
 * | `lmtp_address` | `host:port` or path | `""` | *chaski.* Deliver local mail over LMTP instead of the MDA |
 * | `max_connections` | positive int | `500` | *chaski.* Concurrent connections in total |
 * | `max_connections_per_ip` | positive int | `20` | *chaski.* Concurrent connections per client IP |
 * | `command_timeout` | duration | `"1m"` | *chaski.* Per-command read timeout |
 * | `connection_timeout` | duration | `"20m"` | *chaski.* Whole-connection deadline |
 * | `shutdown_timeout` | duration | `"1m"` | *chaski.* How long a graceful stop waits |
 * | `reload_every` | duration | `"30s"` | *chaski.* How often aliases and users are re-read |
 * | `max_received_headers` | positive int | `50` | *chaski.* More Received headers than this is a loop |
 * | `mda_timeout` | duration | `"30s"` | *chaski.* Local delivery timeout |
 *
 * In `Config`, durations are milliseconds and paths are absolute.
 *
 * ## The config dir
 *
 * `scanConfigDir()` reads `certs/<name>/` (directories or symlinks to them
 * holding both `fullchain.pem` and `privkey.pem`; others are skipped with a
 * warning, plain files ignored; a pair that does not load is an error) and
 * `domains/` (each non-regular entry is a local domain, IDNA→Unicode, NFC,
 * lower case; `localhost` is always added). `certs/` or `domains/` missing,
 * unreadable or empty is an error, as is having no certificate at all
 * (unless `allowNoCerts`, for `chaski try`).
 *
 * @module
 */

export type { Config, DomainScan } from "./types.ts";
export { ConfigError, type ConfigErrorOptions } from "./errors.ts";
export {
  buildConfig,
  type BuildConfigOptions,
  CHASQUID_FILE,
  configFromValues,
  loadConfig,
  type LoadConfigOptions,
  type LoadConfigResult,
  OVERRIDES_NAME,
  YAML_FILE,
} from "./load.ts";
export { scanConfigDir, type ScanOptions, type ScanResult } from "./scan.ts";
export { formatConfig } from "./print.ts";
export { formatDuration, parseDuration } from "./duration.ts";
