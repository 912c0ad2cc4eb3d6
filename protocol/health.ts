/**
 * The agent's health endpoint (`tether agent up --health-listen ADDR`), for orchestrators' probes:
 *
 *   GET /healthz  200 when the process is alive and its timer loop ticked recently, else 503
 *   GET /readyz   200 when the agent is registered and reached the control plane recently, else 503
 *
 * Both answer this JSON body either way, so a person reading a failing probe sees why.
 */
import { z } from "zod";

export const HealthReportSchema = z.object({
  ok: z.boolean(),
  check: z.enum(["alive", "ready"]),
  /** Why it is not ok; absent when ok. */
  reason: z.string().optional(),
  /** Milliseconds since the agent's loop last ticked. */
  tickAgeMs: z.number(),
  registered: z.boolean(),
  /** Milliseconds since the last successful heartbeat, or null if none yet. */
  controlAgeMs: z.number().nullable(),
});
export type HealthReport = z.infer<typeof HealthReportSchema>;
