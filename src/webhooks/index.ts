export { SIGNATURE_HEADER, signWebhookBody, webhookBackoffMs, WebhookSender, type WebhookSenderOptions } from './sender.js';
