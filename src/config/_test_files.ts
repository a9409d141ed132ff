/**
 * Test-only `Files` on `node:fs/promises`, so config tests run on real
 * fixture dirs without depending on the runtime adapters. Only the reading
 * half is implemented; writes throw.
 *
 * @module
 */

import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { FileInfo, Files } from "../runtime/types.ts";

/** `testdata/configs/` as an absolute path. */
export const CONFIGS_DIR: string = fileURLToPath(
  new URL("../../testdata/configs/", import.meta.url),
);

function unsupported(): never {
  throw new TypeError("not supported by the config test Files");
}

/** A read-only `Files` on the real file system. */
export function testFiles(): Files {
  return {
    readText: (p) => fs.readFile(p, "utf8"),
    readBytes: async (p) => new Uint8Array(await fs.readFile(p)),
    stat: statOrNull,
    readDir: async (p) => (await fs.readdir(p)).sort(),
    resolve: (p) => path.resolve(p),
    cwd: () => path.resolve("."),
    writeAtomic: unsupported,
    append: unsupported,
    mkdir: unsupported,
    remove: unsupported,
    rename: unsupported,
    chmod: unsupported,
    makeTempDir: unsupported,
    chdir: unsupported,
  };
}

async function statOrNull(p: string): Promise<FileInfo | null> {
  try {
    const st = await fs.stat(p);
    const lst = await fs.lstat(p);
    return {
      isFile: st.isFile(),
      isDirectory: st.isDirectory(),
      isSymlink: lst.isSymbolicLink(),
      size: st.size,
      mode: st.mode,
      mtimeMs: st.mtimeMs,
    };
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return null;
    throw err;
  }
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
    ...testFiles(),
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
