// The OpenAPI 3.1 document for /api/v1 and the values endpoints, built from the same zod schemas
// the routes validate with (zod 4's toJSONSchema emits JSON Schema 2020-12, OpenAPI 3.1's dialect).
// Checks a schema cannot express (an endpoint's host shape, YAML semantics) are enforced by the
// Worker and answered 400/422, which every operation documents.
import { z } from "zod";
import {
  AgentValuesResponse,
  ApiErrorBody,
  Cluster,
  ClusterDetail,
  ConfigResponse,
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  CreateClusterRequest,
  CreateClusterResponse,
  EffectiveValuesResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  ListAccessKeysResponse,
  ListClusterEventsResponse,
  ListClustersResponse,
  Netmap,
  PatchClusterRequest,
  RegisterRequest,
  RegisterResponse,
  RevokeClusterResponse,
  RotatePskResponse,
  ValuesSource,
} from "../../protocol/api.ts";
import { MAX_NAME_LENGTH } from "../../protocol/cluster-name.ts";

type Json = Record<string, unknown>;

function schema(s: z.ZodType, io: "input" | "output"): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Json;
  delete out.$schema;
  return out;
}

const error = { content: { "application/json": { schema: schema(ApiErrorBody, "output") } } };
// A values map, as YAML; schemathesis (and any client) parses the YAML before checking the schema.
const yamlText = { content: { "application/yaml": { schema: { type: "object" } } } };

const ERROR_TEXT: Record<string, string> = {
  "400": "Malformed request: bad JSON, a field out of bounds, or an unknown query value",
  "401": "Missing or invalid credential",
  "403": "The access key's scope does not allow this",
  "404": "No such object",
  "405": "Known path, other method (the Allow header lists the methods)",
  "409": "Conflict with the current state",
  "413": "Request body over 256 KiB",
  "422": "Well-formed but refused values (the message says which and why)",
  "426": "Upgrade required: this path speaks WebSocket only",
  "429": "Too many failed registrations from this address (Retry-After says when to try again)",
};

function errors(...codes: string[]): Json {
  return Object.fromEntries(codes.map((c) => [c, { description: ERROR_TEXT[c] ?? c, ...error }]));
}

function ok(status: string, description: string, body?: z.ZodType): Json {
  if (body === undefined) return { [status]: { description } };
  return { [status]: { description, content: { "application/json": { schema: schema(body, "output") } } } };
}

function jsonBody(s: z.ZodType): Json {
  return { required: true, content: { "application/json": { schema: schema(s, "input") } } };
}

const nameParam = {
  name: "name",
  in: "path",
  required: true,
  schema: { type: "string", minLength: 1, maxLength: MAX_NAME_LENGTH },
};

const valuesBody = {
  required: true,
  content: {
    "application/json": { schema: { type: "object" } },
    "application/yaml": { schema: { type: "string" } },
  },
};

/** Every request needs a method the path has, and a body within the limit; these apply to all. */
const COMMON = ["400", "405", "413"];
const ADMIN = [...COMMON, "401", "403"];

function valuesOperation(operationId: string, summary: string): Json {
  return {
    get: {
      operationId,
      summary,
      security: [{ accessKey: [] }, { valuesToken: [] }],
      parameters: [
        nameParam,
        { name: "source", in: "query", required: false, schema: schema(ValuesSource, "input") },
        { name: "token", in: "query", required: false, schema: { type: "string" } },
      ],
      responses: {
        "200": {
          description:
            "Helm-ready YAML; with Accept: application/json (or ?format=json) the values with the keys the agent does not use",
          content: {
            ...yamlText.content,
            "application/json": { schema: schema(EffectiveValuesResponse, "output") },
          },
        },
        ...errors(...ADMIN, "404"),
      },
    },
  };
}

/** Built once per isolate: it depends on nothing but the schemas. */
let cached: Json | null = null;

export function openApiDocument(): Json {
  cached ??= buildDocument();
  return cached;
}

function buildDocument(): Json {
  return {
    openapi: "3.1.0",
    info: {
      title: "Tether platform API",
      version: "v1",
      description:
        "Access keys, clusters, PSKs, the platform config and agent values; agent registration, heartbeat and netmap.",
    },
    // Relative: the document is served by the platform it describes, whatever its URL.
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        accessKey: { type: "http", scheme: "bearer", description: "An access key (tak_...)" },
        agentCredential: { type: "http", scheme: "bearer", description: "An agent credential (tac_...)" },
        valuesToken: { type: "apiKey", in: "query", name: "token", description: "A values:read access key" },
      },
    },
    security: [{ accessKey: [] }],
    paths: {
      "/api/v1/access-keys": {
        get: {
          operationId: "listAccessKeys",
          responses: { ...ok("200", "Every access key", ListAccessKeysResponse), ...errors(...ADMIN) },
        },
        post: {
          operationId: "createAccessKey",
          requestBody: jsonBody(CreateAccessKeyRequest),
          responses: {
            ...ok("201", "The key, shown once", CreateAccessKeyResponse),
            // 404: a cluster-values:read key for a cluster that does not exist.
            ...errors(...ADMIN, "404"),
          },
        },
      },
      "/api/v1/access-keys/{id}": {
        delete: {
          operationId: "deleteAccessKey",
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { ...ok("204", "Deleted"), ...errors(...ADMIN, "404") },
        },
      },
      "/api/v1/clusters": {
        get: {
          operationId: "listClusters",
          parameters: [
            {
              name: "limit",
              in: "query",
              required: false,
              schema: { type: "integer", minimum: 1, maximum: 100 },
            },
            { name: "cursor", in: "query", required: false, schema: { type: "string" } },
          ],
          responses: { ...ok("200", "One page of clusters", ListClustersResponse), ...errors(...ADMIN) },
        },
        post: {
          operationId: "createCluster",
          requestBody: jsonBody(CreateClusterRequest),
          responses: {
            ...ok("201", "The cluster, its PSK (shown once) and connect commands", CreateClusterResponse),
            ...errors(...ADMIN, "409", "422"),
          },
        },
      },
      "/api/v1/clusters/{name}": {
        parameters: [nameParam],
        get: {
          operationId: "getCluster",
          responses: {
            ...ok("200", "The cluster and where its pair relays were placed", ClusterDetail),
            ...errors(...ADMIN, "404"),
          },
        },
        patch: {
          operationId: "patchCluster",
          requestBody: jsonBody(PatchClusterRequest),
          responses: {
            ...ok("200", "The updated cluster", Cluster),
            // 409: local: true while another cluster is local.
            ...errors(...ADMIN, "404", "409", "422"),
          },
        },
        delete: {
          operationId: "deleteCluster",
          responses: { ...ok("204", "Deleted, with its PSK and agent"), ...errors(...ADMIN, "404") },
        },
      },
      "/api/v1/clusters/{name}/events": {
        get: {
          operationId: "listClusterEvents",
          parameters: [
            nameParam,
            {
              name: "limit",
              in: "query",
              required: false,
              schema: { type: "integer", minimum: 1, maximum: 100 },
            },
            {
              name: "before",
              in: "query",
              required: false,
              description: "A nextCursor: events older than it",
              schema: { type: "string" },
            },
          ],
          responses: {
            ...ok("200", "The cluster's events, newest first", ListClusterEventsResponse),
            ...errors(...ADMIN, "404"),
          },
        },
      },
      "/api/v1/clusters/{name}/revoke": {
        post: {
          operationId: "revokeClusterAgent",
          description:
            "Cuts the cluster's agent off and keeps the cluster: its credential, PSK and values keys stop working, its control channel and relays close, and its peers drop it. Idempotent. Rotate the PSK and register again to reconnect.",
          parameters: [nameParam],
          responses: {
            ...ok(
              "200",
              "The cluster, as GET answers it, with CredentialRevoked True",
              RevokeClusterResponse,
            ),
            ...errors(...ADMIN, "404"),
          },
        },
      },
      "/api/v1/clusters/{name}/rotate-psk": {
        post: {
          operationId: "rotatePsk",
          parameters: [nameParam],
          responses: {
            ...ok("200", "The new PSK (shown once); the old one stops working", RotatePskResponse),
            ...errors(...ADMIN, "404", "409"),
          },
        },
      },
      "/api/v1/config": {
        get: {
          operationId: "getConfig",
          responses: { ...ok("200", "The platform config", ConfigResponse), ...errors(...ADMIN) },
        },
        put: {
          operationId: "putConfig",
          requestBody: valuesBody,
          responses: { ...ok("200", "The stored config", ConfigResponse), ...errors(...ADMIN, "422") },
        },
      },
      "/api/v1/config/agent-values": {
        get: {
          operationId: "getPlatformAgentValues",
          responses: { ...ok("200", "The agentValues section", AgentValuesResponse), ...errors(...ADMIN) },
        },
        put: {
          operationId: "putPlatformAgentValues",
          requestBody: valuesBody,
          responses: { ...ok("200", "The stored config", ConfigResponse), ...errors(...ADMIN, "422") },
        },
      },
      "/api/v1/agent/register": {
        post: {
          operationId: "registerAgent",
          security: [],
          requestBody: jsonBody(RegisterRequest),
          responses: {
            ...ok("200", "A credential and the cluster's mesh address", RegisterResponse),
            ...errors(...COMMON, "401", "409", "429"),
          },
        },
      },
      "/api/v1/agent/heartbeat": {
        post: {
          operationId: "heartbeat",
          security: [{ agentCredential: [] }],
          requestBody: jsonBody(HeartbeatRequest),
          responses: {
            ...ok("200", "Versions to compare", HeartbeatResponse),
            ...errors(...COMMON, "401"),
          },
        },
      },
      "/api/v1/agent/netmap": {
        get: {
          operationId: "netmap",
          security: [{ agentCredential: [] }],
          responses: { ...ok("200", "Who this agent may talk to", Netmap), ...errors(...COMMON, "401") },
        },
      },
      "/api/v1/agent/control": {
        get: {
          operationId: "controlChannel",
          description:
            "The agent's control channel: a WebSocket upgrade (Upgrade: websocket). Messages are JSON text frames; their schemas are in protocol/control.ts.",
          security: [{ agentCredential: [] }],
          responses: {
            "101": { description: "Switching Protocols: the channel is open" },
            ...errors(...COMMON, "401", "426"),
          },
        },
      },
      "/api/v1/agent/values": {
        get: {
          operationId: "agentOwnValues",
          security: [{ agentCredential: [] }],
          responses: {
            "200": { description: "This agent's effective values", ...yamlText },
            ...errors(...COMMON, "401"),
          },
        },
      },
      "/clusters/{name}": valuesOperation("clusterValues", "Agent values for one cluster (Helm --values)"),
      "/clusters/agent-values/{name}": valuesOperation("clusterValuesLegacy", "The same, at the older URL"),
    },
  };
}
