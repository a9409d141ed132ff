/**
 * `formatConfig()`: the effective config as chaski.yaml text (C-19), for
 * `chaski config print` and `/debug/config`. The output reads back with
 * the same values.
 *
 * @module
 */

import { stringify } from "yaml";
import type { Config } from "./types.ts";
import { FIELDS } from "./fields.ts";
import type { FieldName } from "./fields.ts";
import { formatDuration } from "./duration.ts";

/**
 * Formats `config` as YAML, every key in table order (chaski-only keys
 * included), durations as Go duration strings. The config dir and the file
 * that was read come first as comments.
 */
export function formatConfig(config: Config): string {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(FIELDS) as FieldName[]) {
    const v = config[key];
    data[key] = FIELDS[key].kind === "duration"
      ? formatDuration(v as number)
      : v;
  }
  const source = config.source_file === "" ? "(defaults)" : config.source_file;
  const head = `# config_dir: ${config.config_dir}\n# source_file: ${source}\n`;
  return head +
    stringify(data, {
      lineWidth: 0,
      defaultStringType: "QUOTE_DOUBLE",
      defaultKeyType: "PLAIN",
    });
}
