/**
 * `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9). `id` and
 * `schemas` are always returned (RFC 7643 §7, returned "always").
 */
import { ENTERPRISE_USER_SCHEMA } from './common.js';

const ALWAYS = new Set(['id', 'schemas']);
const CORE_PREFIX = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group):/i;

interface Selector {
  /** Top-level key, lower case (an extension URN stays whole). */
  top: string;
  /** Sub-attribute, lower case, if any. */
  sub?: string;
}

/**
 * Parse `userName,name.givenName,emails[type eq "work"],urn:...:enterprise:2.0:User:department`.
 * A parameter given twice (`?attributes=a&attributes=b`) arrives as an array: one list.
 */
export function parseAttributeList(text: string | readonly string[] | undefined): Selector[] {
  if (!text) return [];
  const parts = typeof text === 'string' ? [text] : text.filter((t): t is string => typeof t === 'string');
  return parts
    .flatMap((t) => t.split(','))
    .map((raw) => raw.trim())
    .filter(Boolean)
    .map((raw) => {
      let path = raw.replace(CORE_PREFIX, '').replace(/\[.*\]$/, '');
      const ext = ENTERPRISE_USER_SCHEMA.toLowerCase();
      if (path.toLowerCase().startsWith(ext)) {
        const rest = path.slice(ext.length).replace(/^:/, '');
        return rest ? { top: ext, sub: rest.split('.')[0]!.toLowerCase() } : { top: ext };
      }
      path = path.replace(/\[[^\]]*\]/g, '');
      const [top, sub] = path.split('.');
      return sub ? { top: top!.toLowerCase(), sub: sub.toLowerCase() } : { top: top!.toLowerCase() };
    });
}

function pickSubset(value: unknown, subs: Set<string>): unknown {
  const pickOne = (obj: unknown) =>
    obj && typeof obj === 'object' && !Array.isArray(obj)
      ? Object.fromEntries(Object.entries(obj as Record<string, unknown>).filter(([k]) => subs.has(k.toLowerCase())))
      : obj;
  return Array.isArray(value) ? value.map(pickOne) : pickOne(value);
}

/** A complex value without one sub-attribute; for a multi-valued one, each value without it. */
function omitSub(value: unknown, sub: string): unknown {
  const omitOne = (obj: unknown) =>
    obj && typeof obj === 'object' && !Array.isArray(obj)
      ? Object.fromEntries(Object.entries(obj as Record<string, unknown>).filter(([k]) => k.toLowerCase() !== sub))
      : obj;
  return Array.isArray(value) ? value.map(omitOne) : omitOne(value);
}

export function projectResource<T extends Record<string, unknown>>(resource: T, attributes: Selector[], excluded: Selector[]): T {
  let out: Record<string, unknown> = resource;
  if (attributes.length) {
    const wanted = new Map<string, Set<string> | 'all'>();
    for (const s of attributes) {
      const current = wanted.get(s.top);
      if (current === 'all') continue;
      if (!s.sub) wanted.set(s.top, 'all');
      else wanted.set(s.top, new Set([...(current ?? []), s.sub]));
    }
    out = {};
    for (const [key, value] of Object.entries(resource)) {
      const lower = key.toLowerCase();
      const rule = wanted.get(lower);
      if (ALWAYS.has(lower) || rule === 'all') out[key] = value;
      else if (rule) out[key] = pickSubset(value, rule);
    }
  }
  if (excluded.length) {
    out = { ...out };
    for (const s of excluded) {
      const key = Object.keys(out).find((k) => k.toLowerCase() === s.top);
      if (!key || ALWAYS.has(s.top)) continue;
      if (!s.sub) delete out[key];
      else out[key] = omitSub(out[key], s.sub);
    }
  }
  return out as T;
}

/** Whether the caller excluded a top-level attribute (so we can skip loading it, e.g. group members). */
export function isExcluded(top: string, attributes: Selector[], excluded: Selector[]): boolean {
  const t = top.toLowerCase();
  if (excluded.some((s) => s.top === t && !s.sub)) return true;
  return attributes.length > 0 && !attributes.some((s) => s.top === t);
}
