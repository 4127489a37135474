import { readFileSync } from 'node:fs';
import { ValidationError } from '../../core/errors/index.js';

/** Read a `--settings` file; every way it can be wrong is one message naming the file. */
export function readSettingsFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new ValidationError(`settings file "${file}": cannot read it (${reason})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`settings file "${file}" is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`settings file "${file}" must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Name the file in a settings validation error ("entra settings: ..." → "settings file "x.json": ..."). */
export function blameSettingsFile(err: unknown, file: string | undefined): unknown {
  if (!file || !(err instanceof ValidationError)) return err;
  const m = /^[a-z]+ settings: ([\s\S]*)$/.exec(err.message);
  return m ? new ValidationError(`settings file "${file}": ${m[1]}`, { details: err.details ?? {} }) : err;
}
