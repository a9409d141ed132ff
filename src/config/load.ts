/**
 * `loadConfig()`: defaults, then `chaski.yaml` (or else `chasquid.conf`),
 * then `--config-overrides`; relative paths resolved against the config
 * dir; the result validated and deep-frozen.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import type { Files } from "../runtime/types.ts";
import type { Config } from "./types.ts";
import { ConfigError } from "./errors.ts";
import { convert, FIELDS, isField } from "./fields.ts";
import type { FieldName, Layer, Setting } from "./fields.ts";
import { parseChasquidConf } from "./chasquid_conf.ts";
import { parseYamlConf } from "./yaml_conf.ts";

/** Name of chaski's own config file inside the config dir. */
export const YAML_FILE = "chaski.yaml";
/** Name of chasquid's config file inside the config dir. */
export const CHASQUID_FILE = "chasquid.conf";
/** Name used in errors about `--config-overrides`. */
export const OVERRIDES_NAME = "--config-overrides";

/** Options for `loadConfig()`. */
export interface LoadConfigOptions {
  /** File access. */
  readonly files: Files;
  /** The config dir; made absolute with `files.resolve()`. */
  readonly configDir: string;
  /**
   * Text-proto (`hostname: "x" max_data_size_mb: 5`) or, when it starts
   * with `{`, a YAML flow mapping. @default ""
   */
  readonly overrides?: string;
  /** The OS hostname, used when no source sets `hostname` (C-01). */
  readonly hostname: string;
}

/** What `loadConfig()` returns. */
export interface LoadConfigResult {
  /** The effective, deep-frozen config. */
  readonly config: Config;
  /** Problems worth logging that do not stop the load (both files present). */
  readonly warnings: readonly string[];
}

/**
 * Loads the effective config from `configDir`.
 * @throws {ConfigError} naming file, line and field on any problem.
 * @example
 * const { config, warnings } = await loadConfig({ files, configDir: "/etc/chaski", hostname });
 */
export async function loadConfig(
  opts: LoadConfigOptions,
): Promise<LoadConfigResult> {
  const { files } = opts;
  const configDir = files.resolve(opts.configDir);
  const warnings: string[] = [];
  const layers: Layer[] = [];
  const source = await pickSource(files, configDir, warnings);
  if (source !== "") {
    const text = await readConfigFile(files, join(configDir, source), source);
    layers.push(
      source === YAML_FILE
        ? parseYamlConf(text, source)
        : parseChasquidConf(text, source),
    );
  }
  const overrides = parseOverrides(opts.overrides ?? "");
  if (overrides !== null) layers.push(overrides);
  const config = buildConfig(layers, {
    configDir,
    hostname: opts.hostname,
    sourceFile: source,
  });
  return { config: deepFreeze(config), warnings: Object.freeze(warnings) };
}

/**
 * Parses a `--config-overrides` string: a YAML flow mapping when it starts
 * with `{`, text-proto otherwise. Returns `null` for a blank string.
 * @throws {ConfigError} with file `--config-overrides`.
 */
export function parseOverrides(text: string): Layer | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  return trimmed.startsWith("{")
    ? parseYamlConf(text, OVERRIDES_NAME)
    : parseChasquidConf(text, OVERRIDES_NAME);
}

/** Options for `buildConfig()`. */
export interface BuildConfigOptions {
  /** Absolute config dir; relative paths resolve against it. */
  readonly configDir: string;
  /** The OS hostname, used when no layer sets `hostname`. */
  readonly hostname: string;
  /** The file the first layer came from. @default "" */
  readonly sourceFile?: string;
}

/**
 * Merges layers over the defaults and resolves paths; the result is not
 * frozen. `loadConfig()` is the usual entry point.
 * @throws {ConfigError} when no hostname is known.
 */
export function buildConfig(
  layers: readonly Layer[],
  opts: BuildConfigOptions,
): Config {
  const out: Record<string, unknown> = {
    config_dir: opts.configDir,
    source_file: opts.sourceFile ?? "",
  };
  for (const key of Object.keys(FIELDS) as FieldName[]) {
    out[key] = structuredClone(FIELDS[key].default);
  }
  for (const layer of layers) {
    for (const [key, setting] of layer.values) out[key] = setting.value;
  }
  if (out.hostname === "") out.hostname = opts.hostname;
  if (out.hostname === "") {
    throw new ConfigError(
      'field "hostname" is not set and the OS hostname is unknown',
      { field: "hostname" },
    );
  }
  out.data_dir = resolvePath(opts.configDir, out.data_dir as string);
  const log = out.mail_log_path as string;
  if (!/^<.*>$/.test(log)) out.mail_log_path = resolvePath(opts.configDir, log);
  return out as unknown as Config;
}

/**
 * A deep-frozen config from plain values written as in chaski.yaml
 * (durations as strings), over the defaults: for tests and embedding.
 * @throws {ConfigError} as for chaski.yaml, with file `(values)`.
 * @example
 * configFromValues({ smtp_address: ["127.0.0.1:0"], reload_every: "100ms" },
 *   { configDir: dir, hostname: "mx.test" });
 */
export function configFromValues(
  values: Readonly<Record<string, unknown>>,
  opts: BuildConfigOptions,
): Config {
  const file = "(values)";
  const settings = new Map<FieldName, Setting>();
  for (const [key, raw] of Object.entries(values)) {
    if (!isField(key)) {
      throw new ConfigError(`unknown field "${key}"`, { file, field: key });
    }
    settings.set(key, { value: convert(key, raw, { file, line: 0 }), line: 0 });
  }
  return deepFreeze(buildConfig([{ file, values: settings }], opts));
}

async function pickSource(
  files: Files,
  dir: string,
  warnings: string[],
): Promise<string> {
  const yaml = await files.stat(join(dir, YAML_FILE));
  const conf = await files.stat(join(dir, CHASQUID_FILE));
  if (yaml !== null && conf !== null) {
    warnings.push(
      `both ${YAML_FILE} and ${CHASQUID_FILE} exist in "${dir}": reading only ${YAML_FILE}`,
    );
  }
  if (yaml !== null) return YAML_FILE;
  return conf !== null ? CHASQUID_FILE : "";
}

async function readConfigFile(
  files: Files,
  path: string,
  name: string,
): Promise<string> {
  try {
    return await files.readText(path);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ConfigError(`cannot read the file: ${why}`, {
      file: name,
      cause,
    });
  }
}

function resolvePath(dir: string, p: string): string {
  return isAbsolute(p) ? p : join(dir, p);
}

/** Freezes `v` and everything reachable from it. */
export function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
