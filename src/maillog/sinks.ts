/**
 * Mail log destinations (C-12, ML-07): `<stdout>`, `<stderr>`, a file, and
 * `<syslog>`, which for now writes to standard error (a syslog sink is part
 * of the operations issue).
 *
 * @module
 */

import type { Files } from "../runtime/types.ts";
import type { MailLogSink } from "./mod.ts";

/** What the sinks write through. */
export interface SinkDeps {
  readonly files: Pick<Files, "append" | "mkdir">;
  readonly process: {
    writeStdout(text: string): void;
    writeStderr(text: string): void;
  };
}

/** A logger to report a failing sink once. */
interface WarnLog {
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Opens the sink named by `mail_log_path`. */
export async function openMailLogSink(
  path: string,
  deps: SinkDeps,
  log: WarnLog,
): Promise<MailLogSink> {
  if (path === "<stdout>") {
    return { write: (l) => deps.process.writeStdout(`${l}\n`) };
  }
  if (path === "<stderr>") {
    return { write: (l) => deps.process.writeStderr(`${l}\n`) };
  }
  if (path === "<syslog>") {
    log.warn(
      "mail log: <syslog> is not supported yet, writing the mail log to standard error",
    );
    return { write: (l) => deps.process.writeStderr(`${l}\n`) };
  }
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await deps.files.mkdir(dir, 0o775);
  return fileSink(path, deps.files, log);
}

/** Appends lines to a file, in order, reporting a write failure once. */
function fileSink(
  path: string,
  files: Pick<Files, "append">,
  log: WarnLog,
): MailLogSink {
  let chain = Promise.resolve();
  let reported = false;
  return {
    write(line: string) {
      chain = chain.then(() => files.append(path, `${line}\n`, 0o640)).catch(
        (err) => {
          if (!reported) {
            log.warn("mail log write failed", { path, error: err });
          }
          reported = true;
        },
      );
    },
    // Appends open the file each time, so a rotated file is picked up as is.
    reopen: () => chain,
  };
}
