/**
 * `Signals` on `process.on`, which works on Deno and Bun alike.
 *
 * @module
 */
import process from "node:process";
import type { SignalName, Signals } from "./types.ts";

/** Creates the `Signals` implementation. */
export function createNodeSignals(): Signals {
  return {
    on(signal: SignalName, handler: () => void): () => void {
      const h = () => handler();
      process.on(signal, h);
      return () => {
        process.off(signal, h);
      };
    },
  };
}
