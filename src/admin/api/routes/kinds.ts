/**
 * The connection kinds registered now, with what their settings take (as
 * JSON Schema, from each descriptor's zod schema): the console builds its
 * connection form from this, so a new provider gets a form without a console change.
 */
import { z } from 'zod';
import { findDescriptor, registeredKinds } from '../../../pull/providers/index.js';
import { defineRoute } from '../route.js';

function describeKind(kind: string) {
  const d = findDescriptor(kind)!;
  const { $schema: _dialect, ...settings } = z.toJSONSchema(d.settings, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { kind: d.kind, direction: d.direction, secretFields: [...d.secretFields], endpointFields: [...d.endpointFields], settings };
}

export const kindRoutes = [
  defineRoute({
    method: 'GET',
    path: '/connection-kinds',
    operationId: 'listConnectionKinds',
    summary: 'List the connection kinds, with their settings as JSON Schema and which are secrets or endpoints',
    tag: 'connections',
    scope: 'admin',
    status: 200,
    response: 'ConnectionKindList',
    async handle() {
      return { kinds: registeredKinds().map(describeKind) };
    },
  }),
];
