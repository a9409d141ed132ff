/**
 * Aliases end to end against a real chaski process (BEHAVIOUR.md §13,
 * K-06..K-08): email aliases to one and several users, drop characters and
 * suffixes, the catch-all and its `*` target user, a pipe alias (message
 * on stdin byte-exact, CRLF), R-03 (an alias whose only target is missing
 * answers 550 5.1.1), the `alias-resolve` hook (targets appended; a failing
 * hook answers 451 4.4.3 at RCPT), the recursion limit (S-48: 451 4.3.0 at
 * the end of DATA), reload on SIGHUP (a broken file keeps the old table and
 * the process log names file and line) and a broken file at start.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { Buffer } from "node:buffer";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ROOT,
  sendMail,
  startServer,
  type TestServer,
  withoutAuthHeaders,
} from "../harness/server.ts";

/** Dials SMTP and answers the last line of the reply to RCPT TO. */
async function rcpt(srv: TestServer, to: string): Promise<string> {
  const c = await srv.dial("smtp");
  try {
    await c.reply();
    await c.cmd("EHLO client.test");
    await c.cmd("MAIL FROM:<sender@example.org>");
    const r = (await c.cmd(`RCPT TO:<${to}>`)).at(-1)!;
    c.line("QUIT");
    return r;
  } finally {
    c.close();
  }
}

/** Polls `check` until it returns true; throws with `what` after the deadline. */
async function waitFor(
  what: () => string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function msg(subject: string, body = "hello\r\n"): string {
  return `From: sender@example.org\r\nSubject: ${subject}\r\n\r\n${body}`;
}

/** Sends from outside over SMTP and checks the 250. */
async function send(
  srv: TestServer,
  to: string[],
  subject: string,
): Promise<void> {
  const r = await sendMail(srv, {
    from: "sender@example.org",
    to,
    data: msg(subject),
  });
  assert.match(r, /^250 /);
}

/** The one message in `addr`'s mailbox with this subject (waits for it). */
async function waitSubject(
  srv: TestServer,
  addr: string,
  subject: string,
): Promise<string> {
  let found: string | undefined;
  await waitFor(
    () => `"${subject}" for ${addr}; mail log:\n${srv.mailLog()}`,
    () => {
      found = srv.mailbox(addr).find((m) =>
        m.includes(`\r\nSubject: ${subject}\r\n`)
      );
      return found !== undefined;
    },
  );
  return found!;
}

/** How many messages in `addr`'s mailbox have this subject. */
function countSubject(srv: TestServer, addr: string, subject: string): number {
  return srv.mailbox(addr).filter((m) =>
    m.includes(`\r\nSubject: ${subject}\r\n`)
  ).length;
}

/** Waits until the mail log says the message with this subject is all done. */
async function waitDone(srv: TestServer, n: number): Promise<void> {
  await waitFor(
    () => `${n} "all done" lines; mail log:\n${srv.mailLog()}`,
    () => (srv.mailLog().match(/ all done$/gm) ?? []).length >= n,
  );
}

const PIPE = join(ROOT, "testdata/hooks/pipe-to-file.sh");

/** `c0: c1`, …, `c<n-2>: c<n-1>`, `c<n-1>: last`: n aliases, n+1 addresses. */
function chain(prefix: string, n: number, last: string): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(`${prefix}${i}: ${i === n - 1 ? last : `${prefix}${i + 1}`}`);
  }
  return lines.join("\n");
}

const ALIAS_RESOLVE = `#!/bin/sh
echo "$1" >> hook-calls.log
case "$1" in
  hooked@a.test) echo "dave@a.test" ;;
  hookfail@a.test) echo "hook is broken" >&2; exit 1 ;;
esac
exit 0
`;

describe("aliases", () => {
  let srv: TestServer;
  let outDir: string;
  let pipeOut: string;
  let done = 0;

  before(async () => {
    outDir = mkdtempSync(join(tmpdir(), "chaski-pipe-"));
    pipeOut = join(outDir, "pipe.eml");
    srv = await startServer({
      domains: ["a.test", "b.test", "c.test"],
      users: {
        "ann@a.test": null,
        "bob@a.test": null,
        "catchbox@a.test": null,
        "dave@a.test": null,
        "carol@b.test": null,
      },
      files: {
        "domains/a.test/aliases": [
          "# aliases of a.test",
          "",
          "  alias1: ann  ",
          "team: ann, bob@a.test,",
          "john: bob",
          `pipe: | ${PIPE} ${pipeOut}`,
          "*: catchbox",
          chain("ok", 9, "ann"),
          chain("deep", 10, "ann"),
          "",
        ].join("\n"),
        "domains/b.test/aliases": "ghost: nobody\nold: carol\n",
        "domains/c.test/aliases": "*: *@b.test\n",
        "hooks/alias-resolve": ALIAS_RESOLVE,
      },
    });
  });
  after(async () => {
    await srv.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  it("delivers an email alias to the local user (AL-03)", async () => {
    assert.match(await rcpt(srv, "alias1@a.test"), /^250 /);
    await send(srv, ["alias1@a.test"], "to-alias1");
    const m = await waitSubject(srv, "ann@a.test", "to-alias1");
    assert.match(withoutAuthHeaders(m), /^Received: /);
    assert.ok(!existsSync(join(srv.dir, "mail", "alias1@a.test")));
    done++;
  });

  it("delivers an alias with several targets to each of them", async () => {
    await send(srv, ["team@a.test"], "to-team");
    await waitSubject(srv, "ann@a.test", "to-team");
    await waitSubject(srv, "bob@a.test", "to-team");
    done++;
    await waitDone(srv, done);
    assert.equal(countSubject(srv, "ann@a.test", "to-team"), 1);
    assert.equal(countSubject(srv, "bob@a.test", "to-team"), 1);
  });

  it("finds an alias after removing drop characters and the suffix (N-09)", async () => {
    assert.match(await rcpt(srv, "jo.hn+x@a.test"), /^250 /);
    await send(srv, ["jo.hn+x@a.test"], "to-john-suffix");
    await waitSubject(srv, "bob@a.test", "to-john-suffix");
    done++;
    await waitDone(srv, done);
    assert.equal(countSubject(srv, "catchbox@a.test", "to-john-suffix"), 0);
  });

  it("uses the catch-all only when there is neither an alias nor a user (AL-06)", async () => {
    await send(srv, ["nosuch@a.test", "bob@a.test", "alias1@a.test"], "catch");
    await waitSubject(srv, "catchbox@a.test", "catch");
    await waitSubject(srv, "bob@a.test", "catch");
    await waitSubject(srv, "ann@a.test", "catch");
    done++;
    await waitDone(srv, done);
    assert.equal(countSubject(srv, "catchbox@a.test", "catch"), 1);
    assert.ok(!existsSync(join(srv.dir, "mail", "nosuch@a.test")));
  });

  it("copies the user for a `*@domain` target (AL-07)", async () => {
    assert.match(await rcpt(srv, "carol@c.test"), /^250 /);
    await send(srv, ["carol@c.test"], "star-target");
    await waitSubject(srv, "carol@b.test", "star-target");
    done++;
    // The copied user does not exist in b.test: R-03 refuses it.
    assert.match(await rcpt(srv, "stranger@c.test"), /^550 5\.1\.1 /);
  });

  it("pipes the message to a command, byte-exact with CRLF (AL-05)", async () => {
    assert.match(await rcpt(srv, "pipe@a.test"), /^250 /);
    const data = msg(
      "to-pipe",
      "line one\r\n.leading dot\r\n\r\nlast line\r\n",
    );
    const r = await sendMail(srv, {
      from: "sender@example.org",
      to: ["pipe@a.test"],
      data,
    });
    assert.match(r, /^250 /);
    done++;
    await waitFor(
      () => `${pipeOut}; ${srv.mailLog()}`,
      () => existsSync(pipeOut),
    );
    const got = readFileSync(pipeOut);
    const text = got.toString("latin1");
    assert.match(withoutAuthHeaders(text), /^Received: /);
    assert.ok(
      got.subarray(got.length - data.length).equals(Buffer.from(data)),
      JSON.stringify(text),
    );
    assert.doesNotMatch(text, /(?<!\r)\n/, "every line ends with CRLF");
    await waitDone(srv, done);
    assert.match(srv.mailLog(), /pipe-to-file\.sh \S+ sent$/m);
  });

  it("answers 550 5.1.1 for an alias whose only target does not exist (R-03)", async () => {
    assert.match(await rcpt(srv, "ghost@b.test"), /^550 5\.1\.1 /);
    assert.match(await rcpt(srv, "old@b.test"), /^250 /);
  });

  it("appends the alias-resolve hook's targets (K-06, K-07)", async () => {
    assert.match(await rcpt(srv, "hooked@a.test"), /^250 /);
    await send(srv, ["hooked@a.test"], "to-hooked");
    await waitSubject(srv, "dave@a.test", "to-hooked");
    done++;
  });

  it("answers 451 4.4.3 at RCPT when the alias-resolve hook fails (K-07)", async () => {
    assert.match(await rcpt(srv, "hookfail@a.test"), /^451 4\.4\.3 /);
  });

  it("asks the hook once per distinct address in one RCPT check (K-08)", async () => {
    const calls = join(srv.configDir, "hook-calls.log");
    writeFileSync(calls, "");
    // No alias, no user: the catch-all, whose target is a user.
    assert.match(await rcpt(srv, "memo@a.test"), /^250 /);
    const asked = readFileSync(calls, "utf8").split("\n").filter(Boolean);
    assert.ok(asked.includes("memo@a.test"), asked.join(","));
    assert.ok(asked.includes("*@a.test"), asked.join(","));
    assert.equal(new Set(asked).size, asked.length, asked.join(","));
  });

  it("resolves 10 addresses deep and refuses at 11 with 451 4.3.0 (AL-09, S-48)", async () => {
    await send(srv, ["ok0@a.test"], "chain-10");
    await waitSubject(srv, "ann@a.test", "chain-10");
    done++;

    assert.match(await rcpt(srv, "deep0@a.test"), /^250 /);
    const r = await sendMail(srv, {
      from: "sender@example.org",
      to: ["deep0@a.test"],
      data: msg("chain-11"),
    });
    assert.match(r, /^451 4\.3\.0 /);
    assert.doesNotMatch(srv.mailLog(), /queued .*deep0@a\.test/);
  });

  it("reloads on SIGHUP; a broken file keeps the old table (AL-11, P-10)", async () => {
    const file = join(srv.configDir, "domains/b.test/aliases");
    assert.match(await rcpt(srv, "fresh@b.test"), /^550 /);
    writeFileSync(file, "ghost: nobody\nold: carol\nfresh: carol\n");
    srv.signal("SIGHUP");
    await waitFor(
      () => "fresh@b.test accepted after SIGHUP",
      async () => /^250 /.test(await rcpt(srv, "fresh@b.test")),
    );
    await send(srv, ["fresh@b.test"], "after-reload");
    await waitSubject(srv, "carol@b.test", "after-reload");
    done++;

    writeFileSync(file, "fresh: carol\nnewer: carol\nthis line is broken\n");
    srv.signal("SIGHUP");
    await waitFor(
      () => `the reload error in the process log:\n${srv.stderr()}`,
      () => /domains\/b\.test\/aliases:3: /.test(srv.stderr()),
    );
    assert.match(srv.stderr(), /aliases not reloaded/);
    assert.match(await rcpt(srv, "fresh@b.test"), /^250 /);
    assert.match(await rcpt(srv, "old@b.test"), /^250 /);
    assert.match(await rcpt(srv, "newer@b.test"), /^550 /);
    await send(srv, ["old@b.test"], "old-still-works");
    await waitSubject(srv, "carol@b.test", "old-still-works");
    done++;
  });
});

describe("aliases file broken at start", () => {
  it("refuses to start, naming the file and line (AL-02)", async () => {
    await assert.rejects(
      startServer({
        files: {
          "domains/a.test/aliases": "good: ann\n\nbroken@here: ann\n",
        },
      }),
      (err: Error) => {
        assert.match(err.message, /server exited with code [1-9]/);
        assert.match(err.message, /domains\/a\.test\/aliases:3: /);
        const dir = /\(dir (\S+)\)/.exec(err.message)?.[1];
        if (dir) rmSync(dir, { recursive: true, force: true });
        return true;
      },
    );
  });
});
