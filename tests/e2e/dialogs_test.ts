/**
 * Runs every `testdata/dialogs/*.dlg` against one real server process. The
 * server has local domains a.test and b.test, user `user@a.test` (password
 * `secret`), receive-only `ro@a.test`, and a 1 MiB size limit.
 */
import { after, before, describe, it } from "node:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startServer, type TestServer } from "../harness/server.ts";
import { runDialog } from "../harness/dialog.ts";

const DIR = join(ROOT, "testdata/dialogs");

describe("dialogs", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({
      users: { "user@a.test": "secret", "ro@a.test": null },
      yaml: "max_data_size_mb: 1\nmax_connections_per_ip: 200",
    });
  });
  after(async () => await srv.close());

  for (const f of readdirSync(DIR).filter((f) => f.endsWith(".dlg")).sort()) {
    it(f.replace(/\.dlg$/, ""), async () => {
      await runDialog(srv, f, readFileSync(join(DIR, f), "utf8"));
    });
  }
});
