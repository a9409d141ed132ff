/**
 * Local RPC: how the CLI asks the running daemon things only it knows
 * (chasquid's `internal/localrpc`, RPC-01..RPC-03).
 *
 * **Transport.** A unix socket at `<data_dir>/localrpc-v1`, mode 0600. The
 * server removes a stale file left by an unclean stop before listening, and
 * the app removes the socket on shutdown. One request per connection; the
 * server closes the connection 5 s after accepting it, answered or not.
 *
 * **Request.** One line: `<Method> <query>` then CRLF (LF alone is
 * accepted). The method is case-sensitive and ends at the first space; a
 * line without a space is a method with no arguments. The query is Go's
 * `url.Values.Encode()`: `key=value` pairs joined by `&`, keys sorted, each
 * part escaped like `url.QueryEscape` (space as `+`, everything but
 * `A-Z a-z 0-9 - _ . ~` as `%XX`), e.g. `AliasResolve Address=a%40b.test`.
 *
 * **Reply.** One line: `200 <result>` with the result encoded the same way
 * (empty for no result, i.e. `200 `), or `500 <error>` with the error text
 * as it is. An unknown method gets `500 unknown method`; a query that does
 * not decode (a `;` separator, a bad `%` escape) gets `500` with the reason.
 *
 * **Methods.**
 *
 * | Method | Query | Result |
 * |---|---|---|
 * | `AliasResolve` | `Address` | `(email)`, `(pipe)`, `(forward)` keys, one value per recipient in resolution order |
 * | `DomaininfoClear` | `Domain` | empty; both security levels set to `PLAIN` (SL-06), `500` for an unknown domain |
 *
 * A forward's value is `address via s1/s2` when it has servers (chaski;
 * chasquid sends the address alone).
 *
 * @module
 */

export {
  RPC_DEADLINE_MS,
  type RpcHandler,
  RpcServer,
  type RpcServerProps,
} from "./server.ts";
export {
  rpcCall,
  type RpcCallOptions,
  RpcConnectError,
  RpcRemoteError,
} from "./client.ts";
export {
  decodeValues,
  encodeValues,
  queryEscape,
  RpcProtocolError,
} from "./wire.ts";
export {
  addressProblem,
  ALIAS_RESOLVE,
  aliasResolveHandler,
  recipientsToValues,
  valuesToRecipients,
} from "./alias_resolve.ts";

export {
  DOMAININFO_CLEAR,
  domaininfoClearHandler,
} from "./domaininfo_clear.ts";

/** The socket's file name inside the data dir (F-10). */
export const SOCKET_NAME = "localrpc-v1";
