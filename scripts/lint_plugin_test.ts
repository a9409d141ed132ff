import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import plugin from "./lint_plugin.ts";

// Deno.lint.runPlugin exists only under `deno test`; bun test skips with why.
const skip = "Deno" in globalThis
  ? false
  : "Deno.lint.runPlugin exists only under deno test";

/** A named case: `source` linted as `file` reports exactly `expect`. */
interface Case {
  name: string;
  file: string;
  source: string;
  expect?: string[];
}

/** Rule ids (without the "chaski/" prefix) reported for `source`, in order. */
function lint(file: string, source: string): string[] {
  return Deno.lint.runPlugin(plugin, file, source).map((d) =>
    d.id.replace(/^chaski\//, "")
  );
}

function runCases(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, { skip }, () => {
      assert.deepEqual(lint(c.file, c.source), c.expect ?? []);
    });
  }
}

describe("chaski/runtime-isolation", () => {
  const R = ["runtime-isolation"];
  runCases([
    {
      name: "allows node:net in src/runtime",
      file: "src/runtime/node_net.ts",
      source: `import * as net from "node:net";`,
    },
    {
      name: "allows Deno in src/runtime/deno",
      file: "src/runtime/deno/mod.ts",
      source: `export const a = Deno.args;`,
    },
    {
      name: "allows process in src/main.ts",
      file: "src/main.ts",
      source: `process.exit(0);`,
    },
    {
      name: "allows bun:* in src/runtime",
      file: "src/runtime/bun/x.ts",
      source: `import { Database } from "bun:sqlite";`,
    },
    {
      name: "allows tests to use files",
      file: "src/config/load_test.ts",
      source: `import * as fs from "node:fs/promises"; process.env.X;`,
    },
    {
      name: "allows private _test_ helpers",
      file: "src/storage/_test_sqlite.ts",
      source: `import { tmpdir } from "node:os";`,
    },
    {
      name: "allows src/testing helpers",
      file: "src/testing/temp_dir.ts",
      source: `import { mkdtemp } from "node:fs/promises";`,
    },
    {
      name: "allows tests/ and scripts/",
      file: "tests/e2e/x_test.ts",
      source: `import "node:child_process"; Deno.exit(1);`,
    },
    {
      name: "ignores properties named like globals",
      file: "src/cli/x.ts",
      source:
        `rt.process.exit(1); const o = { process: 1, Deno: 2 }; interface I { process: number } class C { process = 1; #process() {} }`,
    },
    {
      name: "ignores a local binding named process",
      file: "src/queue/x.ts",
      source: `function f(process: () => void) { process(); }`,
    },
    {
      name: "ignores a destructured local",
      file: "src/cli/x.ts",
      source: `const { process } = rt; process.exit(1);`,
    },
    {
      name: "ignores the string 'Deno' outside globalThis",
      file: "src/cli/x.ts",
      source: `const s = "Deno"; "Deno" in obj;`,
    },
    {
      name: "forbids Deno in the core",
      file: "src/smtpsrv/x.ts",
      source: `Deno.exit(1);`,
      expect: R,
    },
    {
      name: "forbids Bun in the core",
      file: "src/app.ts",
      source: `const v = Bun.version;`,
      expect: R,
    },
    {
      name: "forbids process in the core",
      file: "src/config/x.ts",
      source: `const e = process.env.HOME;`,
      expect: R,
    },
    {
      name: "forbids shorthand { process }",
      file: "src/config/x.ts",
      source: `const o = { process };`,
      expect: R,
    },
    {
      name: "forbids Deno in a type",
      file: "src/smtp/x.ts",
      source: `let c: Deno.Conn;`,
      expect: R,
    },
    {
      name: "forbids globalThis.Deno",
      file: "src/smtp/x.ts",
      source: `globalThis.Deno;`,
      expect: R,
    },
    {
      name: 'forbids globalThis["process"]',
      file: "src/smtp/x.ts",
      source: `globalThis["process"];`,
      expect: R,
    },
    {
      name: 'forbids "Bun" in globalThis',
      file: "src/smtp/x.ts",
      source: `const b = "Bun" in globalThis;`,
      expect: R,
    },
    {
      name: "forbids bun:* in the core",
      file: "src/storage/db.ts",
      source: `import { Database } from "bun:sqlite";`,
      expect: R,
    },
    {
      name: "forbids node:fs/promises in the core",
      file: "src/userdb/sync.ts",
      source: `import * as fs from "node:fs/promises";`,
      expect: R,
    },
    {
      name: "forbids bare fs in the core",
      file: "src/userdb/sync.ts",
      source: `import * as fs from "fs";`,
      expect: R,
    },
    {
      name: "forbids node:process in the core",
      file: "src/cli/x.ts",
      source: `import process from "node:process";`,
      expect: R,
    },
    {
      name: "forbids node:net re-exports",
      file: "src/smtp/mod.ts",
      source: `export * from "node:net";`,
      expect: R,
    },
    {
      name: "forbids dynamic node:child_process",
      file: "src/hooks/x.ts",
      source: `await import("node:child_process");`,
      expect: R,
    },
    {
      name: "forbids each socket, DNS, subprocess, file and SQLite built-in",
      file: "src/courier/x.ts",
      source: [
        "net",
        "tls",
        "dgram",
        "dns",
        "dns/promises",
        "child_process",
        "fs",
        "fs/promises",
        "sqlite",
        "os",
      ]
        .map((m) => `import "node:${m}";`).join("\n"),
      expect: Array(10).fill("runtime-isolation"),
    },
  ]);
});

describe("chaski/runtime-internals", () => {
  const R = ["runtime-internals"];
  runCases([
    {
      name: "allows runtime/types.ts",
      file: "src/smtpsrv/session.ts",
      source: `import type { Conn } from "../runtime/types.ts";`,
    },
    {
      name: "allows runtime/errors.ts",
      file: "src/smtp/x.ts",
      source: `import { DnsError } from "../runtime/errors.ts";`,
    },
    {
      name: "allows app.ts to import ./runtime/types.ts",
      file: "src/app.ts",
      source: `import type { Runtime } from "./runtime/types.ts";`,
    },
    {
      name: "allows main.ts to import adapters",
      file: "src/main.ts",
      source: `import { createRuntime } from "./runtime/deno/mod.ts";`,
    },
    {
      name: "allows runtime files to import one another",
      file: "src/runtime/deno/mod.ts",
      source: `import { createNodeNet } from "../node_net.ts";`,
    },
    {
      name: "allows test helpers to use adapters",
      file: "src/config/_test_files.ts",
      source: `import { createNodeFiles } from "../runtime/node_files.ts";`,
    },
    {
      name: "forbids an adapter implementation",
      file: "src/config/load.ts",
      source: `import { createNodeFiles } from "../runtime/node_files.ts";`,
      expect: R,
    },
    {
      name: "forbids runtime/mod.ts",
      file: "src/app.ts",
      source: `import * as rt from "./runtime/mod.ts";`,
      expect: R,
    },
    {
      name: "forbids a nested adapter",
      file: "src/cli/serve.ts",
      source: `export { createRuntime } from "../runtime/bun/mod.ts";`,
      expect: R,
    },
    {
      name: "forbids a type-only import of internals",
      file: "src/smtp/client.ts",
      source: `import type { SocketConn } from "../runtime/_socket_conn.ts";`,
      expect: R,
    },
  ]);
});

describe("chaski/node-allowlist", () => {
  const R = ["node-allowlist"];
  runCases([
    {
      name: "allows node:crypto",
      file: "src/userdb/scrypt.ts",
      source: `import { scrypt } from "node:crypto";`,
    },
    {
      name: "allows node:buffer",
      file: "src/smtp/client.ts",
      source: `import { Buffer } from "node:buffer";`,
    },
    {
      name: "allows node:util",
      file: "src/cli/common.ts",
      source: `import { parseArgs } from "node:util";`,
    },
    {
      name: "allows node:path and its subpaths",
      file: "src/config/load.ts",
      source:
        `import { join } from "node:path"; import { posix } from "node:path/posix";`,
    },
    {
      name: "allows anything in src/runtime",
      file: "src/runtime/node_x.ts",
      source: `import { EventEmitter } from "node:events";`,
    },
    {
      name: "allows tests to use node:test",
      file: "src/smtp/reply_test.ts",
      source:
        `import { it } from "node:test"; import assert from "node:assert/strict";`,
    },
    {
      name: "forbids node:events",
      file: "src/queue/mod.ts",
      source: `import { EventEmitter } from "node:events";`,
      expect: R,
    },
    {
      name: "forbids node:url",
      file: "src/config/x.ts",
      source: `import { fileURLToPath } from "node:url";`,
      expect: R,
    },
    {
      name: "forbids node:timers/promises",
      file: "src/queue/mod.ts",
      source: `import { setTimeout } from "node:timers/promises";`,
      expect: R,
    },
    {
      name: "forbids node:assert outside tests",
      file: "src/smtp/x.ts",
      source: `import assert from "node:assert";`,
      expect: R,
    },
    {
      name: "forbids node:http",
      file: "src/monitoring/x.ts",
      source: `import * as http from "node:http";`,
      expect: R,
    },
  ]);
});

describe("chaski/package-boundaries", () => {
  const R = ["package-boundaries"];
  runCases([
    {
      name: "allows yaml in src/config",
      file: "src/config/yaml_conf.ts",
      source: `import { parse } from "yaml";`,
    },
    {
      name: "allows kysely in src/storage",
      file: "src/storage/db.ts",
      source:
        `import { Kysely } from "kysely"; import { Migrator } from "kysely/migration";`,
    },
    {
      name: "allows kysely in *_store.ts",
      file: "src/queue/queue_store.ts",
      source: `import { sql } from "kysely";`,
    },
    {
      name: "allows import type from kysely in src/app.ts",
      file: "src/app.ts",
      source: `import type { Kysely } from "kysely";`,
    },
    {
      name: "allows pg in src/storage",
      file: "src/storage/postgres.ts",
      source: `import pg from "pg";`,
    },
    {
      name: "allows mailauth in src/msgauth",
      file: "src/msgauth/dkim.ts",
      source: `import { dkimVerify } from "mailauth/lib/dkim/verify.js";`,
    },
    {
      name: "allows tests to import anything",
      file: "src/userdb/_test_env.ts",
      source:
        `import type { Kysely } from "kysely"; import { parse } from "yaml";`,
    },
    {
      name: "allows other packages",
      file: "src/runtime/node_dns.ts",
      source: `import * as packet from "dns-packet";`,
    },
    {
      name: "forbids yaml outside src/config",
      file: "src/cli/config_cmd.ts",
      source: `import { stringify } from "yaml";`,
      expect: R,
    },
    {
      name: "forbids kysely in module logic",
      file: "src/queue/mod.ts",
      source: `import { sql } from "kysely";`,
      expect: R,
    },
    {
      name: "forbids kysely subpaths in module logic",
      file: "src/userdb/userdb.ts",
      source: `import type { Migration } from "kysely/migration";`,
      expect: R,
    },
    {
      name: "forbids a value import of kysely in src/app.ts",
      file: "src/app.ts",
      source: `import { sql } from "kysely";`,
      expect: R,
    },
    {
      name: "forbids inline type specifiers from kysely in src/app.ts",
      file: "src/app.ts",
      source: `import { type Kysely } from "kysely";`,
      expect: R,
    },
    {
      name: "forbids kysely in a *_store.ts name outside a module",
      file: "src/cli/x.ts",
      source: `export { sql } from "kysely";`,
      expect: R,
    },
    {
      name: "forbids pg in a *_store.ts",
      file: "src/queue/queue_store.ts",
      source: `import pg from "pg";`,
      expect: R,
    },
    {
      name: "forbids mailauth outside src/msgauth",
      file: "src/smtpsrv/session_data.ts",
      source: `const m = await import("mailauth");`,
      expect: R,
    },
    {
      name: 'forbids import("yaml") types outside src/config',
      file: "src/cli/x.ts",
      source: `let d: import("yaml").Document;`,
      expect: R,
    },
  ]);
});

describe("chaski/test-only-imports", () => {
  const R = ["test-only-imports"];
  runCases([
    {
      name: "allows *_test.ts to import src/testing",
      file: "src/queue/queue_test.ts",
      source: `import { FakeCourier } from "../testing/fake_courier.ts";`,
    },
    {
      name: "allows *_test.ts to import memory fakes",
      file: "src/queue/queue_test.ts",
      source: `import { FakeClock } from "../runtime/memory/mod.ts";`,
    },
    {
      name: "allows *_test.ts to import _test_ helpers",
      file: "src/userdb/sync_test.ts",
      source: `import { openEnv } from "./_test_env.ts";`,
    },
    {
      name: "allows _test_ helpers to import one another",
      file: "src/userdb/_test_env.ts",
      source: `import { testSqlite } from "../storage/_test_sqlite.ts";`,
    },
    {
      name: "allows memory fakes to import one another",
      file: "src/runtime/memory/mod.ts",
      source: `export { FakeClock } from "./fake_clock.ts";`,
    },
    {
      name: "allows src/testing to import memory fakes",
      file: "src/testing/mod.ts",
      source: `export { FakeClock } from "../runtime/memory/mod.ts";`,
    },
    {
      name: "allows tests/ to import memory fakes",
      file: "tests/e2e/x_test.ts",
      source: `import { FakeClock } from "../../src/runtime/memory/mod.ts";`,
    },
    {
      name: "forbids src/testing in production code",
      file: "src/app.ts",
      source: `import { FakeCourier } from "./testing/fake_courier.ts";`,
      expect: R,
    },
    {
      name: "forbids memory fakes in production code",
      file: "src/queue/mod.ts",
      source: `import { FakeClock } from "../runtime/memory/fake_clock.ts";`,
      expect: R,
    },
    {
      name: "forbids memory fakes in the runtime adapters",
      file: "src/runtime/deno/mod.ts",
      source: `import { MemoryResolver } from "../memory/mod.ts";`,
      expect: R,
    },
    {
      name: "forbids memory fakes in src/main.ts",
      file: "src/main.ts",
      source: `import { FakeClock } from "./runtime/memory/mod.ts";`,
      expect: R,
    },
    {
      name: "forbids _test_ helpers in production code",
      file: "src/config/load.ts",
      source: `import { testFiles } from "./_test_files.ts";`,
      expect: R,
    },
  ]);
});

describe("chaski/console-only-in-log", () => {
  const R = ["console-only-in-log"];
  runCases([
    {
      name: "allows console in src/log",
      file: "src/log/mod.ts",
      source: `console.error("x");`,
    },
    {
      name: "allows console in tests",
      file: "src/smtp/reader_test.ts",
      source: `console.log("x");`,
    },
    {
      name: "allows console in scripts/",
      file: "scripts/bench.ts",
      source: `console.log("x");`,
    },
    {
      name: "ignores a property named console",
      file: "src/cli/x.ts",
      source: `opts.console.write("x");`,
    },
    {
      name: "forbids console in the core",
      file: "src/queue/mod.ts",
      source: `console.log("x");`,
      expect: R,
    },
    {
      name: "forbids console in src/runtime",
      file: "src/runtime/node_dns.ts",
      source: `console.warn("x");`,
      expect: R,
    },
    {
      name: "forbids console in src/main.ts",
      file: "src/main.ts",
      source: `console.error("x");`,
      expect: R,
    },
    {
      name: "forbids passing console along",
      file: "src/app.ts",
      source: `const log = createLogger({ sink: console });`,
      expect: R,
    },
    {
      name: "forbids globalThis.console",
      file: "src/cli/x.ts",
      source: `globalThis.console.log("x");`,
      expect: R,
    },
  ]);
});

describe("chaski/no-remote-specifiers", () => {
  const R = ["no-remote-specifiers"];
  runCases([
    {
      name: "allows bare npm names",
      file: "src/config/x.ts",
      source: `import { parse } from "yaml";`,
    },
    {
      name: "allows the text jsr: in a string",
      file: "src/cli/x.ts",
      source: `const s = "jsr:@std/path";`,
    },
    {
      name: "forbids jsr: in src",
      file: "src/config/x.ts",
      source: `import { join } from "jsr:@std/path";`,
      expect: R,
    },
    {
      name: "forbids jsr: in tests",
      file: "tests/e2e/x_test.ts",
      source: `import { assertEquals } from "jsr:@std/assert";`,
      expect: R,
    },
    {
      name: "forbids jsr: in scripts",
      file: "scripts/x.ts",
      source: `export * from "jsr:@std/fs";`,
      expect: R,
    },
    {
      name: "forbids inline npm: in src",
      file: "src/config/x.ts",
      source: `import { parse } from "npm:yaml@2";`,
      expect: R,
    },
    {
      name: "forbids dynamic inline npm: in tests",
      file: "tests/interop/x_test.ts",
      source: `await import("npm:nodemailer");`,
      expect: R,
    },
  ]);
});

describe("chaski plugin", () => {
  it("maps absolute paths in the repository to src/ rules", { skip }, () => {
    const file = fileURLToPath(new URL("../src/queue/x.ts", import.meta.url));
    assert.deepEqual(lint(file, `console.log(1);`), ["console-only-in-log"]);
  });

  it("reports one violation once, under one rule", { skip }, () => {
    assert.deepEqual(
      lint("src/queue/x.ts", `import { spawn } from "node:child_process";`),
      ["runtime-isolation"],
    );
  });

  it("explains the rule and names the specifier", { skip }, () => {
    const [d] = Deno.lint.runPlugin(
      plugin,
      "src/cli/x.ts",
      `import { stringify } from "yaml";`,
    );
    assert.equal(
      d?.message,
      `"yaml" is imported outside its home: "yaml" belongs only in src/config/`,
    );
  });

  it(
    "runs under deno lint and honours deno-lint-ignore",
    { skip },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), "chaski-lint-"));
      try {
        await mkdir(join(dir, "scripts"));
        await mkdir(join(dir, "src", "queue"), { recursive: true });
        await copyFile(
          fileURLToPath(new URL("./lint_plugin.ts", import.meta.url)),
          join(dir, "scripts", "lint_plugin.ts"),
        );
        const config = { lint: { plugins: ["./scripts/lint_plugin.ts"] } };
        await writeFile(join(dir, "deno.json"), JSON.stringify(config));
        await writeFile(
          join(dir, "src", "queue", "x.ts"),
          "// deno-lint-ignore chaski/console-only-in-log -- kept on purpose\n" +
            "console.log(1);\nconsole.log(2);\n",
        );
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["lint", "--json"],
          cwd: dir,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const report = JSON.parse(new TextDecoder().decode(out.stdout)) as {
          diagnostics: { code: string; range: { start: { line: number } } }[];
        };
        const found = report.diagnostics.map((d) =>
          `${d.code}:${d.range.start.line}`
        );
        assert.deepEqual(found, ["chaski/console-only-in-log:3"]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
