/**
 * Pipe aliases (AL-05, CO-01): `user: | /cmd arg1 arg2` runs the command,
 * already split into argv by the aliases parser, with the message on stdin
 * as stored (CRLF line endings, D-07 fix). The environment holds `PATH`
 * only and the working directory is the config dir, as for the MDA.
 *
 * chasquid treats every pipe failure as permanent; chaski follows the MDA
 * rules instead (CO-02): exit 0 is delivered, exit 75 (EX_TEMPFAIL) or the
 * timeout is temporary, any other exit, a signal or a start failure is
 * permanent.
 *
 * @module
 */

import type { Spawner, SpawnResult } from "../runtime/types.ts";
import { type DeliveryResult, permanent, sent, temporary } from "./types.ts";

const EX_TEMPFAIL = 75;
/** Longest excerpt of the command's output kept in the error message. */
const MAX_EXCERPT = 500;

/** What the pipe courier needs. */
export interface PipeProps {
  readonly spawner: Spawner;
  /** Working directory (the config dir). */
  readonly cwd: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** `PATH` for the child. @default "/usr/local/bin:/usr/bin:/bin" */
  readonly path?: string;
}

/** Delivers to pipe aliases. */
export class PipeCourier {
  readonly #p: PipeProps;

  constructor(props: PipeProps) {
    this.#p = props;
  }

  /**
   * Runs `argv` with `data` on stdin. `from` is the envelope sender; the
   * command does not get it (chasquid passes nothing either).
   */
  async deliver(
    _from: string,
    argv: readonly string[],
    data: Uint8Array,
  ): Promise<DeliveryResult> {
    const [cmd, ...args] = argv;
    if (cmd === undefined || cmd === "") {
      return permanent("Pipe delivery failed: empty command");
    }
    const r = await this.#p.spawner.run({
      cmd,
      args,
      env: { PATH: this.#p.path ?? "/usr/local/bin:/usr/bin:/bin" },
      cwd: this.#p.cwd,
      stdin: data,
      timeoutMs: this.#p.timeoutMs ?? 30_000,
    });
    return pipeResult(cmd, r);
  }
}

/** Maps how the command ended to a delivery result. */
export function pipeResult(cmd: string, r: SpawnResult): DeliveryResult {
  if (r.startError) {
    return permanent(
      `Pipe delivery failed: "${cmd}" could not be started: ${r.startError.message}`,
      r.startError,
    );
  }
  if (r.code === 0 && !r.timedOut) return sent;
  const output = JSON.stringify(excerpt(r));
  if (r.timedOut) {
    return temporary(`Pipe delivery failed: "${cmd}" timed out - ${output}`);
  }
  const how = r.code === null ? `signal ${r.signal}` : `exit status ${r.code}`;
  const msg = `Pipe delivery failed: "${cmd}" ${how} - ${output}`;
  return r.code === EX_TEMPFAIL ? temporary(msg) : permanent(msg);
}

/** Combined stdout and stderr, trimmed and cut to a readable length. */
function excerpt(r: SpawnResult): string {
  const dec = new TextDecoder();
  const text = `${dec.decode(r.stdout)}${dec.decode(r.stderr)}`.trim();
  return text.length > MAX_EXCERPT ? `${text.slice(0, MAX_EXCERPT)}…` : text;
}
