/**
 * The architecture rules of STYLE.md ("Layout" and "Tooling") as a Deno lint
 * plugin, wired in through `lint.plugins` in `deno.json`. Every rule reports
 * as `chaski/<rule>`:
 *
 * - `runtime-isolation`: the runtime globals (`Deno`, `Bun`, `process`, also
 *   reached through `globalThis`), `bun:*` imports and the socket, DNS,
 *   subprocess, file and SQLite built-ins ({@linkcode RUNTIME_BUILTINS})
 *   appear only in `src/runtime/**` and `src/main.ts`.
 * - `runtime-internals`: the core imports only `types.ts` and `errors.ts`
 *   from `src/runtime/`.
 * - `node-allowlist`: any other `node:*` import in the core is one of
 *   {@linkcode CORE_NODE_ALLOWLIST}.
 * - `package-boundaries`: `yaml` only in `src/config/**`; `kysely` only in
 *   `src/storage/**` and `*_store.ts` (plus `import type` in `src/app.ts`,
 *   the composition root that hands the database to the stores); `pg` only
 *   in `src/storage/**`; `mailauth` only in `src/msgauth/**`.
 * - `test-only-imports`: `src/testing/**`, `src/runtime/memory/**` and the
 *   `_test_*.ts` helpers are imported only from test code.
 * - `console-only-in-log`: `console` is used only in `src/log/**`.
 * - `no-remote-specifiers`: no `jsr:` and no inline `npm:` specifiers, in
 *   any file.
 *
 * Scope: all rules but the last apply to production code in `src/`. Test
 * code is exempt, like `tests/` and `scripts/`: in `src/` that is
 * `*_test.ts`, the private `_test_*.ts` helpers and `src/testing/**`
 * (temp dirs and goldens need real files). The `test-only-imports` rule
 * keeps that exemption honest, since production code cannot import them.
 *
 * Globals are matched by name, without scope analysis: a file that declares
 * its own binding called `process` (or `console`…) is trusted to use that.
 *
 * An intentional exception is marked on the line before, with its reason:
 * `// deno-lint-ignore chaski/console-only-in-log -- why`. STYLE.md §1 asks
 * for the reason to be stated; prefer fixing the layout.
 *
 * @module
 */

import { builtinModules } from "node:module";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Built-ins that reach sockets, DNS, subprocesses, files, SQLite or the
 * process itself: the core goes through `src/runtime` interfaces instead.
 */
export const RUNTIME_BUILTINS: ReadonlySet<string> = new Set([
  "node:net",
  "node:tls",
  "node:dgram",
  "node:dns",
  "node:child_process",
  "node:fs",
  "node:sqlite",
  "node:os",
  // `import process from "node:process"` is the `process` global by another name.
  "node:process",
]);

/**
 * Built-ins the core may import: portable, pure computation with no I/O.
 * `node:crypto` (hashing, random ids, scrypt, certificates), `node:buffer`
 * (bytes on the wire), `node:util` (`parseArgs`, `TextDecoder`),
 * `node:path` (config-relative paths). Notably absent: `node:url` (its use
 * is locating files beside the sources, which compiled binaries do not
 * have), `node:events`, `node:stream` and `node:timers` (the core uses our
 * interfaces and the injected `Clock`).
 */
export const CORE_NODE_ALLOWLIST: ReadonlySet<string> = new Set([
  "node:crypto",
  "node:buffer",
  "node:util",
  "node:path",
]);

const RUNTIME_GLOBALS: ReadonlySet<string> = new Set([
  "Deno",
  "Bun",
  "process",
]);
const GLOBAL_OBJECTS: ReadonlySet<string> = new Set([
  "globalThis",
  "window",
  "self",
  "global",
]);
const BARE_BUILTINS: ReadonlySet<string> = new Set(
  builtinModules.filter((m) => !m.startsWith("_")),
);

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replaceAll(
  "\\",
  "/",
);

/** Where a linted file sits in the layout. */
interface FileKind {
  /** Path relative to the repository root, with `/` separators. */
  rel: string;
  /** Production code in `src/` (not test code). */
  prod: boolean;
  /** Production code outside `src/runtime/**` and `src/main.ts`. */
  core: boolean;
}

/** Returns the path of `filename` relative to the repository root. */
export function repoPath(filename: string): string {
  const f = filename.replaceAll("\\", "/");
  if (f.startsWith(ROOT)) return f.slice(ROOT.length);
  return f.startsWith("./") ? f.slice(2) : f;
}

function isTestPath(rel: string): boolean {
  const base = posix.basename(rel);
  return /_test\.[cm]?[jt]sx?$/.test(base) || base.startsWith("_test_") ||
    rel.startsWith("src/testing/") || rel.startsWith("tests/");
}

function classify(filename: string): FileKind {
  const rel = repoPath(filename);
  const prod = rel.startsWith("src/") && !isTestPath(rel);
  const core = prod && !rel.startsWith("src/runtime/") &&
    rel !== "src/main.ts";
  return { rel, prod, core };
}

/** `node:fs/promises` and bare `fs/promises` both give `node:fs`. */
function builtinBase(spec: string): string | null {
  let name: string;
  if (spec.startsWith("node:")) name = spec.slice(5);
  else if (BARE_BUILTINS.has(spec)) name = spec;
  else return null;
  return `node:${name.split("/")[0]}`;
}

/** The npm package a bare specifier names (`kysely/migration` → `kysely`). */
function packageName(spec: string): string | null {
  if (spec.startsWith(".") || spec.startsWith("/") || /^[a-z]+:/.test(spec)) {
    return null;
  }
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0] ?? null;
}

/** Resolves a relative specifier against the importer, or returns null. */
function resolveRelative(rel: string, spec: string): string | null {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return null;
  return posix.normalize(posix.join(posix.dirname(rel), spec));
}

/** One import-like site: declaration, re-export, `import()` or `import("x").T`. */
interface ImportSite {
  spec: string;
  node: Deno.lint.Node;
  typeOnly: boolean;
}

type ImportHandler = (site: ImportSite) => void;

/** Visitors that call `onImport` for every module specifier in a file. */
function importVisitors(onImport: ImportHandler): Deno.lint.LintVisitor {
  return {
    ImportDeclaration(node) {
      onImport({
        spec: node.source.value,
        node: node.source,
        typeOnly: node.importKind === "type",
      });
    },
    ExportNamedDeclaration(node) {
      if (!node.source) return;
      const typeOnly = node.exportKind === "type";
      onImport({ spec: node.source.value, node: node.source, typeOnly });
    },
    ExportAllDeclaration(node) {
      const typeOnly = node.exportKind === "type";
      onImport({ spec: node.source.value, node: node.source, typeOnly });
    },
    ImportExpression(node) {
      const spec = staticString(node.source);
      if (spec !== null) onImport({ spec, node: node.source, typeOnly: false });
    },
    TSImportType(node) {
      const arg = node.argument;
      const lit = arg.type === "TSLiteralType" ? arg.literal : null;
      if (lit?.type === "Literal" && typeof lit.value === "string") {
        onImport({ spec: lit.value, node: arg, typeOnly: true });
      }
    },
  };
}

function staticString(node: Deno.lint.Node): string | null {
  if (node.type === "Literal" && typeof node.value === "string") {
    return node.value;
  }
  if (node.type === "TemplateLiteral" && node.expressions.length === 0) {
    return node.quasis[0]?.cooked ?? null;
  }
  return null;
}

/** Rule that only looks at import sites. */
function importRule(
  check: (kind: FileKind, site: ImportSite) => string | null,
): Deno.lint.Rule {
  return {
    create(ctx) {
      const kind = classify(ctx.filename);
      return importVisitors((site) => {
        const message = check(kind, site);
        if (message !== null) ctx.report({ node: site.node, message });
      });
    },
  };
}

/**
 * Rule that reports references to the global `names` (also through
 * `globalThis.x` and `"x" in globalThis`) in files where `applies` holds.
 * Reports wait for `Program:exit`, so that names the file binds itself are
 * known.
 */
function globalsRule(
  names: ReadonlySet<string>,
  applies: (kind: FileKind) => boolean,
  message: (name: string) => string,
  extra?: (kind: FileKind, ctx: Deno.lint.RuleContext) => Deno.lint.LintVisitor,
): Deno.lint.Rule {
  return {
    create(ctx) {
      const kind = classify(ctx.filename);
      if (!applies(kind)) return {};
      const bound = new Set<string>();
      const found = new Map<number, { node: Deno.lint.Node; name: string }>();
      const hit = (node: Deno.lint.Node, name: string) => {
        if (names.has(name)) found.set(node.range[0], { node, name });
      };
      return mergeVisitors(extra?.(kind, ctx) ?? {}, bindingVisitors(bound), {
        Identifier(node) {
          if (names.has(node.name) && isReference(node)) hit(node, node.name);
        },
        MemberExpression(node) {
          if (!isGlobalObject(node.object)) return;
          const p = node.property;
          if (!node.computed && p.type === "Identifier") hit(node, p.name);
          const s = node.computed ? staticString(p) : null;
          if (s !== null) hit(node, s);
        },
        BinaryExpression(node) {
          const s = staticString(node.left);
          const inGlobal = node.operator === "in" && isGlobalObject(node.right);
          if (s !== null && inGlobal) hit(node, s);
        },
        "Program:exit"() {
          for (const { node, name } of found.values()) {
            if (!bound.has(name)) ctx.report({ node, message: message(name) });
          }
        },
      });
    },
  };
}

/** Combines visitor objects; handlers for one node type all run, in order. */
function mergeVisitors(
  ...visitors: Deno.lint.LintVisitor[]
): Deno.lint.LintVisitor {
  type Handler = (node: Deno.lint.Node) => void;
  const handlers = new Map<string, Handler[]>();
  for (const v of visitors) {
    for (const [type, fn] of Object.entries(v) as [string, Handler][]) {
      if (fn) handlers.set(type, [...(handlers.get(type) ?? []), fn]);
    }
  }
  const merged: Record<string, Handler> = {};
  for (const [type, fns] of handlers) {
    merged[type] = (node) => {
      for (const fn of fns) fn(node);
    };
  }
  return merged;
}

function isGlobalObject(node: Deno.lint.Node): boolean {
  return node.type === "Identifier" && GLOBAL_OBJECTS.has(node.name);
}

/** False where an identifier names a property, key or label, not a value. */
function isReference(node: Deno.lint.Identifier): boolean {
  const p = node.parent;
  switch (p.type) {
    case "MemberExpression":
      return p.computed || p.object === node;
    case "Property":
      // Shorthand `{ process }` visits the key and the value, at one range.
      return p.computed || p.shorthand || p.key !== node;
    case "PropertyDefinition":
    case "MethodDefinition":
    case "TSPropertySignature":
    case "TSMethodSignature":
    case "TSAbstractPropertyDefinition":
    case "TSAbstractMethodDefinition":
      return p.computed || p.key !== node;
    case "TSQualifiedName":
      return p.left === node;
    case "LabeledStatement":
    case "BreakStatement":
    case "ContinueStatement":
    case "ImportSpecifier":
    case "ExportSpecifier":
    case "TSEnumMember":
      return false;
    default:
      return true;
  }
}

/** Visitors that add every name the file declares to `bound`. */
function bindingVisitors(bound: Set<string>): Deno.lint.LintVisitor {
  const fn = (
    node: { id?: Deno.lint.Node | null; params: Deno.lint.Parameter[] },
  ) => {
    if (node.id) addPattern(bound, node.id);
    for (const p of node.params) addPattern(bound, p);
  };
  return {
    VariableDeclarator: (node) => addPattern(bound, node.id),
    FunctionDeclaration: fn,
    FunctionExpression: fn,
    ArrowFunctionExpression: fn,
    ClassDeclaration: (node) => node.id && addPattern(bound, node.id),
    CatchClause: (node) => node.param && addPattern(bound, node.param),
    ImportDefaultSpecifier: (node) => bound.add(node.local.name),
    ImportNamespaceSpecifier: (node) => bound.add(node.local.name),
    ImportSpecifier: (node) => bound.add(node.local.name),
    TSModuleDeclaration: (node) => addPattern(bound, node.id),
  };
}

function addPattern(
  bound: Set<string>,
  node: Deno.lint.Node | Deno.lint.Parameter,
): void {
  switch (node.type) {
    case "Identifier":
      bound.add(node.name);
      break;
    case "ObjectPattern":
      for (const p of node.properties) {
        addPattern(bound, p.type === "Property" ? p.value : p);
      }
      break;
    case "ArrayPattern":
      for (const e of node.elements) if (e) addPattern(bound, e);
      break;
    case "RestElement":
      addPattern(bound, node.argument);
      break;
    case "AssignmentPattern":
      addPattern(bound, node.left);
      break;
    case "TSParameterProperty":
      addPattern(bound, node.parameter);
      break;
  }
}

const RUNTIME_HINT =
  "go through an interface in src/runtime/types.ts, received as a prop";

function checkRuntimeImport(kind: FileKind, site: ImportSite): string | null {
  if (!kind.core) return null;
  const { spec } = site;
  const base = builtinBase(spec);
  const isRuntime = spec.startsWith("bun:") ||
    (base !== null && RUNTIME_BUILTINS.has(base));
  if (!isRuntime) return null;
  return `"${spec}" is imported outside src/runtime and src/main.ts: ${RUNTIME_HINT}`;
}

const runtimeIsolation = globalsRule(
  RUNTIME_GLOBALS,
  (kind) => kind.core,
  (name) =>
    `runtime global "${name}" is used outside src/runtime and src/main.ts: ${RUNTIME_HINT}`,
  (kind, ctx) =>
    importVisitors((site) => {
      const message = checkRuntimeImport(kind, site);
      if (message !== null) ctx.report({ node: site.node, message });
    }),
);

const ALLOWED_RUNTIME_FILES: ReadonlySet<string> = new Set([
  "src/runtime/types.ts",
  "src/runtime/errors.ts",
]);

const runtimeInternals = importRule((kind, { spec }) => {
  if (!kind.core) return null;
  const target = resolveRelative(kind.rel, spec);
  if (target === null) return null;
  if (target !== "src/runtime" && !target.startsWith("src/runtime/")) {
    return null;
  }
  if (target.startsWith("src/runtime/memory/")) return null; // test-only-imports
  if (ALLOWED_RUNTIME_FILES.has(target)) return null;
  return `"${spec}" reaches into src/runtime: the core imports only src/runtime/types.ts and src/runtime/errors.ts`;
});

const nodeAllowlist = importRule((kind, { spec }) => {
  if (!kind.core) return null;
  const base = builtinBase(spec);
  if (base === null || RUNTIME_BUILTINS.has(base)) return null;
  if (CORE_NODE_ALLOWLIST.has(base)) return null;
  const allowed = [...CORE_NODE_ALLOWLIST].join(", ");
  return `"${spec}" is not on the core's built-in allow-list: allowed are ${allowed}`;
});

/** Where each bounded package may be imported (paths relative to the root). */
const PACKAGE_HOMES: Record<
  string,
  (rel: string, typeOnly: boolean) => boolean
> = {
  yaml: (rel) => rel.startsWith("src/config/"),
  kysely: (rel, typeOnly) =>
    rel.startsWith("src/storage/") || rel.endsWith("_store.ts") ||
    (rel === "src/app.ts" && typeOnly),
  pg: (rel) => rel.startsWith("src/storage/"),
  mailauth: (rel) => rel.startsWith("src/msgauth/"),
};

const HOME_TEXT: Record<string, string> = {
  yaml: "src/config/",
  kysely: "src/storage/ and *_store.ts (src/app.ts: import type only)",
  pg: "src/storage/",
  mailauth: "src/msgauth/",
};

const packageBoundaries = importRule((kind, { spec, typeOnly }) => {
  if (!kind.prod) return null;
  const pkg = packageName(spec);
  const home = pkg === null ? undefined : PACKAGE_HOMES[pkg];
  if (pkg === null || home === undefined || home(kind.rel, typeOnly)) {
    return null;
  }
  return `"${spec}" is imported outside its home: "${pkg}" belongs only in ${
    HOME_TEXT[pkg]
  }`;
});

function isTestOnlyTarget(target: string): boolean {
  return target.startsWith("src/testing/") ||
    target.startsWith("src/runtime/memory/") ||
    (target.startsWith("src/") && isTestPath(target));
}

const testOnlyImports = importRule((kind, { spec }) => {
  if (!kind.prod) return null;
  const target = resolveRelative(kind.rel, spec);
  if (target === null || !isTestOnlyTarget(target)) return null;
  // The fakes in src/runtime/memory/ may import one another.
  const memory = "src/runtime/memory/";
  if (target.startsWith(memory) && kind.rel.startsWith(memory)) return null;
  return `"${spec}" is test code: import it only from *_test.ts files and tests/`;
});

const consoleOnlyInLog = globalsRule(
  new Set(["console"]),
  (kind) => kind.prod && !kind.rel.startsWith("src/log/"),
  () =>
    `"console" is used outside src/log: write through an injected logger or writer`,
);

const noRemoteSpecifiers = importRule((_kind, { spec }) => {
  if (spec.startsWith("jsr:")) {
    return `"${spec}" is a jsr: specifier: jsr is unreachable, use built-ins or npm packages`;
  }
  if (spec.startsWith("npm:")) {
    return `"${spec}" is an inline npm: specifier: import "${
      packageName(spec.slice(4).replace(/(.)@[^/]*/, "$1")) ?? spec
    }" by bare name and pin it in package.json`;
  }
  return null;
});

/** The chaski architecture plugin; see the module documentation. */
const plugin: Deno.lint.Plugin = {
  name: "chaski",
  rules: {
    "runtime-isolation": runtimeIsolation,
    "runtime-internals": runtimeInternals,
    "node-allowlist": nodeAllowlist,
    "package-boundaries": packageBoundaries,
    "test-only-imports": testOnlyImports,
    "console-only-in-log": consoleOnlyInLog,
    "no-remote-specifiers": noRemoteSpecifiers,
  },
};
export default plugin;
