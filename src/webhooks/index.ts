export { EVENTS_CHANNEL, SIGNATURE_HEADER, signWebhookBody, webhookBackoffMs, WebhookSender, type WebhookSenderOptions } from './sender.js';
