export { MAX_RESPONSE_BYTES, SIGNATURE_HEADER, signWebhookBody, signWebhookPayload, TIMESTAMPED_SIGNATURE_HEADER, webhookBackoffMs, WebhookSender, type WebhookSenderOptions } from './sender.js';
