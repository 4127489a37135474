/**
 * The CLI's one mapping from what a command threw to what the user sees: a
 * line on stderr and the exit code. Roster's typed errors (src/core/errors) print
 * their message, redacted and with terminal controls escaped, and exit 1;
 * commander's usage errors were printed by commander and exit 2; anything else
 * is a programming error: exit 70 with only an id, the details in the debug log.
 */
import { randomUUID } from 'node:crypto';
import { CommanderError } from 'commander';
import { isRosterError } from '../../core/errors/index.js';
import { redactText } from '../../core/logging/index.js';
import { escapeControl } from './output.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

export interface CliFailure {
  exitCode: number;
  /** The line for stderr (newline included); none when commander has printed its own. */
  line?: string;
  /** Set for an internal error: the id its debug log entry carries. */
  errorId?: string;
}

export function cliFailure(err: unknown): CliFailure {
  if (err instanceof CommanderError) return { exitCode: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
  if (isRosterError(err) && err.expose) return { exitCode: EXIT.failed, line: `roster: ${escapeControl(redactText(err.message))}\n` };
  const errorId = randomUUID().slice(0, 8);
  return { exitCode: EXIT.internal, line: `roster: internal error (id ${errorId}); run with LOG_LEVEL=debug for details\n`, errorId };
}
