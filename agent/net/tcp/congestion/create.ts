import type { CongestionController, CongestionControlName } from "./controller.ts";
import { CubicController } from "./cubic.ts";
import { RenoController } from "./reno.ts";

/** The controller a connection uses, by the name in its TCP config (CUBIC unless told otherwise). */
export function createCongestionController(
  name: CongestionControlName,
  mss: number,
  initialSegments: number,
): CongestionController {
  return name === "reno"
    ? new RenoController(mss, initialSegments)
    : new CubicController(mss, initialSegments);
}
