import { eq } from "drizzle-orm";
import { parseDocument } from "yaml";
import { PeeringPolicy } from "../../protocol/api.ts";
import { RelayJurisdiction } from "../../protocol/relay-placement.ts";
import type { Db } from "../db/client.ts";
import { platformConfig } from "../db/schema.ts";
import { HttpError } from "../http/errors.ts";
import { isValuesMap, type ValuesMap } from "./helm-merge.ts";
import { parseYamlMap } from "./parse-yaml.ts";

export const DEFAULT_CONFIG_YAML = "agentValues: {}\n";
const CONFIG_ROW_ID = 1;

/** The platform's values document, with the keys the platform itself acts on pulled out. */
export interface PlatformConfig {
  yaml: string;
  values: ValuesMap;
  /** The `agentValues` section ({} when absent or null). */
  agentValues: ValuesMap;
  /** The document minus `agentValues`: what agents inherit while agentValues is empty. */
  platformValues: ValuesMap;
  peering: PeeringPolicy;
  platformUrl: string | null;
  /** `relay.jurisdiction`: every pair relay is created inside it (data residency); null: anywhere. */
  relayJurisdiction: RelayJurisdiction | null;
}

function invalid(key: string, message: string): HttpError {
  return new HttpError(422, "invalid_config", message, { key });
}

/** Throws 422 unless the parsed document's platform-owned keys have usable values. */
export function validateConfigValues(values: ValuesMap): void {
  const agentValues = values.agentValues;
  if (agentValues !== undefined && agentValues !== null && !isValuesMap(agentValues)) {
    throw invalid("agentValues", "agentValues must be a map of keys to values.");
  }
  const peering = values.peering;
  if (peering !== undefined && !PeeringPolicy.safeParse(peering).success) {
    const allowed = PeeringPolicy.options.map((p) => `"${p}"`).join(" or ");
    throw invalid("peering", `peering must be ${allowed}.`);
  }
  const relay = values.relay;
  if (relay !== undefined && relay !== null && !isValuesMap(relay)) {
    throw invalid("relay", "relay must be a map (relay.jurisdiction).");
  }
  const jurisdiction = isValuesMap(relay) ? relay.jurisdiction : undefined;
  if (
    jurisdiction !== undefined &&
    jurisdiction !== null &&
    !RelayJurisdiction.safeParse(jurisdiction).success
  ) {
    const allowed = RelayJurisdiction.options.map((j) => `"${j}"`).join(", ");
    throw invalid("relay.jurisdiction", `relay.jurisdiction must be one of ${allowed}, or null.`);
  }
  const url = values.platformUrl;
  if (url !== undefined && (typeof url !== "string" || !isHttpUrl(url))) {
    throw invalid("platformUrl", "platformUrl must be an http:// or https:// URL.");
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** Assumes the document passed validateConfigValues when written; still degrades to defaults rather than failing reads. */
export function interpretConfig(yaml: string): PlatformConfig {
  const parsed = parseYamlMap(yaml);
  const values = parsed.ok ? parsed.value : {};
  const agentValues = isValuesMap(values.agentValues) ? values.agentValues : {};
  const platformValues: ValuesMap = { ...values };
  delete platformValues.agentValues;
  const peering = values.peering === "mesh" ? "mesh" : "hub";
  const platformUrl =
    typeof values.platformUrl === "string" && isHttpUrl(values.platformUrl)
      ? values.platformUrl.replace(/\/+$/, "")
      : null;
  const jurisdiction = RelayJurisdiction.safeParse(
    isValuesMap(values.relay) ? values.relay.jurisdiction : undefined,
  );
  const relayJurisdiction = jurisdiction.success ? jurisdiction.data : null;
  return { yaml, values, agentValues, platformValues, peering, platformUrl, relayJurisdiction };
}

export function configRowQuery(db: Db) {
  return db
    .select({ yaml: platformConfig.yaml })
    .from(platformConfig)
    .where(eq(platformConfig.id, CONFIG_ROW_ID));
}

export function configFromRows(rows: { yaml: string }[]): PlatformConfig {
  return interpretConfig(rows[0]?.yaml ?? DEFAULT_CONFIG_YAML);
}

export async function loadConfig(db: Db): Promise<PlatformConfig> {
  return configFromRows(await configRowQuery(db));
}

export async function saveConfigYaml(db: Db, yaml: string, now: number): Promise<void> {
  await db
    .insert(platformConfig)
    .values({ id: CONFIG_ROW_ID, yaml, updatedAt: now })
    .onConflictDoUpdate({ target: platformConfig.id, set: { yaml, updatedAt: now } });
}

/** Replaces only the agentValues section, keeping the rest of the text (comments included) as written. */
export function replaceAgentValues(yaml: string, agentValues: ValuesMap): string {
  const doc = parseDocument(yaml, { logLevel: "error" });
  if (doc.errors.length > 0 || !(doc.contents === null || isValuesMap(doc.toJS()))) {
    // The stored text is unusable as a document to edit; start a fresh one.
    return freshDocWith(agentValues);
  }
  doc.set("agentValues", doc.createNode(agentValues));
  return doc.toString();
}

function freshDocWith(agentValues: ValuesMap): string {
  const doc = parseDocument("");
  doc.set("agentValues", doc.createNode(agentValues));
  return doc.toString();
}
