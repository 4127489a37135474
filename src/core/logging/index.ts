/**
 * Structured logging (winston): JSON lines in production and in pipes, a
 * readable line on a terminal. Logs go to stderr so that `--json` output on
 * stdout stays machine-readable. Every entry passes through `redact` first,
 * so a credential never reaches a log line, whoever logged it.
 */
import winston from 'winston';

const SECRET_KEY = /(secret|token|password|passwd|private_?key|api_?key|authorization|credential|cookie|assertion)/i;
const SECRET_IN_TEXT: Array<[RegExp, string]> = [
  [/\b(Bearer|SSWS|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
  [/\b(rst|rsk)_[A-Za-z0-9_-]{16,}/g, '$1_[redacted]'],
  [/(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/gi, '$1[redacted]@'],
];

export function redactText(text: string): string {
  return SECRET_IN_TEXT.reduce((acc, [re, rep]) => acc.replace(re, rep), text);
}

/**
 * A failed query's error carries the statement's parameters: drizzle puts
 * them in its message (`Failed query: …\nparams: bob@x.test,…`), and
 * postgres.js attaches them as `parameters`. They are users' data (userNames,
 * emails), so a log keeps the statement and drops its parameters.
 */
const QUERY_PARAMS = /(Failed query: [\s\S]*?)\nparams: [\s\S]*?(?=\n {4}at |$)/g;
/** Postgres quotes the offending value in some messages (`invalid input syntax for type uuid: "…"`). */
const QUOTED_VALUE = /(: )"[^"]*"/g;

function redactError(error: Error, depth: number): Record<string, unknown> {
  const scrub = (text: string) => redactText(text.replace(QUERY_PARAMS, '$1\nparams: [redacted]'));
  const code = (error as { code?: unknown }).code;
  const isPostgres = typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
  const message = isPostgres ? scrub(error.message).replace(QUOTED_VALUE, '$1"[redacted]"') : scrub(error.message);
  const out: Record<string, unknown> = { name: error.name, message };
  if (typeof code === 'string') out.code = code;
  if (error.stack) out.stack = isPostgres ? scrub(error.stack).replace(QUOTED_VALUE, '$1"[redacted]"') : scrub(error.stack);
  // The driver's error under drizzle's wrapping says why (a lost connection, a constraint).
  if (error.cause instanceof Error && depth < 4) out.cause = redactError(error.cause, depth + 1);
  return out;
}

/** Deep copy of `value` with secret-named keys and secret-looking strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) return redactError(value, 0);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? '[redacted]' : redact(v, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level') continue;
    const v = (info as Record<string, unknown>)[key];
    (info as Record<string, unknown>)[key] =
      SECRET_KEY.test(key) && v !== null && v !== undefined && typeof v !== 'boolean' ? '[redacted]' : redact(v);
  }
  return info;
});

const prettyLine = winston.format.printf((info) => {
  const { level, message, timestamp, component, ...rest } = info as Record<string, unknown>;
  const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
  const scope = component ? ` [${String(component)}]` : '';
  return `${String(timestamp)} ${String(level)}${scope} ${String(message)}${extra}`;
});

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
}

export type Logger = winston.Logger;

export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          redactFormat(),
          winston.format.timestamp({ format: 'HH:mm:ss' }),
          winston.format.colorize(),
          prettyLine,
        );
  return winston.createLogger({
    level: options.level,
    format,
    transports: [
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
      }),
    ],
  });
}

/** A logger that drops everything (tests, library use without a host logger). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
