import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { goDuration, MailLog } from "./mod.ts";

function capture(): { lines: string[]; log: MailLog } {
  const lines: string[] = [];
  return {
    lines,
    log: new MailLog({ write: (l) => lines.push(l) }, { timestamps: false }),
  };
}

describe("MailLog", () => {
  it("writes chasquid-shaped lines for each event", () => {
    const { lines, log } = capture();
    log.listening("127.0.0.1:25");
    log.auth("1.2.3.4:5678", "u@d", true);
    log.auth("1.2.3.4:5678", "u@d", false);
    log.rejected("1.2.3.4:5678", "a@b", ["c@d", "e@f"], "relay not allowed");
    log.queued("1.2.3.4:5678", "ID1", "a@b", ["c@d"]);
    log.sendAttempt("ID1", "a@b", "c@d", null);
    log.sendAttempt("ID1", "a@b", "c@d", { message: "boom", permanent: true });
    log.queueLoop("ID1", "a@b", 61_000);
    log.queueLoop("ID1", "a@b", null);
    assert.deepEqual(lines, [
      "daemon listening on 127.0.0.1:25",
      "1.2.3.4:5678 auth succeeded for u@d",
      "1.2.3.4:5678 auth failed for u@d",
      "1.2.3.4:5678 rejected from=a@b to=[c@d e@f] - relay not allowed",
      "ID1 from=a@b queued ip=1.2.3.4:5678 to=[c@d]",
      "ID1 from=a@b to=c@d sent",
      "ID1 from=a@b to=c@d failed (permanent): boom",
      "ID1 from=a@b completed loop, next in 1m1s",
      "ID1 from=a@b all done",
    ]);
  });

  it("writes one line per sender policy report", () => {
    const { lines, log } = capture();
    log.senderPolicy("1.2.3.4:5", "bob@d", "alice@d", ["alice@d", "x@y"]);
    assert.deepEqual(lines, [
      "1.2.3.4:5 sender policy violation user=bob@d from=alice@d " +
      "not_theirs=[alice@d x@y] - reported",
    ]);
  });

  it("never lets a value break the one-line-per-event shape", () => {
    const { lines, log } = capture();
    log.rejected("1.2.3.4:5", null, [], "bad\r\nthing");
    assert.deepEqual(lines, ["1.2.3.4:5 rejected - bad thing"]);
  });
});

describe("goDuration()", () => {
  it("formats like Go's time.Duration", () => {
    assert.equal(goDuration(0), "0s");
    assert.equal(goDuration(59_000), "59s");
    assert.equal(goDuration(20 * 60_000), "20m0s");
    assert.equal(goDuration(3_600_000 + 1000), "1h0m1s");
  });
});
