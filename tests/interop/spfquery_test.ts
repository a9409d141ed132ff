/**
 * SPF interop with libspf2's `spfquery` (Debian package `spfquery`): the
 * same table of cases checked by chaski's `checkSpf()` and by spfquery,
 * against the same records.
 *
 * spfquery cannot be told which DNS server to ask, so it runs in a private
 * mount+network namespace (tests/harness/netns.ts) where dnsmasq answers on
 * 127.0.0.1:53 and /etc/resolv.conf says so; all cases run in one script
 * there, one output line per case. chaski asks a dnsmasq on a random
 * loopback port serving the same records.
 *
 * Where the two disagree on something RFC 7208 leaves open or libspf2 gets
 * its own way, the case documents the pair it expects (`accepted`), and
 * asserts that pair.
 *
 * Not covered: `ptr` (needs reverse zones; RFC 7208 §5.5 says do not use
 * it) and HELO identity checks (chaski only checks MAIL FROM, SP-02).
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import {
  dnsmasqMissing,
  type DnsRecordSet,
  startDns,
  type TestDns,
} from "../harness/dnsmasq.ts";
import {
  type NamespaceRun,
  netnsMissing,
  runWithNamespaceDns,
  shQuote,
} from "../harness/netns.ts";
import { createNodeResolver } from "../../src/runtime/node_dns.ts";
import { checkSpf, type SpfResult } from "../../src/msgauth/spf.ts";

const SPFQUERY = "/usr/bin/spfquery";

function spfqueryMissing(): string | null {
  return existsSync(SPFQUERY)
    ? null
    : `${SPFQUERY} is missing (apt-get install spfquery)`;
}
const skip = spfqueryMissing() ?? dnsmasqMissing() ?? netnsMissing() ?? false;

const HELO = "helo.test";

const RECORDS: Record<string, DnsRecordSet> = {
  "ip4.test": { TXT: ["v=spf1 ip4:192.0.2.0/24 -all"] },
  "ip6.test": { TXT: ["v=spf1 ip6:2001:db8::/32 -all"] },
  "a.test": { A: ["192.0.2.10"], TXT: ["v=spf1 a -all"] },
  "mx.test": {
    MX: [{ exchange: "mx1.mx.test", priority: 10 }],
    TXT: ["v=spf1 mx -all"],
  },
  "mx1.mx.test": { A: ["192.0.2.20"] },
  "inc.test": { TXT: ["v=spf1 include:ip4.test -all"] },
  "soft.test": { TXT: ["v=spf1 ip4:192.0.2.0/24 ~all"] },
  "neutral.test": { TXT: ["v=spf1 ip4:192.0.2.0/24 ?all"] },
  "nospf.test": { TXT: ["some other TXT record"] },
  "unknown-mech.test": { TXT: ["v=spf1 foo:bar -all"] },
  "bad-cidr.test": { TXT: ["v=spf1 ip4:192.0.2.1/33 -all"] },
  "inc-bad.test": { TXT: ["v=spf1 include:unknown-mech.test -all"] },
  "inc-none.test": { TXT: ["v=spf1 include:nospf.test -all"] },
  "two.test": { TXT: ["v=spf1 -all", "v=spf1 +all"] },
  "lookups.test": {
    TXT: [
      "v=spf1 " +
      Array.from({ length: 11 }, (_, i) => `a:h${i + 1}.lookups.test`).join(
        " ",
      ) +
      " -all",
    ],
  },
  "redirect.test": { TXT: ["v=spf1 redirect=ip4.test"] },
  "exists.test": { TXT: ["v=spf1 exists:%{i}.ok.exists.test -all"] },
  "192.0.2.5.ok.exists.test": { A: ["127.0.0.2"] },
  "rev.test": { TXT: ["v=spf1 exists:%{ir}.%{v}.ok.rev.test -all"] },
  "7.2.0.192.in-addr.ok.rev.test": { A: ["127.0.0.2"] },
  "local.test": { TXT: ["v=spf1 exists:%{l}.%{d}.ok.local.test -all"] },
  "alice.local.test.ok.local.test": { A: ["127.0.0.2"] },
  "helo-macro.test": { TXT: ["v=spf1 exists:%{h}.ok.helo-macro.test -all"] },
  "helo.test.ok.helo-macro.test": { A: ["127.0.0.2"] },
  // No record under .invalid, so dnsmasq (no upstream) answers REFUSED.
  "temp.test": { TXT: ["v=spf1 include:temp.invalid -all"] },
  "voids.test": {
    TXT: [
      "v=spf1 a:v1.voids.test a:v2.voids.test a:v3.voids.test" +
      " ip4:192.0.2.0/24 -all",
    ],
  },
  "cname.test": { CNAME: "ip4.test" },
  "exp.test": { TXT: ["v=spf1 -all exp=why.exp.test"] },
  "why.exp.test": { TXT: ["%{i} is not one of %{d} servers"] },
};

interface Case {
  readonly name: string;
  readonly ip: string;
  readonly sender: string;
  /** What both should say (RFC 7208). */
  readonly expect: SpfResult;
  /** The `exp=` explanation each one gives for `fail`. */
  readonly explanation?: {
    readonly chaski: string;
    readonly spfquery: string;
    readonly why: string;
  };
  /** A documented difference: what each one says instead. */
  readonly accepted?: {
    readonly chaski: string;
    readonly spfquery: string;
    readonly why: string;
  };
}

const CASES: readonly Case[] = [
  { name: "ip4 pass", ip: "192.0.2.1", sender: "a@ip4.test", expect: "pass" },
  {
    name: "ip6 pass",
    ip: "2001:db8::1",
    sender: "a@ip6.test",
    expect: "pass",
  },
  {
    name: "ip6 outside the range",
    ip: "2001:db9::1",
    sender: "a@ip6.test",
    expect: "fail",
  },
  { name: "a pass", ip: "192.0.2.10", sender: "a@a.test", expect: "pass" },
  { name: "a fail", ip: "192.0.2.11", sender: "a@a.test", expect: "fail" },
  { name: "mx pass", ip: "192.0.2.20", sender: "a@mx.test", expect: "pass" },
  {
    name: "include pass",
    ip: "192.0.2.1",
    sender: "a@inc.test",
    expect: "pass",
  },
  {
    name: "include fail (-all)",
    ip: "198.51.100.1",
    sender: "a@inc.test",
    expect: "fail",
  },
  {
    name: "-all fail",
    ip: "198.51.100.1",
    sender: "a@ip4.test",
    expect: "fail",
  },
  {
    name: "~all softfail",
    ip: "198.51.100.1",
    sender: "a@soft.test",
    expect: "softfail",
  },
  {
    name: "?all neutral",
    ip: "198.51.100.1",
    sender: "a@neutral.test",
    expect: "neutral",
  },
  {
    name: "no such domain: none",
    ip: "192.0.2.1",
    sender: "a@nxdomain.test",
    expect: "none",
  },
  {
    name: "TXT but no SPF record: none",
    ip: "192.0.2.1",
    sender: "a@nospf.test",
    expect: "none",
  },
  {
    name: "syntax error (unknown mechanism): permerror",
    ip: "192.0.2.1",
    sender: "a@unknown-mech.test",
    expect: "permerror",
    accepted: {
      chaski: "permerror",
      spfquery: "(invalid)",
      why: "libspf2 fails to compile the top-level record and spfquery " +
        "prints SPF_RESULT_INVALID ('(invalid)', exit 0) with the compile " +
        "error, instead of RFC 7208 §4.6's permerror; in an include (next " +
        "cases) it does say permerror",
    },
  },
  {
    name: "syntax error (CIDR /33): permerror",
    ip: "192.0.2.1",
    sender: "a@bad-cidr.test",
    expect: "permerror",
    accepted: {
      chaski: "permerror",
      spfquery: "(invalid)",
      why: "as for the unknown mechanism",
    },
  },
  {
    name: "include of a broken record: permerror",
    ip: "192.0.2.1",
    sender: "a@inc-bad.test",
    expect: "permerror",
  },
  {
    name: "include of a domain without SPF: permerror",
    ip: "192.0.2.1",
    sender: "a@inc-none.test",
    expect: "permerror",
  },
  {
    name: "two SPF records: permerror",
    ip: "192.0.2.1",
    sender: "a@two.test",
    expect: "permerror",
  },
  {
    name: "11 DNS-querying mechanisms: permerror",
    ip: "192.0.2.1",
    sender: "a@lookups.test",
    expect: "permerror",
  },
  {
    name: "DNS error in include: temperror",
    ip: "192.0.2.1",
    sender: "a@temp.test",
    expect: "temperror",
  },
  {
    name: "redirect= pass",
    ip: "192.0.2.1",
    sender: "a@redirect.test",
    expect: "pass",
  },
  {
    name: "redirect= fail",
    ip: "198.51.100.1",
    sender: "a@redirect.test",
    expect: "fail",
  },
  {
    name: "exists:%{i} pass",
    ip: "192.0.2.5",
    sender: "a@exists.test",
    expect: "pass",
  },
  {
    name: "exists:%{i} fail",
    ip: "192.0.2.6",
    sender: "a@exists.test",
    expect: "fail",
  },
  {
    name: "macros %{ir}.%{v} pass",
    ip: "192.0.2.7",
    sender: "a@rev.test",
    expect: "pass",
  },
  {
    name: "macros %{l}.%{d} pass",
    ip: "198.51.100.1",
    sender: "alice@local.test",
    expect: "pass",
  },
  {
    name: "macros %{l}.%{d} fail",
    ip: "198.51.100.1",
    sender: "bob@local.test",
    expect: "fail",
  },
  {
    name: "macro %{h} pass",
    ip: "198.51.100.1",
    sender: "a@helo-macro.test",
    expect: "pass",
  },
  {
    name: "CNAME to a domain with SPF: pass",
    ip: "192.0.2.1",
    sender: "a@cname.test",
    expect: "pass",
  },
  {
    name: "3 void lookups before a match",
    ip: "192.0.2.1",
    sender: "a@voids.test",
    expect: "permerror",
    accepted: {
      chaski: "permerror",
      spfquery: "pass",
      why: "RFC 7208 §4.6.4 says the void lookup limit SHOULD be 2 and " +
        "exceeding it is a permerror; mailauth enforces it, libspf2 has no " +
        "void lookup limit and goes on to the matching ip4",
    },
  },
  {
    name: "exp= explanation with macros",
    ip: "192.0.2.9",
    sender: "a@exp.test",
    expect: "fail",
    explanation: {
      chaski: "192.0.2.9 is not one of exp.test servers",
      spfquery: "192.0.2.9%is%not%one%of%{d}%servers : Reason: mechanism",
      why: "libspf2 turns the spaces of the explain-string into '%' and " +
        "then leaves the macros after the first unexpanded (RFC 7208 §6.2 " +
        "wants the text macro-expanded as is); spfquery also appends the " +
        "reason",
    },
  },
];

/** spfquery's verdict for one case. */
interface SpfqueryOutcome {
  /** The result word (first output line after any error block). */
  readonly result: string;
  /** spfquery's exit status (the SPF_RESULT_* number). */
  readonly status: number;
  /** The line after the result: the explanation, for `fail`. */
  readonly explanation: string;
  /** The StartError..EndError block, for failure messages. */
  readonly errors: string;
}

/**
 * One shell script running every case, printing one line per case:
 * `index<TAB>result<TAB>status<TAB>explanation<TAB>errors`. When something
 * went wrong spfquery first prints an error block (StartError..EndError)
 * on stdout; then come the result word, the explanation, the SMTP comment
 * and the Received-SPF header. Its exit status is the SPF_result_t number.
 */
function script(cases: readonly Case[]): string {
  const lines = [
    'out="$(mktemp)"',
    "q() {",
    `  ${SPFQUERY} -ip="$2" -sender="$3" -helo=${HELO} >"$out" 2>&1`,
    "  rc=$?",
    `  r="$(sed '/^StartError$/,/^EndError$/d' "$out" | sed -n 1p)"`,
    `  x="$(sed '/^StartError$/,/^EndError$/d' "$out" | sed -n 2p)"`,
    `  e="$(sed -n '/^StartError$/,/^EndError$/p' "$out" | grep -v 'Error$' | tr '\\n\\t' '  ')"`,
    `  printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$1" "$r" "$rc" "$x" "$e"`,
    "}",
    ...cases.map((c, i) => `q ${i} ${shQuote(c.ip)} ${shQuote(c.sender)}`),
    'rm -f "$out"',
  ];
  return lines.join("\n") + "\n";
}

function parse(run: NamespaceRun): Map<number, SpfqueryOutcome> {
  const out = new Map<number, SpfqueryOutcome>();
  for (const line of run.stdout.split("\n")) {
    const [i, result, status, explanation, errors] = line.split("\t");
    if (i === undefined || result === undefined || status === undefined) {
      continue;
    }
    out.set(Number(i), {
      result,
      status: Number(status),
      explanation: explanation ?? "",
      errors: (errors ?? "").trim(),
    });
  }
  return out;
}

/** spfquery's exit status for each result (libspf2's SPF_result_t). */
const STATUS: Record<string, number> = {
  "(invalid)": 0,
  neutral: 1,
  pass: 2,
  fail: 3,
  softfail: 4,
  none: 5,
  temperror: 6,
  permerror: 7,
};

describe("SPF interop with spfquery (libspf2)", { skip }, () => {
  let dns: TestDns;
  let spfq: Map<number, SpfqueryOutcome>;
  let run: NamespaceRun;
  before(async () => {
    dns = await startDns({ records: RECORDS });
    run = await runWithNamespaceDns({
      records: RECORDS,
      script: script(CASES),
    });
    spfq = parse(run);
  });
  after(async () => {
    await dns?.close();
  });

  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const chaski = await checkSpf({
        ip: c.ip,
        sender: c.sender,
        helo: HELO,
        mta: "mx.chaski.test",
        resolver: createNodeResolver({ server: dns.addr, timeoutMs: 2000 }),
      });
      const theirs = spfq.get(i);
      assert.ok(
        theirs,
        `no spfquery output for case ${i} (status ${run.status}): ` +
          `${run.stdout}\n${run.stderr}`,
      );
      const want = c.accepted ?? { chaski: c.expect, spfquery: c.expect };
      assert.deepEqual(
        { chaski: chaski.result, spfquery: theirs.result },
        { chaski: want.chaski, spfquery: want.spfquery },
        `chaski: ${chaski.header}; spfquery errors: ${theirs.errors}`,
      );
      assert.equal(theirs.status, STATUS[theirs.result], theirs.errors);
      if (c.explanation) {
        assert.deepEqual(
          { chaski: chaski.explanation, spfquery: theirs.explanation },
          { chaski: c.explanation.chaski, spfquery: c.explanation.spfquery },
        );
      }
    });
  });
});
