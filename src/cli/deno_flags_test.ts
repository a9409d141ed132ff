import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFromValues } from "../config/mod.ts";
import { denoFlags } from "./deno_flags.ts";

const OPTS = { configDir: "/etc/chaski", hostname: "mx.a.test" };

describe("denoFlags()", () => {
  it("covers the defaults: resolv.conf, port 25 anywhere, the MDA and hooks", () => {
    const flags = denoFlags(configFromValues({}, OPTS), {
      systemDns: "10.0.0.53",
      pipeCommands: [],
    });
    assert.deepEqual(flags, [
      "--allow-read=/etc/chaski,/var/lib/chaski,/etc/resolv.conf",
      "--allow-write=/var/lib/chaski",
      "--allow-net=[::]:25,[::]:587,[::]:465," +
      "unix:/var/lib/chaski/localrpc-v1,10.0.0.53:53,0.0.0.0:0,0.0.0.0/0:25",
      "--allow-run=maildrop,/etc/chaski/hooks/post-data," +
      "/etc/chaski/hooks/envelope,/etc/chaski/hooks/alias-resolve",
      "--allow-env=NODE_V8_COVERAGE,PATH,USER,SHELL",
      "--ignore-env=LOG_TOKENS,LOG_STREAM",
      "--allow-sys=hostname",
      "--no-prompt",
    ]);
  });

  it("follows the config: addresses, DNS server, LMTP socket, mail log, pipes", () => {
    const config = configFromValues({
      smtp_address: ["127.0.0.1:2525", "[::1]:2525"],
      submission_address: [],
      submission_over_tls_address: [],
      monitoring_address: "127.0.0.1:1099",
      dns_server: "[::1]:5353",
      outgoing_smtp_port: 2526,
      lmtp_address: "/run/dovecot/lmtp",
      mail_log_path: "/var/log/chaski/mail.log",
      data_dir: "data",
    }, OPTS);
    const flags = denoFlags(config, {
      systemDns: "",
      pipeCommands: ["/usr/bin/procmail", "/usr/bin/procmail"],
    });
    assert.deepEqual(flags.slice(0, 4), [
      "--allow-read=/etc/chaski,/etc/chaski/data,/run/dovecot/lmtp," +
      "/var/log/chaski/mail.log",
      "--allow-write=/etc/chaski/data,/run/dovecot/lmtp,/var/log/chaski",
      "--allow-net=127.0.0.1:2525,[::1]:2525,127.0.0.1:1099," +
      "unix:/etc/chaski/data/localrpc-v1,[::1]:5353,[::]:0,0.0.0.0/0:2526," +
      "unix:/run/dovecot/lmtp",
      "--allow-run=/etc/chaski/hooks/post-data," +
      "/etc/chaski/hooks/envelope,/etc/chaski/hooks/alias-resolve,/usr/bin/procmail",
    ]);
  });
});
