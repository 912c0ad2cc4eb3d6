// The platform's HTTP API, shared by the Worker, the CLI, the agent and the web UI. Each shape is
// one zod schema (under api/) and the TypeScript type of the same name is inferred from it, so
// `RegisterResponse` is both the type and the schema (`RegisterResponse.parse(json)`).
// Everything here compiles for Node, workerd and the browser.

export * from "./api/access-keys.ts";
export * from "./api/agent.ts";
export * from "./api/clusters.ts";
export * from "./api/config.ts";
export * from "./api/constants.ts";
export * from "./api/endpoint.ts";
export * from "./api/errors.ts";
export * from "./api/events.ts";
export * from "./api/meta.ts";
export * from "./api/parse.ts";
