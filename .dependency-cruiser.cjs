/**
 * Import rules, checked by `npm run lint:deps` (part of `npm test`).
 * The agent's layers, lowest first (docs/architecture.md, "Layers"): a module
 * may import its own layer and any lower rank, never a higher rank, and never
 * a different layer of the same rank. No import cycles anywhere.
 */
const AGENT_LAYERS = [
  ["util", 0],
  ["settings", 1],
  ["wireguard", 2],
  ["net", 2],
  ["transport", 2],
  ["relay", 3],
  ["tunnel", 3],
  ["control", 3],
  ["paths", 4],
  ["kube", 4],
  ["engine", 4],
  ["daemon", 5],
  ["peer", 5],
  ["cli", 6],
];

const layerRules = AGENT_LAYERS.map(([layer, rank]) => {
  const above = AGENT_LAYERS.filter(([other, r]) => other !== layer && r >= rank).map(([other]) => other);
  return {
    name: `agent-layer-${layer}`,
    comment: `agent/${layer}/ (rank ${rank}) must not import ${above.join(", ")}: a higher layer or a sibling`,
    severity: "error",
    from: { path: `^agent/${layer}/` },
    to: { path: `^agent/(${above.join("|")})/` },
  };
}).filter((rule) => !rule.to.path.endsWith("()/"));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Import cycles make layers meaningless and initialisation order fragile.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "protocol-is-shared-below-everything",
      comment: "protocol/ is imported by the Worker and the agent; it imports neither.",
      severity: "error",
      from: { path: "^protocol/" },
      to: { path: "^(agent|worker|durable-objects|test|bench)/" },
    },
    {
      name: "production-imports-no-tests",
      comment: "Production code never imports tests or test helpers.",
      severity: "error",
      from: { path: "^(agent|worker|protocol|durable-objects)/", pathNot: "\\.test\\.ts$" },
      to: { path: "(^test/|\\.test\\.ts$)" },
    },
    {
      name: "bench-imports-no-tests",
      comment:
        "Benches import no test files and nothing from the system or end-to-end suites (shared helpers live in test/helpers/).",
      severity: "error",
      from: { path: "^bench/" },
      to: { path: "(\\.test\\.ts$|^test/(system|e2e)/)" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|\\.wrangler|test-artifacts)/" },
    // Type-only imports count too: a cycle through types is still a cycle between modules.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js", ".mjs", ".cjs", ".json"] },
  },
};
