/**
 * Local delivery through the MDA subprocess (CO-02, C-07, C-08, N-11):
 * `mail_delivery_agent_bin` with `mail_delivery_agent_args`, where
 * `%from% %from_user% %from_domain% %to% %to_user% %to_domain%` are
 * replaced by sanitised values (`%from%` is `<>` for the null sender). The
 * message goes on stdin with CRLF line endings, as received. Exit 0 is
 * delivered; exit 75 (EX_TEMPFAIL) or the timeout is temporary; anything
 * else is permanent.
 *
 * @module
 */

import type { Spawner } from "../runtime/types.ts";
import { split } from "../envelope/mod.ts";
import { sanitizeForMda } from "../normalize/mod.ts";
import {
  type Courier,
  type DeliveryResult,
  permanent,
  sent,
  temporary,
} from "./types.ts";

const EX_TEMPFAIL = 75;

/** What the MDA courier needs. */
export interface MdaProps {
  readonly spawner: Spawner;
  readonly bin: string;
  readonly args: readonly string[];
  /** Working directory (the config dir). */
  readonly cwd: string;
  /** @default 30000 */
  readonly timeoutMs: number;
  /** `PATH` for the child. @default "/usr/local/bin:/usr/bin:/bin" */
  readonly path?: string;
}

/** Expands the C-08 substitutions in one argument. */
export function expandArg(arg: string, from: string, to: string): string {
  const [fromUser, fromDomain] = split(from);
  const [toUser, toDomain] = split(to);
  const values: Record<string, string> = {
    "%from%": from === "" ? "<>" : sanitizeForMda(from),
    "%from_user%": sanitizeForMda(fromUser),
    "%from_domain%": sanitizeForMda(fromDomain),
    "%to%": sanitizeForMda(to),
    "%to_user%": sanitizeForMda(toUser),
    "%to_domain%": sanitizeForMda(toDomain),
  };
  return arg.replace(/%(from|to)(_user|_domain)?%/g, (m) => values[m] ?? m);
}

/** The MDA courier. */
export class MdaCourier implements Courier {
  readonly #p: MdaProps;

  constructor(props: MdaProps) {
    this.#p = props;
  }

  async deliver(
    from: string,
    to: string,
    data: Uint8Array,
  ): Promise<DeliveryResult> {
    const args = this.#p.args.map((a) => expandArg(a, from, to));
    const r = await this.#p.spawner.run({
      cmd: this.#p.bin,
      args,
      env: { PATH: this.#p.path ?? "/usr/local/bin:/usr/bin:/bin" },
      cwd: this.#p.cwd,
      stdin: data,
      timeoutMs: this.#p.timeoutMs,
    });
    if (r.code === 0) return sent;
    const output = new TextDecoder().decode(concat(r.stdout, r.stderr)).trim()
      .slice(0, 500);
    if (r.startError) {
      return permanent(
        `MDA delivery failed: ${r.startError.message}`,
        r.startError,
      );
    }
    if (r.timedOut) {
      return temporary(
        `MDA delivery failed: timed out - ${JSON.stringify(output)}`,
      );
    }
    const how = r.code === null
      ? `signal ${r.signal}`
      : `exit status ${r.code}`;
    const msg = `MDA delivery failed: ${how} - ${JSON.stringify(output)}`;
    return r.code === EX_TEMPFAIL ? temporary(msg) : permanent(msg);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
