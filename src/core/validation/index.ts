/**
 * zod at the edges: a failed parse becomes one ValidationError whose message
 * names the field, so a CLI user or API caller can fix it without a stack.
 */
import type { z } from 'zod';
import { ValidationError } from '../errors/index.js';

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${[...issue.path.map(String), k].join('.')}"`).join(', ');
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}`;
  }
  if (/^[A-Z][a-z]/.test(message)) message = message[0]!.toLowerCase() + message.slice(1);
  return field ? `"${field}" ${message}` : message;
}

export function formatZodError(error: z.ZodError): string {
  return error.issues.slice(0, 3).map(describeIssue).join('; ');
}

/** Parse or throw a ValidationError prefixed with what was being parsed ("entra settings"). */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(`${what}: ${formatZodError(result.error)}`, {
    details: { issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
  });
}
