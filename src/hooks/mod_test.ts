import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  daemonEnvFrom,
  DEFAULT_HOOK_PATH,
  hookEnv,
  type HookFacts,
  hookReplyText,
  lastLine,
} from "./mod.ts";

const DAEMON = { USER: "mail", SHELL: "/bin/sh", PATH: "/usr/bin:/bin" };

const FACTS: HookFacts = {
  remoteAddr: "[2001:db8::1]:4567",
  ehloDomain: "evil;$(rm -rf)`x`.example.org",
  mailFrom: "sender@a.test",
  rcptTo: ["one@a.test", "two@example.net"],
  authAs: "user@a.test",
  onTls: true,
  fromLocalDomain: true,
  spfPass: true,
};

describe("hookEnv()", () => {
  it("builds exactly the K-03 variables", () => {
    assert.deepEqual(hookEnv(DAEMON, "/etc/chaski", FACTS), {
      USER: "mail",
      PWD: "/etc/chaski",
      SHELL: "/bin/sh",
      PATH: "/usr/bin:/bin",
      REMOTE_ADDR: "[2001:db8::1]:4567",
      EHLO_DOMAIN: "evilrm-rfx.example.org",
      EHLO_DOMAIN_RAW: "evil;$(rm -rf)`x`.example.org",
      MAIL_FROM: "sender@a.test",
      RCPT_TO: "one@a.test two@example.net",
      AUTH_AS: "user@a.test",
      ON_TLS: "1",
      FROM_LOCAL_DOMAIN: "1",
      SPF_PASS: "1",
    });
  });

  it("writes <> for the null sender, which is never local", () => {
    const env = hookEnv(DAEMON, "/etc/chaski", {
      ...FACTS,
      mailFrom: "",
      authAs: "",
      onTls: false,
      fromLocalDomain: true,
      spfPass: false,
    });
    assert.equal(env.MAIL_FROM, "<>");
    assert.equal(env.FROM_LOCAL_DOMAIN, "0");
    assert.equal(env.AUTH_AS, "");
    assert.equal(env.ON_TLS, "0");
    assert.equal(env.SPF_PASS, "0");
  });

  it("adds DMARC_RESULT only when DMARC ran", () => {
    assert.equal("DMARC_RESULT" in hookEnv(DAEMON, "/c", FACTS), false);
    const env = hookEnv(DAEMON, "/c", { ...FACTS, dmarcResult: "pass" });
    assert.equal(env.DMARC_RESULT, "pass");
  });
});

describe("daemonEnvFrom()", () => {
  it("copies USER, SHELL and PATH", () => {
    const vars: Record<string, string> = {
      USER: "u",
      SHELL: "/bin/zsh",
      PATH: "/p",
      HOME: "/home/u",
    };
    assert.deepEqual(daemonEnvFrom((n) => vars[n]), {
      USER: "u",
      SHELL: "/bin/zsh",
      PATH: "/p",
    });
  });

  it("leaves missing ones empty and falls back for PATH", () => {
    assert.deepEqual(daemonEnvFrom(() => undefined), {
      USER: "",
      SHELL: "",
      PATH: DEFAULT_HOOK_PATH,
    });
  });
});

describe("lastLine()", () => {
  const cases: { name: string; out: string; want: string }[] = [
    { name: "empty output", out: "", want: "" },
    { name: "no newline at all", out: "text", want: "" },
    { name: "one line", out: "only\n", want: "only" },
    { name: "several lines", out: "a\nb\nc\n", want: "c" },
    // Text after the final newline is not a complete line.
    { name: "unterminated tail", out: "a\nb\ntail", want: "b" },
    { name: "CRLF output", out: "a\r\nb\r\n", want: "b" },
    { name: "blank last line", out: "a\n\n", want: "" },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(lastLine(c.out), c.want));
  }
});

describe("hookReplyText()", () => {
  const cases: {
    name: string;
    line: string;
    permanent: boolean;
    want: string;
  }[] = [
    {
      name: "permanent with its own 5.x.x code",
      line: "5.7.1 Spam",
      permanent: true,
      want: "5.7.1 Spam",
    },
    {
      name: "temporary with its own 4.x.x code",
      line: "4.7.1 Greylisted",
      permanent: false,
      want: "4.7.1 Greylisted",
    },
    {
      name: "permanent without a code",
      line: "Spam detected",
      permanent: true,
      want: "5.7.1 Spam detected",
    },
    {
      name: "temporary without a code",
      line: "try later",
      permanent: false,
      want: "4.3.0 try later",
    },
    // A 5.x.x code on a 451 would contradict the reply code.
    {
      name: "code of the wrong class",
      line: "5.7.1 Spam",
      permanent: false,
      want: "4.3.0 5.7.1 Spam",
    },
    {
      name: "a number that is not an enhanced code",
      line: "5.7.1x nope",
      permanent: true,
      want: "5.7.1 5.7.1x nope",
    },
    {
      name: "code alone",
      line: "5.7.1",
      permanent: true,
      want: "5.7.1",
    },
    {
      name: "control characters removed",
      line: "bad\x00 \x1b[31mred\x7f\ttab",
      permanent: true,
      want: "5.7.1 bad [31mredtab",
    },
    {
      name: "empty permanent line",
      line: "",
      permanent: true,
      want: "5.7.1 Message rejected by local policy",
    },
    {
      name: "empty temporary line",
      line: "  \x07 ",
      permanent: false,
      want: "4.3.0 Message not accepted now, try again later",
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(hookReplyText(c.line, c.permanent), c.want));
  }

  it("cuts the text so the reply line fits 512 octets", () => {
    const text = hookReplyText("x".repeat(600), true);
    assert.equal(`554 ${text}\r\n`.length, 512);
    assert.ok(text.startsWith("5.7.1 xxx"));
  });

  it("cuts on whole UTF-8 characters", () => {
    const text = hookReplyText("é".repeat(400), false);
    const octets = new TextEncoder().encode(`451 ${text}\r\n`).length;
    assert.ok(octets <= 512, `reply is ${octets} octets`);
    assert.ok(octets >= 510);
    assert.ok(!text.includes("\ufffd"));
  });
});
