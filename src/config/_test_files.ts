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
