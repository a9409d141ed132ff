/**
 * `SmtpError`: a protocol failure carrying what the client sees. The message
 * is short and generic (no paths, config values or policy names); internal
 * detail goes in `cause`. Codes and enhanced codes match chasquid; the texts
 * are ours.
 *
 * @module
 */

/** A failure that maps to one SMTP reply. */
export class SmtpError extends Error {
  /** Basic reply code, e.g. 550. */
  readonly code: number;
  /** Enhanced status code (RFC 3463) such as `5.1.1`, or `""` when none. */
  readonly enhanced: string;

  constructor(
    code: number,
    enhanced: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    if (!Number.isInteger(code) || code < 200 || code > 599) {
      throw new RangeError(
        `SMTP code must be 200..599: current value is "${code}"`,
      );
    }
    if (enhanced !== "" && enhanced[0] !== String(code)[0]) {
      throw new RangeError(
        `enhanced code "${enhanced}" does not match class of "${code}"`,
      );
    }
    this.name = "SmtpError";
    this.code = code;
    this.enhanced = enhanced;
  }

  /** 5xx replies are permanent; 4xx are temporary. */
  get permanent(): boolean {
    return this.code >= 500;
  }

  /** The reply text as sent: `"<enhanced> <message>"`, or the message alone. */
  get text(): string {
    return this.enhanced ? `${this.enhanced} ${this.message}` : this.message;
  }
}

/** `451 4.3.0`: a local problem; the client should retry later. */
export function tempFail(
  message = "Temporary local problem, try again later",
  cause?: unknown,
): SmtpError {
  return new SmtpError(
    451,
    "4.3.0",
    message,
    cause === undefined ? undefined : { cause },
  );
}

/** `503 5.5.1`: a command out of order. */
export function badSequence(message: string): SmtpError {
  return new SmtpError(503, "5.5.1", message);
}

/** `501 5.5.4`-style syntax errors in arguments. */
export function badSyntax(
  code: number,
  enhanced: string,
  message: string,
): SmtpError {
  return new SmtpError(code, enhanced, message);
}
