import type { PairRelay } from "../../durable-objects/pair-relay.ts";
import type { RelayJurisdiction } from "../../protocol/relay-placement.ts";
import { HttpError } from "../http/errors.ts";

type RelayNamespace = DurableObjectNamespace<PairRelay>;

/**
 * The namespace a pair's object lives in: the one restricted to `jurisdiction`
 * (its objects run and store data only there), or the default one. Local
 * workerd has no jurisdictions and throws; that is answered as a clear 501
 * rather than by quietly placing the relay outside the jurisdiction asked for.
 */
export function relayNamespace(ns: RelayNamespace, jurisdiction: RelayJurisdiction | null): RelayNamespace {
  if (!jurisdiction) return ns;
  try {
    return ns.jurisdiction(jurisdiction);
  } catch (e) {
    throw new HttpError(
      501,
      "jurisdiction_unavailable",
      `relay.jurisdiction "${jurisdiction}" cannot be honoured by this runtime (${(e as Error).message}); unset it or deploy to Cloudflare.`,
    );
  }
}

/** Every namespace a pair's object may be in, for revocation: the default one and the jurisdiction's, where it exists. */
export function relayNamespacesForCleanup(
  ns: RelayNamespace,
  jurisdiction: RelayJurisdiction | null,
): RelayNamespace[] {
  if (!jurisdiction) return [ns];
  try {
    return [ns, ns.jurisdiction(jurisdiction)];
  } catch {
    // No jurisdictions here (local workerd): no object can exist in one.
    return [ns];
  }
}
