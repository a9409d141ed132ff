/**
 * Reader for chaski.yaml and YAML-flow `--config-overrides`
 * (`{hostname: mx.example.com, max_data_size_mb: 10}`). The root is a
 * mapping of chasquid.conf key names plus chaski's own keys. A key that is
 * present always overrides (`false`, `""`, `0` and `[]` included); an
 * absent key never does.
 *
 * @module
 */

import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import { ConfigError } from "./errors.ts";
import { convert, isField } from "./fields.ts";
import type { FieldName, Layer, Origin, Setting } from "./fields.ts";

/**
 * Parses YAML `text` into a layer of settings. `file` names the source in
 * errors (`chaski.yaml`, `--config-overrides`).
 * @throws {ConfigError} on syntax errors, unknown keys and bad values.
 */
export function parseYamlConf(text: string, file: string): Layer {
  const lines = new LineCounter();
  const lineOf = (node: unknown): number => {
    const range = (node as Node | null)?.range;
    return range ? lines.linePos(range[0]).line : 0;
  };
  const root = readDocument(text, file, lines);
  const values = new Map<FieldName, Setting>();
  if (root === null || (isScalar(root) && root.value === null)) {
    return { file, values };
  }
  if (!isMap(root)) {
    throw new ConfigError("the document must be a mapping of keys to values", {
      file,
      line: lineOf(root),
    });
  }
  for (const pair of root.items) {
    const line = lineOf(pair.key);
    const key = fieldName(pair.key, { file, line });
    const node = pair.value as Node | null;
    const itemLines = isSeq(node)
      ? node.items.map((n) => lineOf(n) || line)
      : isMap(node)
      ? node.items.map((p) => lineOf(p.key) || line)
      : [];
    const value = convert(key, plain(node), { file, line, itemLines });
    values.set(key, { value, line });
  }
  return { file, values };
}

/** Parses the YAML; a syntax error becomes a `ConfigError` with its line. */
function readDocument(
  text: string,
  file: string,
  lines: LineCounter,
): Node | null {
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    version: "1.2",
  });
  const err = doc.errors[0];
  if (err !== undefined) {
    const detail = err.message.split("\n")[0]!.replace(/[.:]\s*$/, "");
    throw new ConfigError(`syntax error: ${lowerFirst(detail)}`, {
      file,
      line: lines.linePos(err.pos[0]).line,
      cause: err,
    });
  }
  return doc.contents;
}

/** The key of a pair as a known field name. */
function fieldName(node: unknown, at: Origin): FieldName {
  const value = isScalar(node) ? node.value : null;
  if (value === null) throw new ConfigError("keys must be strings", at);
  const key = String(value);
  if (!isField(key)) {
    throw new ConfigError(`unknown field "${key}"`, { ...at, field: key });
  }
  return key;
}

/** The JS value of a node: scalars, lists of scalars; maps stay opaque. */
function plain(node: Node | null): unknown {
  if (node === null) return null;
  if (isScalar(node)) return node.value;
  if (isSeq(node)) return node.items.map((n) => plain(n as Node | null));
  return node.toJSON();
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
