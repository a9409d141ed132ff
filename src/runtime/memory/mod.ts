/**
 * Fakes of the runtime contract for unit tests. Import only from `*_test.ts`
 * and `tests/**`; integration tests use the real runtime.
 *
 * @module
 */
export { FakeClock } from "./fake_clock.ts";
export { type MemoryRecordSet, MemoryResolver } from "./memory_resolver.ts";
