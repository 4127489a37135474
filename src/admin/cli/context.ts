/**
 * What every command module shares: the runtime a command runs an operation
 * and prints through, the common options and how a result is printed.
 * commands.ts and its siblings (admin, sync, token, webhook) all import it,
 * and none imports another, so the command tree has no import cycle.
 */
import { InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';
import type { Operation } from '../operations/index.js';
import { escapeStrings } from './output.js';

export interface CliRuntime {
  /** Run an operation wherever this invocation's database is; the result has the operation's type. */
  run<S extends z.ZodType, R>(op: Operation<S, R>, input: Record<string, unknown>, options?: { progressLabel?: string }): Promise<R>;
  print(text: string): void;
  migrate(): Promise<void>;
  serve(port: number | undefined): Promise<void>;
}

/** A command's parsed options, as commander hands them over. */
export type Opts = Record<string, unknown> & { json?: boolean };

export const CONNECTION_REF = '<connection> is the connection id or tenant/name (e.g. acme/okta).';
export const USER_REF = '<user> is a user id, tenant/userName (acme/ada@acme.test), or a userName with --tenant <slug>.';

/** Print a result: as JSON, or for people with every string from data escaped (IdP data may hold terminal controls). */
export function show<T>(rt: CliRuntime, opts: Opts, result: T, human: (r: T) => string): void {
  rt.print(opts.json ? JSON.stringify(result, null, 2) : human(escapeStrings(result)));
}

export const jsonOption = () => new Option('--json', 'print machine-readable JSON on stdout');

/** An option given as text (commander leaves it undefined when absent). */
export function textOption(opts: Opts, name: string): string | undefined {
  const value = opts[name];
  return typeof value === 'string' ? value : undefined;
}

export function parseIntOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return Number(value);
}

export function parseBooleanOption(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === 'on' || v === 'yes') return true;
  if (v === 'false' || v === 'off' || v === 'no') return false;
  throw new InvalidArgumentError(`"${value}" is not true or false`);
}
