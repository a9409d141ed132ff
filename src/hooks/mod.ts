/**
 * Hooks: operator programs that filter mail as it arrives. chaski runs the
 * same files chasquid does, plus an envelope-stage hook.
 *
 * ## Files
 *
 * - `<config_dir>/hooks/post-data`: after DATA, once our headers
 *   (Received…) are added and before the message is queued (D-05).
 * - `<config_dir>/hooks/envelope` (chaski, B-04): at MAIL FROM and at each
 *   RCPT TO, after the server's own checks accepted the address.
 *
 * A hook that does not exist is skipped; only existence is checked. A hook
 * that exists but cannot run (not executable, bad interpreter) answers
 * `451 4.3.0` and the process log names the file: mail is never accepted
 * unfiltered (K-01 fix). Hooks run as the daemon's user, with the config
 * dir as cwd, no arguments, and the whole process group is killed on
 * timeout.
 *
 * ## Environment (K-03)
 *
 * Exactly these variables, nothing else inherited:
 *
 * | Variable | Value |
 * |---|---|
 * | `USER`, `SHELL`, `PATH` | the daemon's (empty when unset; `PATH` falls back to `/usr/local/bin:/usr/bin:/bin`) |
 * | `PWD` | the absolute config dir (chasquid passes its start-up `PWD`; K-03 fix) |
 * | `REMOTE_ADDR` | client `ip:port`, or `[v6]:port` |
 * | `EHLO_DOMAIN` | HELO/EHLO argument keeping only `a-zA-Z0-9-.[]:` (N-11) |
 * | `EHLO_DOMAIN_RAW` | HELO/EHLO argument as sent |
 * | `MAIL_FROM` | the sender, `<>` for the null sender |
 * | `RCPT_TO` | recipients as accepted, before alias expansion, space-separated; the envelope hook at `rcpt` sees only the current one |
 * | `AUTH_AS` | `user@domain` when authenticated, else empty |
 * | `ON_TLS` | `1` or `0` |
 * | `FROM_LOCAL_DOMAIN` | `1` when the sender's domain is local; `0` for `<>` (K-03 fix) |
 * | `SPF_PASS` | `1` only when SPF gave `pass` |
 * | `DMARC_RESULT` | chaski (B-07): the DMARC result, only once DMARC ran |
 * | `STAGE` | envelope hook only: `mail` or `rcpt` |
 *
 * ## post-data
 *
 * stdin is the full message with the new headers, CRLF line endings as
 * received (D-07 fix). Timeout: 1 minute (K-02).
 *
 * - Exit 0: stdout is prepended to the message above every other header
 *   when it is header-shaped (H-06: empty, or ending in a newline, no blank
 *   line, each line holding `:` or continuing a header above it). LF or
 *   CRLF output is normalised to CRLF. Any other output is ignored and the
 *   mail is still accepted (`post-data:badoutput`).
 * - Exit 20: `554` with the last stdout line.
 * - Any other exit, a signal or the timeout: `451` with the last stdout line.
 *
 * ## envelope
 *
 * stdin is empty. Timeout: 10 seconds. Exit 0 accepts; exit 20 answers
 * `550` with the last stdout line; anything else, the timeout included,
 * answers `451` with it. Output on success is ignored.
 *
 * ## Reply text (S-47)
 *
 * The last newline-terminated line of stdout (text after the final newline
 * is ignored; stderr goes to the trace only). Control characters are
 * removed. It is sent as it is when it starts with an enhanced status code
 * of the reply's class (`5.x.x` for 5xx, `4.x.x` for 4xx); otherwise
 * `5.7.1` or `4.3.0` is put in front. It is cut to fit a 512-octet reply
 * line, and an empty line becomes a neutral text.
 *
 * @module
 */

import type { Files, Spawner } from "../runtime/types.ts";
import type { Logger } from "../log/mod.ts";
import type { DaemonEnv, HookFacts } from "./_common.ts";
import { type PostDataResult, runPostDataHook } from "./post_data.ts";
import {
  type EnvelopeResult,
  type EnvelopeStage,
  runEnvelopeHook,
} from "./envelope.ts";

export {
  type DaemonEnv,
  daemonEnvFrom,
  DEFAULT_HOOK_PATH,
  hookEnv,
  type HookFacts,
  type HookProps,
  type HookReject,
  hookReplyText,
  lastLine,
} from "./_common.ts";
export {
  parseHookHeaders,
  POST_DATA_TIMEOUT_MS,
  type PostDataProps,
  type PostDataResult,
  runPostDataHook,
} from "./post_data.ts";
export {
  ENVELOPE_TIMEOUT_MS,
  type EnvelopeProps,
  type EnvelopeResult,
  type EnvelopeStage,
  runEnvelopeHook,
} from "./envelope.ts";

/** Options for {@linkcode Hooks}. */
export interface HooksProps {
  readonly spawner: Spawner;
  readonly files: Pick<Files, "stat">;
  /** Absolute config dir. */
  readonly configDir: string;
  readonly daemonEnv: DaemonEnv;
  readonly log?: Logger;
  /** @default POST_DATA_TIMEOUT_MS */
  readonly postDataTimeoutMs?: number;
  /** @default ENVELOPE_TIMEOUT_MS */
  readonly envelopeTimeoutMs?: number;
}

/**
 * Both hooks bound to one config dir, the shape the SMTP session takes.
 *
 * @example
 * ```ts
 * const hooks = new Hooks({ spawner, files, configDir, daemonEnv });
 * const r = await hooks.postData(facts, message);
 * ```
 */
export class Hooks {
  readonly #props: HooksProps;

  constructor(props: HooksProps) {
    this.#props = props;
  }

  /** Runs `hooks/post-data` on `message`. */
  postData(facts: HookFacts, message: Uint8Array): Promise<PostDataResult> {
    const { postDataTimeoutMs, envelopeTimeoutMs: _, ...base } = this.#props;
    return runPostDataHook({
      ...base,
      facts,
      message,
      ...(postDataTimeoutMs ? { timeoutMs: postDataTimeoutMs } : {}),
    });
  }

  /** Runs `hooks/envelope` for one stage. */
  envelope(stage: EnvelopeStage, facts: HookFacts): Promise<EnvelopeResult> {
    const { envelopeTimeoutMs, postDataTimeoutMs: _, ...base } = this.#props;
    return runEnvelopeHook({
      ...base,
      stage,
      facts,
      ...(envelopeTimeoutMs ? { timeoutMs: envelopeTimeoutMs } : {}),
    });
  }
}
