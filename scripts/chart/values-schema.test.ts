import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { AGENT_VALUES_DEFINITIONS, AGENT_VALUES_PROPERTIES } from "../../protocol/agent-values/schema.ts";

const CHART_SCHEMA = new URL("../../deploy/helm/tether-agent/values.schema.json", import.meta.url);

describe("the chart's values.schema.json carries the agent values schema verbatim", () => {
  it("has every agent property and definition exactly as the platform and the agent check them", async () => {
    const chart = JSON.parse(await readFile(CHART_SCHEMA, "utf8")) as {
      properties: Record<string, unknown>;
      definitions: Record<string, unknown>;
    };
    for (const [key, schema] of Object.entries(AGENT_VALUES_PROPERTIES)) {
      expect(chart.properties[key], `properties.${key}`).toEqual(schema);
    }
    for (const [key, schema] of Object.entries(AGENT_VALUES_DEFINITIONS)) {
      expect(chart.definitions[key], `definitions.${key}`).toEqual(schema);
    }
  });
});
