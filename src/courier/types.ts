/**
 * The delivery contract: a courier takes one message to one recipient and
 * says how it went, as a value. Permanent failures bounce; temporary ones
 * are retried by the queue.
 *
 * @module
 */

/** The result of one delivery attempt. */
export type DeliveryResult =
  | { readonly status: "sent" }
  | { readonly status: "temporary" | "permanent"; readonly error: Error };

/** Delivers a message to one recipient. */
export interface Courier {
  deliver(from: string, to: string, data: Uint8Array): Promise<DeliveryResult>;
}

/** Shorthand constructors. */
export const sent: DeliveryResult = { status: "sent" };

/** A failure worth retrying later. */
export function temporary(message: string, cause?: unknown): DeliveryResult {
  return {
    status: "temporary",
    error: new Error(message, cause === undefined ? undefined : { cause }),
  };
}

/** A failure that will not get better: the sender gets a bounce. */
export function permanent(message: string, cause?: unknown): DeliveryResult {
  return {
    status: "permanent",
    error: new Error(message, cause === undefined ? undefined : { cause }),
  };
}
