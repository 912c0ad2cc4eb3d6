/**
 * Full-jitter exponential backoff. A deploy drops every relay and control socket at once;
 * jitter spreads the reconnects so the fleet does not stampede the platform.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 200,
    private readonly maxMs = 10_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt: uniform in [0, min(max, base * 2^attempt)]. */
  next(): number {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.floor(this.random() * cap);
  }

  reset(): void {
    this.attempt = 0;
  }
}
