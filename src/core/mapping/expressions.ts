/**
 * A connection's attribute expressions (`settings.expressions`): JSONata
 * (https://docs.jsonata.org) over the IdP's raw user record, one per standard
 * field and one per named custom attribute. Compiled and checked when the
 * connection is saved, so a typo is refused there and not found by a sync.
 */
import jsonata from 'jsonata';
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';

/** The standard fields an expression may replace (the common model's, minus ids and state). */
export const MAPPED_FIELDS = ['userName', 'email', 'displayName', 'givenName', 'familyName'] as const;
export type MappedField = (typeof MAPPED_FIELDS)[number];

/** Bounds that keep one connection's settings, and one user's evaluation, small. */
export const LIMITS = {
  customAttributes: 50,
  expressionLength: 2000,
  /** Per evaluation: JSONata's own guardrails (jsonata 2.2 `timeout`, `stack`, `sequence`). */
  timeoutMs: 50,
  stackDepth: 200,
  sequenceLength: 10_000,
  /** Per value: a string's length, an array's items; and the JSON size of one user's custom attributes. */
  stringLength: 2048,
  arrayItems: 100,
  customBytes: 16_384,
} as const;

/** A custom attribute's name: it becomes a JSON key in the API, SCIM and the event feed. */
export const CUSTOM_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export interface ExpressionsSetting {
  fields?: Partial<Record<MappedField, string>>;
  custom?: Record<string, string>;
}

export interface CompiledExpression {
  source: string;
  expression: jsonata.Expression;
}

export interface CompiledMapping {
  fields: Partial<Record<MappedField, CompiledExpression>>;
  custom: Record<string, CompiledExpression>;
  /** Top-level attribute names of the raw record the expressions read (what a provider must request). */
  attributes: string[];
}

/** Compile one expression, or say why not (JSONata's message and position). */
export function compileExpression(source: string): { ok: true; value: CompiledExpression } | { ok: false; error: string } {
  if (source.trim() === '') return { ok: false, error: 'must not be empty' };
  if (source.length > LIMITS.expressionLength) return { ok: false, error: `is longer than ${LIMITS.expressionLength} characters` };
  try {
    const expression = jsonata(source, { timeout: LIMITS.timeoutMs, stack: LIMITS.stackDepth, sequence: LIMITS.sequenceLength });
    return { ok: true, value: { source, expression } };
  } catch (err) {
    const e = err as { message?: string; position?: number };
    const at = typeof e.position === 'number' ? ` (at character ${e.position})` : '';
    return { ok: false, error: `is not a valid JSONata expression: ${e.message ?? String(err)}${at}` };
  }
}

const expressionText = z.string().superRefine((value, ctx) => {
  const compiled = compileExpression(value);
  if (!compiled.ok) ctx.addIssue({ code: 'custom', message: compiled.error });
});

/** The settings field, as the connection kinds' zod schemas include it. */
export const expressionsSetting = () =>
  z
    .strictObject({
      fields: z.strictObject(Object.fromEntries(MAPPED_FIELDS.map((f) => [f, expressionText.optional()])) as Record<MappedField, z.ZodOptional<typeof expressionText>>).optional(),
      custom: z
        .record(z.string(), expressionText)
        .superRefine((custom, ctx) => {
          const names = Object.keys(custom);
          if (names.length > LIMITS.customAttributes) ctx.addIssue({ code: 'custom', message: `at most ${LIMITS.customAttributes} custom attributes` });
          for (const name of names) {
            if (!CUSTOM_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid name (a letter, then letters, digits or _; at most 64)' });
          }
        })
        .optional(),
    })
    .optional();

/**
 * The compiled expressions of a connection's settings, or null when it has
 * none (the common case: then nothing is evaluated and no raw record kept).
 */
export function compileMapping(setting: unknown): CompiledMapping | null {
  if (setting === undefined || setting === null) return null;
  const parsed = expressionsSetting().safeParse(setting);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`expressions.${issue.path.join('.')} ${issue.message}`, { details: { field: ['expressions', ...issue.path.map(String)].join('.') } });
  }
  const value = parsed.data ?? {};
  const fields: CompiledMapping['fields'] = {};
  const custom: CompiledMapping['custom'] = {};
  const take = (source: string) => {
    const c = compileExpression(source);
    if (!c.ok) throw new ValidationError(c.error); // unreachable: the schema compiled it
    return c.value;
  };
  for (const f of MAPPED_FIELDS) {
    const source = value.fields?.[f];
    if (source !== undefined) fields[f] = take(source);
  }
  for (const [name, source] of Object.entries(value.custom ?? {})) custom[name] = take(source);
  if (Object.keys(fields).length === 0 && Object.keys(custom).length === 0) return null;
  const attributes = new Set<string>();
  for (const c of [...Object.values(fields), ...Object.values(custom)]) for (const a of referencedAttributes(c!.expression.ast())) attributes.add(a);
  return { fields, custom, attributes: [...attributes].sort() };
}

type Node = jsonata.ExprNode & { steps?: Node[]; stages?: Node[]; predicate?: Node[]; condition?: Node; then?: Node; else?: Node; expression?: Node; group?: { lhs: [Node, Node][] } };

/**
 * The top-level names an expression reads from its input: `mail` in
 * `$lowercase(mail)`, `employee` in `employee.costCenter`. Names after the
 * first step of a path, in filters and in lambdas are relative to something
 * else and are not attributes of the record.
 */
export function referencedAttributes(ast: jsonata.ExprNode): string[] {
  const out = new Set<string>();
  const visit = (n: Node | undefined): void => {
    if (!n || typeof n !== 'object') return;
    switch (n.type as string) {
      case 'name':
        if (typeof n.value === 'string') out.add(n.value);
        return;
      case 'path': {
        const steps = n.steps ?? [];
        // `$.mail`: the root variable, then the name.
        const first = steps[0]?.type === 'variable' && (steps[0].value === '' || steps[0].value === '$') ? steps[1] : steps[0];
        if (first?.type === 'name') {
          if (typeof first.value === 'string') out.add(first.value);
        } else visit(first);
        return;
      }
      case 'lambda':
        return;
      default:
        for (const child of [n.lhs, n.rhs, n.condition, n.then, n.else, n.expression, n.procedure]) {
          if (Array.isArray(child)) for (const c of child) Array.isArray(c) ? c.forEach((x) => visit(x as Node)) : visit(c as Node);
          else visit(child as Node);
        }
        for (const list of [n.arguments, n.expressions]) for (const c of list ?? []) visit(c as Node);
    }
  };
  visit(ast as Node);
  return [...out];
}
