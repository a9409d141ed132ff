/**
 * The envelope-stage hook (B-04, chasquid #53): `<config>/hooks/envelope`
 * runs at MAIL FROM and at each RCPT TO, for greylisting and DNSBL checks
 * before the client sends the message.
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

/** B-04: an envelope hook gets ten seconds. */
export const ENVELOPE_TIMEOUT_MS = 10_000;

/** When the envelope hook runs: `STAGE` in its environment. */
export type EnvelopeStage = "mail" | "rcpt";

/** What the envelope hook decided. */
export type EnvelopeResult =
  | { readonly kind: "skip" }
  | { readonly kind: "accept" }
  | HookReject;

/** Options for {@linkcode runEnvelopeHook}. */
export interface EnvelopeProps extends HookProps {
  readonly stage: EnvelopeStage;
  /** At `rcpt`, `rcptTo` holds only the recipient being checked. */
  readonly facts: HookFacts;
  /** @default ENVELOPE_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/** Runs `hooks/envelope` if it exists; its stdin is empty. Never throws for a hook's failure. */
export async function runEnvelopeHook(
  props: EnvelopeProps,
): Promise<EnvelopeResult> {
  const env = {
    ...hookEnv(props.daemonEnv, props.configDir, props.facts),
    STAGE: props.stage,
  };
  const res = await runHook(props, "envelope", {
    env,
    timeoutMs: props.timeoutMs ?? ENVELOPE_TIMEOUT_MS,
  });
  if (!res) return { kind: "skip" };
  if (res.startError || res.timedOut || res.code !== 0) return rejection(res);
  return { kind: "accept" };
}
