import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { commandFirst } from "./mod.ts";
import { normalizeArgs } from "./common.ts";

const CMDS = ["serve", "aliases-resolve", "user-add"];

describe("commandFirst()", () => {
  const cases: [name: string, argv: string[], want: string[]][] = [
    ["command already first", ["user-add", "a@b"], ["user-add", "a@b"]],
    [
      "chasquid-util order: options, then the command",
      ["-C=/etc/chasquid", "aliases-resolve", "a@b"],
      ["aliases-resolve", "--config-dir", "/etc/chasquid", "a@b"],
    ],
    [
      "a separate option value is not taken for the command",
      ["--config-dir", "serve", "user-add", "x@y"],
      ["user-add", "--config-dir", "serve", "x@y"],
    ],
    [
      "chasquid's daemon spelling still serves",
      ["--config_dir=/etc/chasquid"],
      ["--config-dir", "/etc/chasquid"],
    ],
    ["an unknown word is left for the caller", ["-v", "1", "bogus"], [
      "-v",
      "1",
      "bogus",
    ]],
  ];
  for (const [name, argv, want] of cases) {
    it(
      name,
      () => assert.deepEqual(commandFirst(normalizeArgs(argv), CMDS), want),
    );
  }
});
