/**
 * SMTP protocol pieces shared by the server (`src/smtpsrv`) and the client
 * side (couriers, tests). Imports nothing from the project but runtime types.
 *
 * - **Reading** (`SmtpReader`): command lines end with CRLF, a bare LF is
 *   accepted at the end of a command line; lines over 1000 octets (not
 *   counting CRLF) raise `LineTooLongError` without buffering the excess
 *   (L-06). DATA is read strictly (S-41, S-42, D-01): every CR must be
 *   followed by LF and every LF preceded by CR, so no smuggling variant
 *   (`\n.\n`, `\r.\r`, `\r\n.\n`, `\n.\r\n`) can end a message; it yields
 *   `badLineEnding` (reply `521 5.5.2`, close). The size cap counts raw
 *   octets including stuffing and the terminator; over it the message is
 *   read to its end and discarded (`tooBig`, reply `552 5.3.4`). The
 *   message is returned as received, CRLF, after dot-unstuffing, without
 *   the final `.CRLF`.
 * - **Commands** (`parseCommand`, `parseMailFrom`, `parseRcptTo`): the verb
 *   is the text up to the first space, upper-cased; MAIL/RCPT take the first
 *   whitespace-separated token after `FROM:`/`TO:` as the address, parsed
 *   with Go `net/mail.ParseAddress` rules (`parseAddress`), and the other
 *   tokens as `KEYWORD[=VALUE]` parameters.
 * - **Replies** (`formatReply`, `readReply`): `\n` in a text makes a
 *   multi-line reply; client-side reading is capped at 2 MiB per reply.
 * - **Writing DATA** (`dotStuff`) and a small client (`SmtpClient`).
 *
 * @module
 */

export { type Params, SmtpClient, type SmtpClientOptions } from "./client.ts";
export { dotStuff } from "./dot.ts";
export { AddressError, isIpLiteral, parseAddress } from "./address.ts";
export {
  type Command,
  parseCommand,
  parseMailFrom,
  parseParams,
  parseRcptTo,
  type PathArg,
} from "./command.ts";
export { badSequence, badSyntax, SmtpError, tempFail } from "./errors.ts";
export {
  type ChunkSource,
  concat,
  type DotOptions,
  type DotResult,
  EofError,
  LineTooLongError,
  SmtpReader,
} from "./reader.ts";
export {
  formatError,
  formatReply,
  readReply,
  type ReadReplyOptions,
  type Reply,
  replyError,
  ReplyFormatError,
} from "./reply.ts";
