/**
 * Test helpers: the fixture dir, the real `Files`, and a small read-only
 * in-memory `Files` for load and scan unit tests.
 *
 * @module
 */

import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { FileInfo, Files } from "../runtime/types.ts";
import { createNodeFiles } from "../runtime/node_files.ts";

/** `testdata/configs/` as an absolute path. */
export const CONFIGS_DIR: string = fileURLToPath(
  new URL("../../testdata/configs/", import.meta.url),
);

function unsupported(): never {
  throw new TypeError("not supported by the config test Files");
}

/** The real file system, through the runtime's shared implementation. */
export function testFiles(): Files {
  return createNodeFiles();
}

/**
 * A read-only in-memory `Files` holding `tree` (absolute path → content);
 * directories are implied by the paths.
 */
export function memoryFiles(tree: Readonly<Record<string, string>>): Files {
  const dirs = new Set<string>();
  for (const p of Object.keys(tree)) {
    for (let d = path.dirname(p); d !== path.dirname(d); d = path.dirname(d)) {
      dirs.add(d);
    }
    dirs.add("/");
  }
  const info = (isFile: boolean, size: number): FileInfo => ({
    isFile,
    isDirectory: !isFile,
    isSymlink: false,
    size,
    mode: isFile ? 0o644 : 0o755,
    mtimeMs: 0,
  });
  const enoent = (p: string) =>
    Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
  return {
    readBytes: unsupported,
    writeAtomic: unsupported,
    append: unsupported,
    mkdir: unsupported,
    remove: unsupported,
    rename: unsupported,
    chmod: unsupported,
    makeTempDir: unsupported,
    chdir: unsupported,
    readText: (p) => {
      const text = tree[path.resolve("/", p)];
      return text === undefined
        ? Promise.reject(enoent(p))
        : Promise.resolve(text);
    },
    stat: (p) => {
      const abs = path.resolve("/", p);
      const text = tree[abs];
      if (text !== undefined) return Promise.resolve(info(true, text.length));
      return Promise.resolve(dirs.has(abs) ? info(false, 0) : null);
    },
    readDir: (p) => {
      const abs = path.resolve("/", p);
      if (!dirs.has(abs)) return Promise.reject(enoent(p));
      const names = new Set<string>();
      for (const q of [...Object.keys(tree), ...dirs]) {
        if (path.dirname(q) === abs && q !== abs) names.add(path.basename(q));
      }
      return Promise.resolve([...names].sort());
    },
    resolve: (p) => path.resolve("/", p),
    cwd: () => "/",
  };
}
