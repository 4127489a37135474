/**
 * The HTTP transport of the Directory API's reads, as a gaxios adapter.
 *
 * gaxios' own transport is node-fetch: per request a WHATWG Headers, a
 * stream pipeline (whose end aborts an AbortController, building a
 * DOMException with its stack), a body stream read to text. Over a Google
 * listing (6,000+ requests for 100k users) that was ~1 ms of CPU a request,
 * most of a no-change resync. A read needs none of it: send the GET through
 * the outbound policy's keep-alive agent, read the body into one Buffer,
 * parse it once.
 *
 * Only what this path is sure to do as node-fetch does goes through it: a GET
 * without a body whose answer is wanted as JSON or as gaxios guesses it. The
 * token request (a POST), streams and anything else keep gaxios' transport.
 * The answer has the fields gaxios and google-auth-library read of a fetch
 * Response (status, headers, data; `bodyUsed`, which GaxiosError needs to
 * keep `data` on an error).
 */
import { STATUS_CODES } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { gaxios } from 'google-auth-library';
import { outboundRequest } from '../../../core/net/outbound.js';

const decompress: Record<string, (buffer: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** Whether a request is a plain read this transport sends (see above). */
export function isPlainRead(options: gaxios.GaxiosOptionsPrepared): boolean {
  const type = options.responseType;
  return (
    (options.method ?? 'GET').toUpperCase() === 'GET' &&
    options.data === undefined &&
    (options.body === undefined || options.body === null) &&
    (type === undefined || type === 'json' || type === 'unknown') &&
    !options.maxContentLength &&
    !options.fetchImplementation
  );
}

/**
 * Sends a plain read. A failure to connect rejects with the socket's error (gaxios wraps it and
 * may retry); an aborted request rejects with the signal's reason, as fetch does, so that a
 * timeout reads as gaxios' TimeoutError and a stopped run as an abort.
 */
export async function sendRead<T>(options: gaxios.GaxiosOptionsPrepared): gaxios.GaxiosPromise<T> {
  const headers: Record<string, string> = {};
  options.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const signal = options.signal ?? undefined;
  let res;
  try {
    res = await outboundRequest(options.url, { method: 'GET', headers, signal });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  // googleapis asks for gzip (Accept-Encoding): Google compresses what it sends.
  const body = encoding && decompress[encoding] ? await decompress[encoding](res.body) : res.body;
  const responseHeaders = new Headers();
  for (const [key, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(key, v);
  }
  const text = res.status === 204 ? '' : body.toString('utf8');
  let data: unknown = text;
  // As gaxios reads a body: JSON when it asked for JSON or the answer says it is; the text if it does not parse.
  if (text && (options.responseType === 'json' || /application\/json/i.test(responseHeaders.get('content-type') ?? ''))) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  const response = {
    config: options,
    data,
    status: res.status,
    statusText: STATUS_CODES[res.status] ?? '',
    ok: res.status >= 200 && res.status < 300,
    headers: responseHeaders,
    url: String(options.url),
    redirected: false,
    type: 'basic',
    bodyUsed: true,
  };
  return response as unknown as gaxios.GaxiosResponse<T>;
}
