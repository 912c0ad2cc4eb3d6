/**
 * A levelled, line-oriented logger. The level can change while the agent runs
 * (it comes from agent values). Callers pass structured fields; nothing here
 * ever formats a credential, PSK or key, because callers never hand them in:
 * keep it that way.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  level: LogLevel;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  level: LogLevel = "info",
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  json = false,
): Logger {
  const rank = (l: LogLevel) => LOG_LEVELS.indexOf(l);
  const logger: Logger = {
    level,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
  function emit(l: LogLevel, msg: string, fields?: Record<string, unknown>) {
    if (rank(l) < rank(logger.level)) return;
    const time = new Date().toISOString();
    if (json) {
      write(JSON.stringify({ time, level: l, msg, ...fields }));
      return;
    }
    const extra = fields
      ? Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ")
      : "";
    write(`${time} ${l.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ""}`);
  }
  return logger;
}
