// Webhook body: a JSON array of events in the configured format.
export { JsonArraySerializer as WebhookSerializer } from '../core/json.js';
