/**
 * Sender policy (B-02; chaski differs from chasquid's A-09): which MAIL FROM
 * and `From:` addresses an authenticated user may use. chasquid lets them
 * use any; chaski checks, and by default (`report`) only logs and counts,
 * so existing setups keep working.
 *
 * ## Config (chaski.yaml)
 *
 * ```yaml
 * sender_policy: report            # off | report | enforce
 * sender_policy_overrides:         # per domain or per user; the user wins
 *   example.com: enforce
 *   bob@example.com: off
 * send_as:                         # per user, or for every user of a domain
 *   bob@example.com: ["sales@example.com", "*@other.example"]
 *   example.com: ["noreply@example.com"]
 * ```
 *
 * The mode that applies is the authenticated user's entry, else their
 * domain's, else `sender_policy`.
 *
 * ## Identities of `u@d`
 *
 * An address (normalised: PRECIS user, Unicode domain) belongs to the
 * authenticated user `u@d` when it is:
 *
 * 1. **their own address**, with any suffix and drop characters: the
 *    address with its suffix cut at the first `suffix_separators`
 *    character and the `drop_characters` removed (N-07, N-08) is `u@d`, so
 *    `U.ser+tag@d` is `u@d`'s;
 * 2. **a `send_as` grant** for `u@d` or for every user of `d`: an exact
 *    address, or `*@domain` for any address of that domain;
 * 3. **a local alias that resolves to them**: resolving the address
 *    through the aliases files and the `alias-resolve` hook (recursively)
 *    gives `u@d` among its email targets. Lists count for each member:
 *    `team: bob, alice` is both bob's and alice's. Pipe and remote
 *    targets belong to nobody.
 *
 * **Catch-alls are not identities.** Resolution for the policy skips the
 * catch-all `*` at every level: otherwise the owner of `*: postmaster`
 * could send as every address of the domain that is not (yet) a user or
 * alias, including ones created later, and a user of a domain whose
 * catch-all is `*: *@other.example` would own addresses there by
 * accident. Who may send as a caught address is said explicitly with
 * `send_as`.
 *
 * The **null sender** `<>` is always allowed: user agents and filters
 * (read receipts, vacation replies) send through submission with it, and
 * it names nobody to impersonate. The `From:` of such a message is still
 * checked.
 *
 * ## Checks and modes
 *
 * Only authenticated sessions are checked; unauthenticated mail is SPF's
 * and DMARC's business. MAIL FROM is checked at MAIL and every address of
 * every `From:` field after DATA, before DKIM signing (D-03), so that what
 * gets signed with `d=` of the MAIL FROM domain is something the user may
 * send. The two checks make one verdict per message:
 *
 * - `off`: nothing is checked.
 * - `report`: a violation writes one mail-log line (`senderPolicy`) and
 *   the mail is accepted. `chaski/senderPolicy{result=ok|violation}` counts
 *   each message once, after DATA (a MAIL FROM violation included).
 * - `enforce`: a MAIL FROM that is not theirs gets `553 5.7.1`, a `From:`
 *   address that is not theirs gets `550 5.7.1` after DATA; both write a
 *   `rejected` mail-log line and count a `violation`.
 *
 * An alias lookup failure (the hook failing) is a temporary error
 * (`451 4.3.0`) in `enforce`; in `report` it is logged and the message
 * goes through unchecked. The daily digest to postmaster that B-02
 * describes for `report` is not implemented (TODO(#4)).
 *
 * @module
 */

export {
  type PolicyMode,
  type PolicyTarget,
  SenderPolicy,
  type SenderPolicyProps,
} from "./sender_policy.ts";
export { fromAddresses, parseAddressList } from "./from_header.ts";
