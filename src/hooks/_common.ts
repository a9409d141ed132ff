/**
 * What the post-DATA and envelope hooks share: the environment, locating
 * and running the file, stdout's last line and the reply text rules (S-47).
 *
 * @module
 */

import type { Files, Spawner, SpawnResult } from "../runtime/types.ts";
import type { Logger } from "../log/mod.ts";
import { sanitizeEhlo } from "../normalize/mod.ts";

/** Where a hook runs when the daemon has no `PATH`. */
export const DEFAULT_HOOK_PATH = "/usr/local/bin:/usr/bin:/bin";

/** The variables a hook inherits from the daemon (K-03). */
export interface DaemonEnv {
  readonly USER: string;
  readonly SHELL: string;
  readonly PATH: string;
}

/** What the session knows about the transaction, turned into the hook environment. */
export interface HookFacts {
  /** `ip:port`, or `[v6]:port`. */
  readonly remoteAddr: string;
  /** The HELO/EHLO argument as the client sent it. */
  readonly ehloDomain: string;
  /** MAIL FROM as accepted; `""` for the null sender. */
  readonly mailFrom: string;
  /** RCPT TO addresses as accepted, before alias expansion. */
  readonly rcptTo: readonly string[];
  /** `user@domain` of the authenticated client, or `""`. */
  readonly authAs: string;
  readonly onTls: boolean;
  /** The MAIL FROM domain is one of ours (ignored for the null sender). */
  readonly fromLocalDomain: boolean;
  /** SPF evaluated to `pass`. */
  readonly spfPass: boolean;
  /** chaski: the DMARC result (B-07), exported as `DMARC_RESULT` when set. */
  readonly dmarcResult?: string;
}

/** What both hook runners take. */
export interface HookProps {
  readonly spawner: Spawner;
  /** Only `stat` is used: a hook is skipped when its file does not exist. */
  readonly files: Pick<Files, "stat">;
  /** The absolute config dir: the hook's cwd and `PWD`. */
  readonly configDir: string;
  readonly daemonEnv: DaemonEnv;
  /** Process log for hooks that cannot run, trace for their stderr. @default silent */
  readonly log?: Logger;
}

/** A hook's verdict turned into a reply: 5xx when `permanent`, else 4xx. */
export interface HookReject {
  readonly kind: "reject";
  readonly permanent: boolean;
  /** Reply text, starting with an enhanced code of the right class. */
  readonly text: string;
}

/**
 * Reads `USER`, `SHELL` and `PATH` through `getenv`; missing ones are empty,
 * except `PATH`, which falls back to {@linkcode DEFAULT_HOOK_PATH}.
 */
export function daemonEnvFrom(
  getenv: (name: string) => string | undefined,
): DaemonEnv {
  return {
    USER: getenv("USER") ?? "",
    SHELL: getenv("SHELL") ?? "",
    PATH: getenv("PATH") || DEFAULT_HOOK_PATH,
  };
}

function flag(b: boolean): string {
  return b ? "1" : "0";
}

/** The complete hook environment (K-03): nothing else is passed. */
export function hookEnv(
  daemon: DaemonEnv,
  configDir: string,
  facts: HookFacts,
): Record<string, string> {
  const env: Record<string, string> = {
    USER: daemon.USER,
    PWD: configDir,
    SHELL: daemon.SHELL,
    PATH: daemon.PATH,
    REMOTE_ADDR: facts.remoteAddr,
    EHLO_DOMAIN: sanitizeEhlo(facts.ehloDomain),
    EHLO_DOMAIN_RAW: facts.ehloDomain,
    MAIL_FROM: facts.mailFrom === "" ? "<>" : facts.mailFrom,
    RCPT_TO: facts.rcptTo.join(" "),
    AUTH_AS: facts.authAs,
    ON_TLS: flag(facts.onTls),
    // Bounces come from outside: a hook that trusts local senders must not
    // trust `<>` (K-03 fix).
    FROM_LOCAL_DOMAIN: flag(facts.mailFrom !== "" && facts.fromLocalDomain),
    SPF_PASS: flag(facts.spfPass),
  };
  if (facts.dmarcResult !== undefined) env.DMARC_RESULT = facts.dmarcResult;
  return env;
}

/** `undefined` when the hook file does not exist (only existence is checked, K-01). */
export async function runHook(
  props: HookProps,
  name: string,
  opts: { env: Record<string, string>; stdin?: Uint8Array; timeoutMs: number },
): Promise<SpawnResult | undefined> {
  const path = `${props.configDir}/hooks/${name}`;
  if ((await props.files.stat(path)) === null) return undefined;
  const res = await props.spawner.run({
    cmd: path,
    args: [],
    env: opts.env,
    cwd: props.configDir,
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
    timeoutMs: opts.timeoutMs,
    maxOutput: 64 * 1024,
  });
  if (res.startError) {
    props.log?.error(`hook "${path}" cannot run: ${res.startError.message}`);
  } else {
    props.log?.trace(`hook ${name} finished`, {
      code: res.code,
      signal: res.signal,
      timedOut: res.timedOut,
      stderr: new TextDecoder().decode(res.stderr),
    });
  }
  if (res.timedOut) {
    props.log?.info(`hook "${path}" timed out after ${opts.timeoutMs} ms`);
  }
  return res;
}

/** The last newline-terminated line (K-04); text after the last newline is ignored. */
export function lastLine(stdout: string): string {
  const lines = stdout.split("\n");
  if (lines.length < 2) return "";
  return lines[lines.length - 2]!.replace(/\r$/, "");
}

/** An SMTP reply line holds at most 512 octets: `NNN ` + text + CRLF. */
const MAX_TEXT_OCTETS = 512 - 6;

const NEUTRAL_TEXT = {
  permanent: "5.7.1 Message rejected by local policy",
  temporary: "4.3.0 Message not accepted now, try again later",
};

/**
 * The reply text for a hook's rejection (S-47, chaski differs): control
 * characters removed; an enhanced code of the right class kept, otherwise
 * `5.7.1` (permanent) or `4.3.0` (temporary) put in front; cut to fit a
 * 512-octet reply line; an empty line becomes a neutral text.
 */
export function hookReplyText(line: string, permanent: boolean): string {
  // deno-lint-ignore no-control-regex
  const clean = line.replace(/[\x00-\x1f\x7f-\x9f]/g, "").trim();
  if (clean === "") {
    return permanent ? NEUTRAL_TEXT.permanent : NEUTRAL_TEXT.temporary;
  }
  const cls = permanent ? "5" : "4";
  const m = /^([245])\.\d{1,3}\.\d{1,3}(?: |$)/.exec(clean);
  const text = m?.[1] === cls
    ? clean
    : `${permanent ? "5.7.1" : "4.3.0"} ${clean}`;
  return cutUtf8(text, MAX_TEXT_OCTETS);
}

/** The longest prefix of `s` that fits `max` UTF-8 octets, whole characters only. */
function cutUtf8(s: string, max: number): string {
  const enc = new TextEncoder();
  if (enc.encode(s).length <= max) return s;
  let out = "";
  let used = 0;
  for (const ch of s) {
    const n = enc.encode(ch).length;
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out.trimEnd();
}

/** A failed run as a rejection; a hook that could not start is always `4.3.0` (K-01 fix). */
export function rejection(res: SpawnResult): HookReject {
  if (res.startError) {
    return {
      kind: "reject",
      permanent: false,
      text: "4.3.0 Temporary local problem, try again later",
    };
  }
  const permanent = res.code === 20 && !res.timedOut;
  const line = lastLine(new TextDecoder().decode(res.stdout));
  return { kind: "reject", permanent, text: hookReplyText(line, permanent) };
}
