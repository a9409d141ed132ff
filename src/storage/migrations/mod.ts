/**
 * Every migration, by static import so compiled binaries contain them
 * (DESIGN §5). Names sort in the order they apply; append new ones at the end.
 *
 * @module
 */

import type { Migration } from "kysely/migration";
import { migration as m0001 } from "./0001_initial.ts";

/** Migrations by name, in order. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  "0001_initial": m0001,
});
