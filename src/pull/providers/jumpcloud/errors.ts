/**
 * A JumpCloud error answer → one ProviderError per way a call fails. Bodies
 * are `{ message }` on the console API and `{ code, message, status }` on
 * Directory Insights (IDP-NOTES "JumpCloud"); either may be absent or not JSON.
 */
import { ProviderError } from '../types.js';

async function messageOf(res: Response): Promise<string> {
  let text = '';
  try {
    text = await res.text();
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = body.message ?? body.error;
    return typeof m === 'string' ? m : '';
  } catch {
    return text.slice(0, 200);
  }
}

export async function httpError(res: Response, what: string): Promise<ProviderError> {
  const status = res.status;
  const detail = await messageOf(res);
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401) return new ProviderError('auth', `${what}: JumpCloud refused the API key (HTTP 401${suffix}); check apiKey, and orgId for a multi-tenant admin`, { status });
  if (status === 403) return new ProviderError('permission', `${what}: permission denied (HTTP 403${suffix})`, { status });
  if (status === 404) return new ProviderError('not-found', `${what}: not found (HTTP 404${suffix})`, { status });
  if (status === 429) return new ProviderError('rate-limited', `${what}: JumpCloud rate limit still exceeded when the throttle budget ran out`, { status });
  return new ProviderError('bad-response', `${what}: JumpCloud answered HTTP ${status}${suffix}`, { status });
}
