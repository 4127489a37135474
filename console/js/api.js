/**
 * The one way the console talks to /api/v1. The admin key is kept in
 * sessionStorage only (gone when the tab closes), sent as a bearer token,
 * and never written anywhere else: not to the URL, the console, or logs.
 */

const KEY_ITEM = 'roster.apiKey';

export const session = {
  key: () => sessionStorage.getItem(KEY_ITEM),
  signIn: (key) => sessionStorage.setItem(KEY_ITEM, key),
  signOut: () => sessionStorage.removeItem(KEY_ITEM),
};

/** An answer in the API's one error shape, `{"error": {"code", "message"}}`, or a failed request. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** What the page shows: the API's own message, which is written to be shown. */
  describe() {
    return this.status ? `${this.message} (${this.code}, HTTP ${this.status})` : this.message;
  }
}

/** Called on any 401: main.js sends the admin back to sign-in with the message. */
let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export async function api(method, path, body, { key = session.key() } = {}) {
  const headers = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'network', `The server could not be reached: ${err.message}`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, 'bad_response', `The server answered HTTP ${response.status} with something that is not JSON`);
  }
  if (!response.ok) {
    const error = new ApiError(response.status, json?.error?.code ?? 'error', json?.error?.message ?? `HTTP ${response.status}`);
    // Only the signed-in key ends the session: a key being tried on the sign-in form just fails.
    if (response.status === 401 && key === session.key()) onUnauthorized(error);
    throw error;
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);
