/**
 * Architecture rules as a Deno lint plugin (see STYLE.md "Tooling").
 * Placeholder until the rules land; see scripts/lint_plugin_test.ts.
 *
 * @module
 */
const plugin: Deno.lint.Plugin = { name: "chaski", rules: {} };
export default plugin;
