/**
 * Roster's typed errors (src/core/errors): each carries its stable code and HTTP
 * status, its name, cause and details; the API's error mapper (src/admin/api/errors.ts)
 * shows a typed error as it is and anything else as a 500 with an id; fromErrorBody (the CLI
 * reading a server's answer) rebuilds the typed error.
 */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  ConflictError,
  ForbiddenError,
  fromErrorBody,
  isRosterError,
  NotFoundError,
  RateLimitedError,
  RosterError,
  StoreBusyError,
  StoreUnavailableError,
  UnauthorizedError,
  ValidationError,
} from '../../../src/core/errors/index.js';
import { apiErrorResponse } from '../../../src/admin/api/errors.js';

const TYPED_ERRORS: Array<[RosterError, string, number]> = [
  [new ValidationError('bad'), 'invalid_input', 400],
  [new UnauthorizedError('bad'), 'unauthorized', 401],
  [new ForbiddenError('bad'), 'forbidden', 403],
  [new NotFoundError('bad'), 'not_found', 404],
  [new ConflictError('bad'), 'conflict', 409],
  [new RateLimitedError('bad', 7), 'rate_limited', 429],
  [new ConfigError('bad'), 'config', 500],
  [new StoreBusyError('bad'), 'store_busy', 503],
  [new StoreUnavailableError('bad'), 'store_unavailable', 503],
];

describe('typed errors', () => {
  it.each(TYPED_ERRORS)('%s has code %s and status %i', (err, code, status) => {
    expect(err).toBeInstanceOf(Error);
    expect(isRosterError(err)).toBe(true);
    expect([err.code, err.status, err.message, err.expose]).toEqual([code, status, 'bad', true]);
    expect(err.name).toBe(err.constructor.name);
  });

  it('keeps the cause and the details it was given', () => {
    const cause = new Error('socket closed');
    const err = new ConflictError('userName taken', { cause, details: { field: 'userName' } });
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ field: 'userName' });
    expect(new NotFoundError('gone')).not.toHaveProperty('cause');
  });

  it('has default messages where the reason goes without saying, and a retry delay when rate limited', () => {
    expect(new UnauthorizedError().message).toBe('authentication required');
    expect(new StoreUnavailableError().message).toBe('the database is unavailable; retry shortly');
    expect(new RateLimitedError('slow down', 30).retryAfterSeconds).toBe(30);
  });

  it('tells a typed error from any other', () => {
    expect(isRosterError(new Error('boom'))).toBe(false);
    expect(isRosterError('invalid_input')).toBe(false);
  });
});

describe('apiErrorResponse and fromErrorBody', () => {
  it.each(TYPED_ERRORS)('%s goes out as its status and code, and comes back as the same error', (err, code, status) => {
    const response = apiErrorResponse(err);
    expect({ status: response.status, body: response.body }).toEqual({ status, body: { error: { code, message: 'bad' } } });
    const rebuilt = fromErrorBody(response.status, response.body);
    expect(rebuilt).toBeInstanceOf(err.constructor);
    expect([rebuilt.code, rebuilt.status, rebuilt.message]).toEqual([code, status, 'bad']);
  });

  it('carries details both ways', () => {
    const response = apiErrorResponse(new ValidationError('bad', { details: { field: 'name' } }));
    expect(response.body.error.details).toEqual({ field: 'name' });
    expect(fromErrorBody(400, response.body).details).toEqual({ field: 'name' });
  });

  it('answers anything else with a 500 naming the error id, never its message', () => {
    const response = apiErrorResponse(new Error('password=hunter2'));
    const id = response.errorId;
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    expect({ status: response.status, body: response.body }).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: `internal error (id ${id}); see the server log`, errorId: id } },
    });
  });

  it('reads an unknown or missing body as an internal error with the HTTP status', () => {
    const unknown = fromErrorBody(502, { error: { code: 'teapot', message: 'short and stout' } });
    expect([unknown.constructor, unknown.code, unknown.status, unknown.message]).toEqual([RosterError, 'internal', 502, 'short and stout']);
    expect(fromErrorBody(502, undefined).message).toBe('server answered HTTP 502');
  });
});
