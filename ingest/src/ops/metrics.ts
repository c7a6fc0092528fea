import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The ingest's Prometheus metrics, in a registry of their own (one per process: several apps
 * in one process, as in tests, share it). Served at `/metrics` behind an admin key.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'leadbeam_' });

export const requests = new Counter({ name: 'leadbeam_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
export const requestSeconds = new Histogram({
  name: 'leadbeam_http_request_duration_seconds',
  help: 'HTTP request duration by route',
  labelNames: ['method', 'route'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});
export const eventsAccepted = new Counter({ name: 'leadbeam_events_accepted_total', help: 'Events stored', registers: [registry] });
export const eventsDuplicate = new Counter({ name: 'leadbeam_events_duplicate_total', help: 'Events already stored (retries)', registers: [registry] });
export const eventsRejected = new Counter({ name: 'leadbeam_events_rejected_total', help: 'Events refused, by the top-level field at fault', labelNames: ['field'], registers: [registry] });

/** The fields of an event (`/v1/collect`) and of a Segment message that a refusal may name. */
const EVENT_FIELDS = new Set([
  ...['id', 'type', 'name', 'ts', 'visitorId', 'sessionId', 'visit', 'firstVisit', 'url', 'path', 'referrer', 'title', 'stage', 'category', 'campaign', 'props', 'traits'],
  ...['messageId', 'anonymousId', 'userId', 'event', 'properties', 'context', 'timestamp', 'sentAt', 'groupId', 'previousId', 'integrations', 'batch'],
]);

/**
 * Counts a refused event under the top-level field at fault (`props`, not `props.<key>`), or
 * `other`: a label value is a time series kept for the life of the process, so it never holds
 * text a sender chose (a property's name would let anyone grow the server's memory without end).
 *
 * @example
 * countRejectedEvent('props.a_key_the_sender_made_up') // counted as field="props"
 */
export function countRejectedEvent(field: string | undefined): void {
  const top = field?.split(/[.[]/, 1)[0];
  eventsRejected.inc({ field: top === undefined ? 'event' : EVENT_FIELDS.has(top) ? top : 'other' });
}
export const commitSeconds = new Histogram({
  name: 'leadbeam_commit_duration_seconds',
  help: 'Group commit duration (one transaction for the events of many requests)',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});
export const commitFailures = new Counter({ name: 'leadbeam_commit_failures_total', help: 'Group commits that failed (their requests were retried one by one)', registers: [registry] });
export const queueDepth = new Gauge({ name: 'leadbeam_write_queue_depth', help: 'Requests waiting for a commit', registers: [registry] });
export const webhookDeliveries = new Counter({ name: 'leadbeam_webhook_attempts_total', help: 'Webhook delivery attempts by outcome', labelNames: ['outcome'], registers: [registry] });
