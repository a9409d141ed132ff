/**
 * Test helper: a temp config dir with aliases files and an optional
 * `alias-resolve` hook, and a resolver over the real files and spawner.
 *
 * @module
 */

import { createNodeFiles } from "../runtime/node_files.ts";
import { createNodeSpawner } from "../runtime/node_spawn.ts";
import type { Recipient } from "./aliases_file.ts";
import { AliasResolver, type AliasResolverProps } from "./resolver.ts";

/** What `setup()` builds. */
export interface TestEnv {
  readonly dir: string;
  readonly resolver: AliasResolver;
  /** Writes (or with `null` removes) a domain's aliases file. */
  writeAliases(domain: string, text: string | null): Promise<void>;
  /** Loads the given domains (every domain in `aliases` by default). */
  load(domains?: readonly string[]): Promise<Error[]>;
  /** Lines the hook appended to `calls`, one per run. */
  hookCalls(): Promise<string[]>;
  close(): Promise<void>;
}

/** Options for `setup()`. */
export interface SetupOptions {
  /** domain → aliases file text; `null` for a domain without a file. */
  readonly aliases: Readonly<Record<string, string | null>>;
  /** Existing users (cleaned addresses). @default none */
  readonly users?: readonly string[];
  /** Body of `hooks/alias-resolve` (a shell script). @default no hook */
  readonly hook?: string;
  /** Extra resolver props. @default none */
  readonly props?: Partial<AliasResolverProps>;
}

const files = createNodeFiles();

/** Builds a config dir and a resolver, already loaded. */
export async function setup(opts: SetupOptions): Promise<TestEnv> {
  const dir = await files.makeTempDir("chaski-aliases-");
  const users = new Set(opts.users ?? []);
  const resolver = new AliasResolver({
    files,
    spawner: createNodeSpawner(),
    configDir: dir,
    dropChars: ".",
    suffixSeps: "+",
    hookEnv: { PATH: "/usr/local/bin:/usr/bin:/bin" },
    userExists: (a) => Promise.resolve(users.has(a)),
    ...opts.props,
  });
  async function writeAliases(domain: string, text: string | null) {
    const path = `${dir}/domains/${domain}/aliases`;
    await files.mkdir(`${dir}/domains/${domain}`);
    if (text === null) await files.remove(path, { recursive: true });
    else await files.writeAtomic(path, text, 0o644);
  }
  for (const [d, text] of Object.entries(opts.aliases)) {
    await writeAliases(d, text);
  }
  if (opts.hook !== undefined) {
    await files.mkdir(`${dir}/hooks`);
    await files.writeAtomic(`${dir}/hooks/alias-resolve`, opts.hook, 0o755);
  }
  async function load(domains = Object.keys(opts.aliases)) {
    const res = await resolver.load(
      domains.map((d) => ({ domain: d, dir: d })),
    );
    return res.errors;
  }
  const errors = await load();
  if (errors.length > 0) throw errors[0];
  return {
    dir,
    resolver,
    writeAliases,
    load,
    async hookCalls() {
      const st = await files.stat(`${dir}/calls`);
      if (!st) return [];
      return (await files.readText(`${dir}/calls`)).split("\n").filter((l) =>
        l
      );
    },
    close: () => files.remove(dir, { recursive: true }),
  };
}

/** An email recipient, for expected values. */
export function em(address: string): Recipient {
  return { type: "email", address, via: [] };
}
