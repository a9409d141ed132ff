/**
 * `chaski try` (B-18): a working server with no setup. It makes (once) a
 * config dir with loopback listeners on high ports, a self-signed
 * certificate, the local domain `chaski.test` with user `you@chaski.test`
 * and a random password, SQLite in the dir, and a small MDA script that
 * delivers into a maildir per recipient; then serves until Ctrl-C.
 *
 * @module
 */

import { randomBytes } from "node:crypto";
import type { Runtime } from "../runtime/types.ts";
import { type App, createApp } from "../app.ts";
import { KyselyUserStore, UserDB } from "../userdb/mod.ts";
import { type CliIO, parse, verbosity } from "./common.ts";
import { selfSignedCert } from "./selfsigned.ts";

const DOMAIN = "chaski.test";
const USER = `you@${DOMAIN}`;

const HELP = `Usage: chaski try [--dir DIR] [--ports SMTP,SUBMISSION,TLS] [-v N]

Runs a ready-to-use server on 127.0.0.1 (default ports 2525, 2587, 2465),
keeping its state in DIR (default ./.try). Prints a user and password and
commands that send a test message. Stop it with Ctrl-C.
`;

const MDA = `#!/bin/sh
# chaski try mode: stores the message on stdin in a maildir per recipient.
set -eu
dir="$(dirname "$0")/mail/$1"
mkdir -p "$dir/tmp" "$dir/new" "$dir/cur"
name="$(date +%s).$$.chaski"
cat > "$dir/tmp/$name"
mv "$dir/tmp/$name" "$dir/new/$name"
`;

/** Runs try mode. */
export async function tryCommand(
  rt: Runtime,
  io: CliIO,
  args: string[],
): Promise<number> {
  const { values } = parse(args, {
    dir: { type: "string" },
    ports: { type: "string" },
    v: { type: "string", short: "v" },
    help: { type: "boolean", short: "h" },
  }, false);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const dir = rt.files.resolve((values.dir as string | undefined) ?? ".try");
  const ports = parsePorts(values.ports as string | undefined);
  await prepareDir(rt, dir, ports);
  const app = await createApp({
    runtime: rt,
    configDir: dir,
    verbosity: verbosity(values.v),
  });
  const password = await ensureUser(rt, app.db, dir);
  const addr = (mode: string) => {
    const a = app.addresses.find((x) => x.mode === mode)!;
    return `${a.host}:${a.port}`;
  };
  const sub = app.addresses.find((x) => x.mode === "submission")!;
  io.out(`
chaski try: a test mail server is running (state in ${dir})
  SMTP            ${addr("SMTP")}
  submission      ${addr("submission")}  (STARTTLS, then AUTH)
  submission+TLS  ${addr("submission+TLS")}  (implicit TLS)
  user ${USER}  password ${password}
  local mail is delivered to ${dir}/mail/${USER}/new/

Send yourself a message with swaks:
  swaks --server ${sub.host} --port ${sub.port} --tls --auth PLAIN \\
    --auth-user ${USER} --auth-password '${password}' --from ${USER} --to ${USER}
or with msmtp:
  printf 'Subject: hello\\n\\nHi from chaski\\n' | msmtp --host=${sub.host} --port=${sub.port} \\
    --tls=on --tls-certcheck=off --auth=on --user=${USER} --passwordeval="echo '${password}'" \\
    --from=${USER} ${USER}

Press Ctrl-C to stop.
`);
  await app.done;
  return 0;
}

function parsePorts(s: string | undefined): [number, number, number] {
  if (s === undefined) return [2525, 2587, 2465];
  const p = s.split(",").map(Number);
  if (
    p.length !== 3 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 65535)
  ) {
    throw new Error(
      `--ports must be three port numbers like "2525,2587,2465": current value is "${s}"`,
    );
  }
  return p as [number, number, number];
}

async function prepareDir(
  rt: Runtime,
  dir: string,
  [smtp, sub, tls]: [number, number, number],
): Promise<void> {
  const f = rt.files;
  await f.mkdir(`${dir}/domains/${DOMAIN}`, 0o755);
  await f.mkdir(`${dir}/certs/localhost`, 0o755);
  await f.mkdir(`${dir}/mail`, 0o700);
  if (!(await f.stat(`${dir}/certs/localhost/fullchain.pem`))) {
    const { cert, key } = selfSignedCert(
      ["localhost", `mail.${DOMAIN}`],
      new Date(rt.clock.now()),
    );
    await f.writeAtomic(`${dir}/certs/localhost/privkey.pem`, key, 0o600);
    await f.writeAtomic(`${dir}/certs/localhost/fullchain.pem`, cert, 0o644);
  }
  await f.writeAtomic(`${dir}/mda.sh`, MDA, 0o755);
  await f.writeAtomic(
    `${dir}/chaski.yaml`,
    `# Written by "chaski try"; edits are overwritten on the next run.
hostname: localhost
smtp_address: ["127.0.0.1:${smtp}"]
submission_address: ["127.0.0.1:${sub}"]
submission_over_tls_address: ["127.0.0.1:${tls}"]
data_dir: data
mail_log_path: "<stdout>"
mail_delivery_agent_bin: ${JSON.stringify(`${dir}/mda.sh`)}
mail_delivery_agent_args: ["%to%"]
`,
    0o644,
  );
}

async function ensureUser(
  rt: Runtime,
  db: App["db"],
  dir: string,
): Promise<string> {
  const pwFile = `${dir}/password`;
  const users = new UserDB({
    store: new KyselyUserStore(db),
    files: rt.files,
    clock: rt.clock,
    minAuthMs: 0,
  });
  if (await users.exists(USER) && await rt.files.stat(pwFile)) {
    return (await rt.files.readText(pwFile)).trim();
  }
  // Letters and digits only: a leading "-" would read as an option in the
  // printed swaks and msmtp command lines.
  const password = randomBytes(15).toString("base64").replace(/[+/=]/g, "")
    .slice(0, 16);
  if (await users.exists(USER)) await users.remove(USER);
  await users.add(USER, { password });
  await rt.files.writeAtomic(pwFile, `${password}\n`, 0o600);
  return password;
}
