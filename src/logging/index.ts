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

/** Deep copy of `value` with secret-named keys and secret-looking strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack) };
  }
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
