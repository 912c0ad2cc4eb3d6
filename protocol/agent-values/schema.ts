// The JSON Schema of the values the agent applies: the one source for the platform (which refuses
// values that break it on write), the agent (which reports what it applied and rejected by it) and
// the Helm chart (whose values.schema.json carries these properties verbatim; a test compares them).
// A plain object, no validator here: the web UI's bundle may import it.

export const AGENT_VALUES_DEFINITIONS = {
  hostPort: {
    type: "string",
    title: '"host:port"',
    pattern: "^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):([0-9]{1,5})$",
  },
  port: { type: "integer", minimum: 1, maximum: 65535 },
} as const;

export const AGENT_VALUES_PROPERTIES = {
  logLevel: { enum: ["debug", "info", "warn", "error"] },
  relay: {
    type: "object",
    properties: { mode: { enum: ["auto", "always", "never"] } },
  },
  persistentKeepalive: {
    type: "integer",
    minimum: 0,
    maximum: 3600,
    description: "Seconds; 0 turns it off.",
  },
  mtu: { type: "integer", minimum: 576, maximum: 1420 },
  stunServers: { type: "array", items: { $ref: "#/definitions/hostPort" } },
  expose: {
    type: "array",
    items: {
      type: "object",
      required: ["port", "target"],
      properties: {
        port: { $ref: "#/definitions/port" },
        target: { $ref: "#/definitions/hostPort" },
      },
    },
  },
  forward: {
    type: "array",
    items: {
      type: "object",
      required: ["listen", "to"],
      properties: {
        listen: {
          title: 'a port (0-65535) or "IPv4:port"',
          anyOf: [
            { type: "integer", minimum: 0, maximum: 65535 },
            {
              type: "string",
              pattern:
                "^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}:)?[0-9]{1,5}$",
            },
          ],
        },
        to: {
          type: "string",
          title: '"cluster:port" or "mesh-IP:port"',
          pattern: "^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?|([0-9]{1,3}\\.){3}[0-9]{1,3}):[0-9]{1,5}$",
        },
      },
    },
  },
} as const;

/** The agent's values: every key optional, unknown keys allowed (they may be for other components). */
export const AGENT_VALUES_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "tether agent values",
  type: "object",
  additionalProperties: true,
  definitions: AGENT_VALUES_DEFINITIONS,
  properties: AGENT_VALUES_PROPERTIES,
} as const;
