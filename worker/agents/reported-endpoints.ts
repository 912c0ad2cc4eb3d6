import type { HeartbeatRequest } from "../../protocol/api.ts";
import { acceptableCandidates } from "./candidates.ts";
import { observedEndpoint } from "./endpoint.ts";

/** At most this many endpoints are kept per agent. */
const MAX_ENDPOINTS = 32;

/**
 * The endpoints an agent's report (HTTP heartbeat or control-channel status) leaves in the
 * netmap. The address the platform saw comes first: behind a NAT it is the one a peer can reach.
 */
export function reportedEndpoints(
  input: Pick<HeartbeatRequest, "endpoints" | "listenPort">,
  source: string | undefined,
): { observed: string | null; endpoints: string[] } {
  const observed = observedEndpoint(source, input.listenPort);
  const reported = acceptableCandidates(input.endpoints, source);
  const endpoints =
    observed && acceptableCandidates([observed], source).length > 0
      ? [observed, ...reported.filter((e) => e !== observed)]
      : reported;
  return { observed, endpoints: endpoints.slice(0, MAX_ENDPOINTS) };
}
