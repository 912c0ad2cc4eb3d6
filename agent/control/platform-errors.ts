/**
 * How a platform call fails, for every caller of the platform client (the CLI
 * and the agent's control client): the CLI turns these into one terminal line,
 * the agent re-registers on a 401 and retries the rest.
 */

/** The platform answered with its JSON error envelope (or at least a non-2xx status). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The platform could not be reached or did not answer in time. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}
