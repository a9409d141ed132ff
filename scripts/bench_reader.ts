/**
 * Micro-benchmark of `SmtpReader.readDotData()`: MB/s for a 100 KiB message
 * fed in 64 KiB chunks (as a socket would), and in 1 KiB chunks. Prints
 * figures only; no pass/fail.
 *
 * Run: `deno run scripts/bench_reader.ts` or `bun scripts/bench_reader.ts`.
 *
 * @module
 */

import { SmtpReader } from "../src/smtp/reader.ts";
import { dotStuff } from "../src/smtp/dot.ts";

function buildMessage(size: number): Uint8Array {
  const line =
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. .0123456789\r\n";
  let s = "Subject: bench\r\n\r\n";
  for (let i = 0; s.length < size; i++) s += i % 10 === 0 ? `.${line}` : line;
  return dotStuff(new TextEncoder().encode(s));
}

function chunked(wire: Uint8Array, chunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < wire.length; i += chunk) {
    out.push(wire.subarray(i, i + chunk));
  }
  return out;
}

async function bench(chunk: number): Promise<void> {
  const wire = buildMessage(100 * 1024);
  const chunks = chunked(wire, chunk);
  const rounds = 2000;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    let i = 0;
    const reader = new SmtpReader({
      read: () => Promise.resolve(i < chunks.length ? chunks[i++]! : null),
    });
    const res = await reader.readDotData({ maxSize: 1 << 20 });
    if (res.status !== "ok") throw new Error(res.status);
  }
  const secs = (performance.now() - t0) / 1000;
  const mb = (wire.length * rounds) / 1e6;
  const out = `readDotData, 100 KiB message, ${chunk}-byte chunks: ` +
    `${(mb / secs).toFixed(0)} MB/s, ${(rounds / secs).toFixed(0)} msg/s\n`;
  console.log(out.trimEnd());
}

await bench(65536);
await bench(1024);
