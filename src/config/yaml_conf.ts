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
import type { FieldName, Layer, Setting } from "./fields.ts";

/**
 * Parses YAML `text` into a layer of settings. `file` names the source in
 * errors (`chaski.yaml`, `--config-overrides`).
 * @throws {ConfigError} on syntax errors, unknown keys and bad values.
 */
export function parseYamlConf(text: string, file: string): Layer {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    version: "1.2",
  });
  const lineOf = (node: Node | null | undefined): number =>
    node?.range ? lines.linePos(node.range[0]).line : 0;
  const err = doc.errors[0];
  if (err !== undefined) {
    const detail = err.message.split("\n")[0]!.replace(/[.:]\s*$/, "");
    throw new ConfigError(`syntax error: ${lowerFirst(detail)}`, {
      file,
      line: lines.linePos(err.pos[0]).line,
      cause: err,
    });
  }
  const values = new Map<FieldName, Setting>();
  const root = doc.contents;
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
    const keyNode = pair.key as Node | null;
    const line = lineOf(keyNode);
    const keyValue = isScalar(keyNode) ? keyNode.value : null;
    const key = keyValue === null ? undefined : String(keyValue);
    if (key === undefined) {
      throw new ConfigError("keys must be strings", { file, line });
    }
    if (!isField(key)) {
      throw new ConfigError(`unknown field "${key}"`, {
        file,
        line,
        field: key,
      });
    }
    const node = pair.value as Node | null;
    const itemLines = isSeq(node)
      ? node.items.map((n) => lineOf(n as Node | null) || line)
      : [];
    const value = convert(key, plain(node), { file, line, itemLines });
    values.set(key, { value, line });
  }
  return { file, values };
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
