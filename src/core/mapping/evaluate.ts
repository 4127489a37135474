/**
 * Running a connection's compiled expressions over one raw IdP record. Each
 * expression is bounded by JSONata's guardrails (time, stack, sequence; see
 * LIMITS) and its result type-checked: a standard field is a string or
 * nothing, a custom attribute a string, number, boolean, null or a short
 * array of those. A failing expression never fails the user: it yields no
 * value and an error naming the field, for the preview and the logs.
 */
import { LIMITS, MAPPED_FIELDS, type CompiledExpression, type CompiledMapping, type MappedField } from './expressions.js';

export type CustomScalar = string | number | boolean | null;
export type CustomValue = CustomScalar | CustomScalar[];

export interface MappingError {
  /** `fields.email` or `custom.costCenter`. */
  field: string;
  message: string;
}

export interface MappingResult {
  /** Only the fields that have an expression: a string, or null when it gave nothing. */
  fields: Partial<Record<MappedField, string | null>>;
  /** Every named custom attribute (null when its expression gave nothing or failed); null when there are none. */
  custom: Record<string, CustomValue> | null;
  errors: MappingError[];
}

async function run(c: CompiledExpression, record: unknown): Promise<unknown> {
  return c.expression.evaluate(record);
}

function scalar(v: unknown): v is CustomScalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function tooLong(v: CustomScalar): boolean {
  return typeof v === 'string' && v.length > LIMITS.stringLength;
}

/** A custom attribute's value as stored, or the reason it cannot be. */
export function customValue(v: unknown): { ok: true; value: CustomValue } | { ok: false; error: string } {
  if (v === undefined) return { ok: true, value: null };
  if (scalar(v)) return tooLong(v) ? { ok: false, error: `gave a string longer than ${LIMITS.stringLength} characters` } : { ok: true, value: v };
  if (Array.isArray(v)) {
    // JSONata's result sequences are arrays with extra flags: copy to a plain array.
    if (v.length > LIMITS.arrayItems) return { ok: false, error: `gave more than ${LIMITS.arrayItems} values` };
    if (!v.every(scalar)) return { ok: false, error: 'gave an array with objects or arrays in it (only strings, numbers, booleans and null can be stored)' };
    if (v.some(tooLong)) return { ok: false, error: `gave a string longer than ${LIMITS.stringLength} characters` };
    return { ok: true, value: [...v] };
  }
  return { ok: false, error: 'gave an object (only strings, numbers, booleans, null or arrays of them can be stored)' };
}

/** A standard field's value, or the reason it cannot be. */
export function fieldValue(v: unknown): { ok: true; value: string | null } | { ok: false; error: string } {
  if (v === undefined || v === null) return { ok: true, value: null };
  if (typeof v === 'string') return v.length > LIMITS.stringLength ? { ok: false, error: `gave a string longer than ${LIMITS.stringLength} characters` } : { ok: true, value: v === '' ? null : v };
  return { ok: false, error: `gave ${Array.isArray(v) ? 'an array' : typeof v}, not a string` };
}

const messageOf = (err: unknown) => {
  const e = err as { code?: string; message?: string };
  return e?.message ? (e.code ? `${e.message} (${e.code})` : e.message) : String(err);
};

export async function evaluateMapping(mapping: CompiledMapping, record: unknown): Promise<MappingResult> {
  const errors: MappingError[] = [];
  const fields: MappingResult['fields'] = {};
  for (const f of MAPPED_FIELDS) {
    const c = mapping.fields[f];
    if (!c) continue;
    try {
      const v = fieldValue(await run(c, record));
      if (v.ok) fields[f] = v.value;
      else {
        fields[f] = null;
        errors.push({ field: `fields.${f}`, message: v.error });
      }
    } catch (err) {
      fields[f] = null;
      errors.push({ field: `fields.${f}`, message: messageOf(err) });
    }
  }
  const names = Object.keys(mapping.custom);
  if (names.length === 0) return { fields, custom: null, errors };
  const custom: Record<string, CustomValue> = {};
  for (const name of names) {
    try {
      const v = customValue(await run(mapping.custom[name]!, record));
      custom[name] = v.ok ? v.value : null;
      if (!v.ok) errors.push({ field: `custom.${name}`, message: v.error });
    } catch (err) {
      custom[name] = null;
      errors.push({ field: `custom.${name}`, message: messageOf(err) });
    }
  }
  // One user's attributes stay small whatever the expressions do: past the bound, the largest go.
  if (JSON.stringify(custom).length > LIMITS.customBytes) {
    const bySize = names.sort((a, b) => JSON.stringify(custom[b]).length - JSON.stringify(custom[a]).length);
    for (const name of bySize) {
      if (JSON.stringify(custom).length <= LIMITS.customBytes) break;
      custom[name] = null;
      errors.push({ field: `custom.${name}`, message: `dropped: the custom attributes of one user may take at most ${LIMITS.customBytes} bytes` });
    }
  }
  return { fields, custom, errors };
}
