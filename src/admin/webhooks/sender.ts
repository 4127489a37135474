/**
 * Webhook delivery: each webhook receives its tenant's lifecycle events in id
 * order, in batches, as a JSON POST signed with HMAC-SHA256: over a
 * timestamp and the body (`Roster-Signature: t=…,v1=…`, so a receiver can
 * refuse a replay), and, for receivers written before that, over the body
 * alone (`X-Roster-Signature`). The POST goes through the outbound URL
 * policy (src/core/net), checked on the address it connects to, and at most
 * 64 KiB of the answer is read.
 * The cursor moves only after a 2xx, so an event is delivered at least once
 * (again after a crash between the POST and the cursor update). One replica
 * holds a webhook's delivery lease at a time, so order holds across replicas.
 * A failing endpoint is retried with exponential backoff (1 s doubling, at
 * most 10 min) and never delays the other webhooks. Delivery wakes up on the
 * `roster_events` NOTIFY (see events/announcer.ts), and polls every few
 * seconds in case one is missed.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { EVENTS_CHANNEL, readEventFeed } from '../events/index.js';
import type { Logger } from '../../core/logging/index.js';
import { outboundRequest } from '../../core/net/outbound.js';
import type { SecretKeyring } from '../../core/secrets/index.js';
import {
  leaseDueWebhooks,
  recordWebhookDelivered,
  recordWebhookFailed,
  releaseWebhookLease,
  type LeasedWebhook,
  type Store,
} from '../../core/store/index.js';

/** The body-only signature, kept for receivers that check it; it does not stop a replay. */
export const SIGNATURE_HEADER = 'x-roster-signature';
/** `t=<unix seconds>,v1=<hex>`: the signature receivers should check (README, "Webhooks"). */
export const TIMESTAMPED_SIGNATURE_HEADER = 'roster-signature';

/** An answer is an acknowledgement: nothing in it is used, so no more than this is read. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** `sha256=<hex>`: HMAC-SHA256 of the exact request body with the webhook's secret. */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** `t=<unix seconds>,v1=<hex>`: HMAC-SHA256 of `<t>.<body>`, so the time cannot be changed without breaking it. */
export function signWebhookPayload(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

export function webhookBackoffMs(failures: number): number {
  return Math.min(600_000, 1000 * 2 ** Math.min(failures, 20));
}

export interface WebhookSenderOptions {
  store: Pick<Store, 'db' | 'listen'>;
  keyring: SecretKeyring;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
  requestTimeoutMs?: number;
  replicaId?: string;
}

export class WebhookSender {
  private readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: WebhookSenderOptions) {
    this.owner = options.replicaId ?? `webhooks-${randomUUID().slice(0, 8)}`;
  }

  async start(): Promise<void> {
    try {
      this.unlisten = await this.options.store.listen(EVENTS_CHANNEL, () => this.wake(), () => this.wake());
    } catch (err) {
      this.options.logger.warn('webhooks poll only: could not LISTEN for new events', { error: err });
    }
    this.timer = setInterval(() => this.wake(), this.options.pollMs ?? 5000);
    this.timer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.unlisten?.().catch(() => {});
    await this.running;
  }

  /** Deliver what is due now (coalesces wake-ups that come while a round runs). */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.round().catch((err: unknown) => this.options.logger.warn('webhook delivery round failed', { error: err }));
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const due = await leaseDueWebhooks(this.options.store.db, this.owner, 60_000);
    await Promise.all(due.map((w) => this.deliver(w)));
  }

  private async deliver(webhook: LeasedWebhook): Promise<void> {
    const db = this.options.store.db;
    const host = safeHost(webhook.url);
    try {
      const secret = this.options.keyring.decrypt(webhook.secret, `webhook:${webhook.id}`) as string;
      let cursor = Number(webhook.cursor);
      for (;;) {
        const page = await readEventFeed(db, { after: cursor, limit: this.options.batchSize ?? 100, tenantId: webhook.tenantId, waitMs: 1000 });
        if (page.events.length === 0) return;
        const body = JSON.stringify({ webhookId: webhook.id, deliveryId: randomUUID(), sentAt: new Date().toISOString(), events: page.events });
        const failure = await this.post(webhook.url, secret, body);
        if (failure) {
          const retryInMs = webhookBackoffMs(webhook.consecutiveFailures);
          await recordWebhookFailed(db, webhook.id, this.owner, failure, retryInMs);
          this.options.logger.warn('webhook delivery failed; will retry', { webhookId: webhook.id, host, error: failure, retryInMs });
          return;
        }
        if (!(await recordWebhookDelivered(db, webhook.id, this.owner, cursor, page.next))) return;
        cursor = page.next;
        if (!page.more) return;
      }
    } finally {
      await releaseWebhookLease(db, webhook.id, this.owner).catch(() => {});
    }
  }

  /** POST the body; undefined on a 2xx, otherwise what went wrong. A 3xx is a failure: redirects are not followed. */
  private async post(url: string, secret: string, body: string): Promise<string | undefined> {
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs ?? 10_000);
    try {
      const res = await outboundRequest(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Roster-Webhooks/1',
          [TIMESTAMPED_SIGNATURE_HEADER]: signWebhookPayload(secret, body, Math.floor(Date.now() / 1000)),
          [SIGNATURE_HEADER]: signWebhookBody(secret, body),
        },
        body,
        signal,
        maxResponseBytes: MAX_RESPONSE_BYTES,
      });
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      return signal.aborted ? 'timed out' : `request failed: ${(err as Error).message}`;
    }
  }
}

/** The host only: a webhook URL may carry a token in its path or query, which must not reach a log line. */
function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid URL)';
  }
}
