/**
 * A CRM's side of the handover, runnable as it is:
 *
 *   LEADBEAM_WEBHOOK_SECRET=whsec_… LEADBEAM_URL=http://localhost:8787 LEADBEAM_KEY=<a write key> \
 *     npx tsx examples/crm-receiver/receiver.ts
 *
 * It verifies each delivery (Standard Webhooks), turns the lead into a HubSpot-style contact
 * (`toCrmContact`), keeps it (here in memory; a real CRM would upsert it by email), and — when a
 * sales rep acts on it (`POST /contacts/<email>/feedback` here, a CRM workflow in real life) —
 * sends the outcome back to leadbeam's feedback API, which closes the loop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { toCrmContact, type LeadbeamDelivery } from './toCrmContact.js';

export interface CrmReceiverOptions {
  /** The webhook's `standardSecret` (whsec_…). */
  secret: string;
  /** The ingest, for sales feedback. */
  leadbeamUrl: string;
  /** A key with the `write` scope. */
  leadbeamKey: string;
  port?: number;
  host?: string;
}

/**
 * Starts the receiver; resolves with its URL, the contacts it holds and `close`.
 *
 * @example
 * const crm = await startCrmReceiver({ secret, leadbeamUrl, leadbeamKey });
 */
export async function startCrmReceiver({ secret, leadbeamUrl, leadbeamKey, port = 0, host = '127.0.0.1' }: CrmReceiverOptions) {
  const webhook = new Webhook(secret);
  const contacts = new Map<string, ReturnType<typeof toCrmContact>['properties']>();
  const seen = new Set<string>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk) => (body += chunk));
    req.on('end', async () => {
      try {
        if (req.method === 'POST' && req.url === '/leadbeam') {
          // Verify the raw body before trusting a byte of it.
          const delivery = webhook.verify(body, req.headers as Record<string, string>) as LeadbeamDelivery;
          // webhook-id is the idempotency key: a retry of a delivery already handled changes nothing.
          if (!seen.has(delivery.id)) {
            seen.add(delivery.id);
            const contact = toCrmContact(delivery);
            contacts.set(contact.email, { ...contacts.get(contact.email), ...contact.properties });
          }
          res.writeHead(204).end();
          return;
        }
        const feedback = /^\/contacts\/([^/]+)\/feedback$/.exec(req.url ?? '');
        if (req.method === 'POST' && feedback) {
          const contact = contacts.get(decodeURIComponent(feedback[1]!));
          if (!contact) return void res.writeHead(404).end();
          const answer = await fetch(`${leadbeamUrl}/v1/leads/${contact.leadbeam_lead_id}/feedback`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${leadbeamKey}`, 'Content-Type': 'application/json' },
            body,
          });
          res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(await answer.text());
          return;
        }
        res.writeHead(404).end();
      } catch {
        // A delivery that does not verify is refused; leadbeam retries it, and an attacker gets nothing.
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    contacts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const crm = await startCrmReceiver({
    secret: process.env.LEADBEAM_WEBHOOK_SECRET ?? '',
    leadbeamUrl: process.env.LEADBEAM_URL ?? 'http://localhost:8787',
    leadbeamKey: process.env.LEADBEAM_KEY ?? '',
    port: Number(process.env.PORT ?? 4000),
  });
  console.log(`CRM receiver on ${crm.url}/leadbeam (register this URL as a webhook)`);
}
