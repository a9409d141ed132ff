/**
 * The post-DATA hook (K-01..K-04, H-06, D-05, D-07): `<config>/hooks/post-data`
 * reads the message on stdin; on success its stdout, if header-shaped, is
 * prepended to the message.
 *
 * @module
 */

import {
  hookEnv,
  type HookFacts,
  type HookProps,
  type HookReject,
  rejection,
  runHook,
} from "./_common.ts";

/** K-02: a post-DATA hook gets one minute. */
export const POST_DATA_TIMEOUT_MS = 60_000;

/** What the post-DATA hook decided. */
export type PostDataResult =
  /** No hook file. */
  | { readonly kind: "skip" }
  /** Exit 0 with header-shaped output: `headers` (CRLF, maybe empty) go on top. */
  | { readonly kind: "ok"; readonly headers: string }
  /** Exit 0 with output that is not headers: ignored, the mail is accepted (H-06). */
  | { readonly kind: "badoutput" }
  | HookReject;

/** Options for {@linkcode runPostDataHook}. */
export interface PostDataProps extends HookProps {
  readonly facts: HookFacts;
  /** The full message with our new headers, CRLF as received. */
  readonly message: Uint8Array;
  /** @default POST_DATA_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/** Runs `hooks/post-data` if it exists. Never throws for a hook's failure. */
export async function runPostDataHook(
  props: PostDataProps,
): Promise<PostDataResult> {
  const res = await runHook(props, "post-data", {
    env: hookEnv(props.daemonEnv, props.configDir, props.facts),
    stdin: props.message,
    timeoutMs: props.timeoutMs ?? POST_DATA_TIMEOUT_MS,
  });
  if (!res) return { kind: "skip" };
  if (res.startError || res.timedOut || res.code !== 0) return rejection(res);
  const headers = parseHookHeaders(new TextDecoder().decode(res.stdout));
  if (headers === null) {
    props.log?.info("post-data hook output is not headers, ignored");
    return { kind: "badoutput" };
  }
  return { kind: "ok", headers };
}

/**
 * H-06: the hook's stdout as CRLF header lines, or `null` when it is not
 * header-shaped. Empty output is fine; otherwise it must end in a newline,
 * hold no blank line, and each line must contain `:` or continue (start
 * with a space or tab) a header above it. LF and CRLF are both accepted; a
 * stray CR is not.
 */
export function parseHookHeaders(out: string): string | null {
  if (out === "") return "";
  const lf = out.replaceAll("\r\n", "\n");
  if (lf.includes("\r") || !lf.endsWith("\n") || lf.includes("\n\n")) {
    return null;
  }
  const lines = lf.slice(0, -1).split("\n");
  let seen = false;
  for (const line of lines) {
    if (line === "") return null;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (!seen) return null;
      continue;
    }
    if (!line.includes(":")) return null;
    seen = true;
  }
  return lines.map((l) => `${l}\r\n`).join("");
}
