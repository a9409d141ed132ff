/**
 * The `AliasResolve` method (RPC-03): `Address` in, the resolved recipients
 * out as Go `url.Values` keyed by chasquid's type names.
 *
 * @module
 */

import type { Recipient, RecipientType } from "../aliases/mod.ts";
import type { RpcHandler } from "./server.ts";
import { RpcProtocolError } from "./wire.ts";

/** The method name, as chasquid-util calls it. */
export const ALIAS_RESOLVE = "AliasResolve";

const KEY_OF: Readonly<Record<RecipientType, string>> = {
  email: "(email)",
  pipe: "(pipe)",
  forward: "(forward)",
};

const TYPE_OF: ReadonlyMap<string, RecipientType> = new Map(
  Object.entries(KEY_OF).map(([t, k]) => [k, t as RecipientType]),
);

/** Separates a forward's address from its servers, as in aliases files. */
const VIA = " via ";

/**
 * Why `address` cannot be resolved, or `null` when it looks like one:
 * `user@domain` with both parts present and no line breaks.
 */
export function addressProblem(address: string): string | null {
  const at = address.lastIndexOf("@");
  if (at <= 0 || at === address.length - 1 || /[\s]/.test(address)) {
    return `invalid address "${address}": expected user@domain`;
  }
  return null;
}

/**
 * Encodes recipients like chasquid: one `(type)=value` pair each, in order.
 * chaski adds a forward's servers to its value (`a@b via s1/s2`, the aliases
 * file syntax), so chasquid-util shows them too.
 */
export function recipientsToValues(
  rcpts: readonly Recipient[],
): URLSearchParams {
  const v = new URLSearchParams();
  for (const r of rcpts) {
    const via = r.type === "forward" && r.via.length > 0
      ? `${VIA}${r.via.join("/")}`
      : "";
    v.append(KEY_OF[r.type], `${r.address}${via}`);
  }
  return v;
}

/**
 * Decodes an `AliasResolve` result. The encoding groups values by type, so
 * the order across types is lost; within a type it is kept.
 * @throws {RpcProtocolError} on an unknown type key.
 */
export function valuesToRecipients(values: URLSearchParams): Recipient[] {
  const out: Recipient[] = [];
  for (const [key, value] of values) {
    const type = TYPE_OF.get(key);
    if (!type) throw new RpcProtocolError(`unknown recipient type "${key}"`);
    const at = type === "forward" ? value.indexOf(VIA) : -1;
    out.push(
      at < 0 ? { type, address: value, via: [] } : {
        type,
        address: value.slice(0, at),
        via: value.slice(at + VIA.length).split("/"),
      },
    );
  }
  return out;
}

/** The server side: resolves `Address` with `resolve`. */
export function aliasResolveHandler(
  resolve: (address: string) => Promise<Recipient[]>,
): RpcHandler {
  return async function aliasResolve(query) {
    const address = query.get("Address") ?? "";
    const problem = addressProblem(address);
    if (problem) throw new Error(problem);
    return recipientsToValues(await resolve(address));
  };
}
