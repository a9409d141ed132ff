/**
 * `Files` on `node:fs/promises`, shared by Deno and Bun.
 *
 * @module
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import process from "node:process";
import type { FileInfo, Files } from "./types.ts";

function isNotFound(err: unknown): boolean {
  return (err as { code?: string }).code === "ENOENT";
}

/**
 * Replaces `file` atomically: a crash leaves either the old or the new
 * content, never a mix. The directory is fsynced so the rename survives a
 * power cut; a replaced file keeps its owner (chasquid's users and aliases
 * files are often root-owned but group-readable by the server).
 */
export async function writeAtomic(
  file: string,
  data: Uint8Array | string,
  mode: number,
): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(
    dir,
    `.${path.basename(file)}.tmp-${randomBytes(6).toString("hex")}`,
  );
  let owner: { uid: number; gid: number } | null = null;
  try {
    const st = await fs.stat(file);
    owner = { uid: st.uid, gid: st.gid };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const fh = await fs.open(tmp, "wx", mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    if (owner) {
      // Only root can give files away; anyone else keeps their own uid.
      await fh.chown(owner.uid, owner.gid).catch(() => {});
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  let dh;
  try {
    dh = await fs.open(dir, "r");
    await dh.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename still happened.
  } finally {
    await dh?.close();
  }
}

async function stat(p: string): Promise<FileInfo | null> {
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
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** Creates the `Files` implementation. */
export function createNodeFiles(): Files {
  return {
    readText: (p) => fs.readFile(p, "utf8"),
    readBytes: async (p) => new Uint8Array(await fs.readFile(p)),
    writeAtomic,
    async append(p, data, mode) {
      await fs.appendFile(p, data, mode === undefined ? {} : { mode });
    },
    stat,
    readDir: async (p) => (await fs.readdir(p)).sort(),
    async mkdir(p, mode) {
      await fs.mkdir(p, {
        recursive: true,
        ...(mode === undefined ? {} : { mode }),
      });
    },
    async remove(p, opts) {
      await fs.rm(p, { recursive: opts?.recursive ?? false, force: true });
    },
    rename: (from, to) => fs.rename(from, to),
    chmod: (p, mode) => fs.chmod(p, mode),
    makeTempDir: (prefix) => fs.mkdtemp(path.join(tmpdir(), prefix)),
    resolve: (p) => path.resolve(p),
    chdir: (p) => process.chdir(p),
    cwd: () => process.cwd(),
  };
}
