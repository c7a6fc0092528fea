import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from './app.js';
import { DEFAULT_CONFIG_PATH, loadConfig } from './config/loadConfig.js';
import { migrateToLatest } from './db/migrate.js';
import { openDatabase } from './db/openDatabase.js';
import type { Settings } from './settings.js';
import { createWebhookDispatcher } from './webhooks/dispatcher.js';
import { syncConfigWebhooks } from './webhooks/enqueue.js';
import { scheduleRetention } from './retention/expireAnonymousVisitors.js';
import { createEventWriter } from './pipeline/createEventWriter.js';
import { createReplayWorker } from './replay/createReplayWorker.js';
import { readLimits } from './limits/readLimits.js';
import { seedDemoData, type DemoDataReport } from './demo/seedDemoData.js';
import { loadScorerRegistry } from './rulesets/loadScorerRegistry.js';
import { createRulesetWatcher } from './rulesets/createRulesetWatcher.js';
import { createFollowUpChecker } from './followUp/createFollowUpChecker.js';
import { createFirstTouchWorker } from './firstTouch/createFirstTouchWorker.js';
import { createRollupWorker } from './rollups/createRollupWorker.js';
import { openReportReader } from './db/reportReader/openReportReader.js';

export interface RunningIngest {
  url: string;
  port: number;
  location: string;
  /** The config file in use (absolute). */
  configPath: string;
  /** Each site with the version of the rules scoring it, for the start banner. */
  sites: { key: string; ruleVersion: string }[];
  /** What the demo data added on this start (`npm start` on an empty database), if anything. */
  demoData?: DemoDataReport;
  close(): Promise<void>;
}

/**
 * Opens the store, runs migrations and starts serving; resolves once it listens.
 *
 * @example
 * const ingest = await startIngest(readSettings(process.env));
 */
export async function startIngest(
  settings: Settings,
  env: Record<string, string | undefined> = process.env,
  /** `demoData`: fill an empty database with the demo site's history (only `npm start` asks). */
  options: { demoData?: boolean } = {},
): Promise<RunningIngest> {
  const config = loadConfig(settings.configPath ?? DEFAULT_CONFIG_PATH, env);
  const { db, location } = openDatabase(settings.databaseUrl);
  await migrateToLatest(db);
  // Before the config's webhooks are synced and the dispatcher starts: the history is not news.
  const demoData = options.demoData ? await seedDemoData(db, config) : undefined;
  await syncConfigWebhooks(db, config);
  // Deliveries stored before a restart go out now; new ones as soon as their change commits.
  const dispatcher = createWebhookDispatcher({ db, allowPrivateWebhooks: settings.allowPrivateWebhooks });
  dispatcher.start();
  // Rule sets are versions in the database (the config file seeds them): one registry for the
  // app, the writer and the replayer, kept on the version in effect whichever process published it.
  const { scorers } = await loadScorerRegistry(db, config);
  const rulesets = createRulesetWatcher({ db, scorers, onCommitted: () => void dispatcher.kick() });
  rulesets.start();
  // MQLs sales left unanswered past the follow-up agreement raise lead.sla_breached, once.
  const followUps = createFollowUpChecker({ db, config, onRaised: () => void dispatcher.kick() });
  followUps.start();
  // Replays queued by any process (late events, long histories just linked), off the request path.
  const replayer = createReplayWorker({ db, scorers, onCommitted: () => void dispatcher.kick() });
  replayer.start();
  // Each lead's first touch, kept current for the dashboard's reports, off the request path.
  const touches = createFirstTouchWorker({ db, pollMs: 1000 });
  touches.start();
  // The dashboard's daily visitor and page-view rollups, folded in about once a second.
  const rollups = createRollupWorker({ db });
  rollups.start();
  const writer = createEventWriter({
    db,
    scorers,
    onCommitted: ({ stageChanges, queuedReplays }) => {
      // A stage change may be a new lead: its first touch is computed at once.
      if (stageChanges) void (dispatcher.kick(), touches.kick());
      if (queuedReplays) void replayer.kick();
    },
  });
  const limits = readLimits(env);
  // On SQLite, reports read in a worker thread: a long one never stops the server answering.
  const reportsDb = openReportReader(settings.databaseUrl);
  const app = createApp({ db, reportsDb, config, secretKey: settings.secretKey, dispatcher, allowPrivateWebhooks: settings.allowPrivateWebhooks, replayer, writer, limits, scorers });
  const stopRetention = scheduleRetention(db, config);
  /** Commits what is queued, stops the background jobs, then closes the store: in that order. */
  const stopWork = async () => {
    await writer.close();
    stopRetention();
    await followUps.stop();
    await rulesets.stop();
    await replayer.stop();
    await touches.stop();
    await rollups.stop();
    await dispatcher.stop();
    await reportsDb?.destroy();
    await db.destroy();
  };
  const sockets = new Map<Socket, IncomingMessage | undefined>();
  const server: ServerType = await new Promise<ServerType>((resolve, reject) => {
    // Stalled senders (a slow body, headers that never end) are cut, and open connections capped.
    const s = serve({ fetch: app.fetch, port: settings.port, ...(settings.host && { hostname: settings.host }), serverOptions: { headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs), requestTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: Math.min(2000, limits.requestTimeoutMs) } }, () => resolve(s));
    (s as { maxConnections?: number }).maxConnections = limits.maxConnections;
    // Each open connection and the request it is answering, for the stop: a connection still
    // sending its request (headers or body) when its time is up is cut.
    s.on('connection', (socket: Socket) => {
      sockets.set(socket, undefined);
      socket.once('close', () => sockets.delete(socket));
    });
    s.on('request', (req: IncomingMessage, res: ServerResponse) => {
      sockets.set(req.socket, req);
      res.once('close', () => sockets.get(req.socket) === req && sockets.set(req.socket, undefined));
    });
    s.once('error', reject);
    s.once('listening', () => s.off('error', reject));
  }).catch(async (err: NodeJS.ErrnoException) => {
    // A busy port is a setting to change, not a crash: one line, and nothing left running.
    await stopWork();
    throw err.code === 'EADDRINUSE' ? new Error(`port ${settings.port} is in use: set PORT to another`) : err;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  return {
    // Where to reach it from this machine: the address it listens on, when HOST named one.
    url: `http://${!settings.host || settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`,
    port,
    location,
    configPath: resolvePath(settings.configPath ?? DEFAULT_CONFIG_PATH),
    sites: [...scorers].map(([key, scorer]) => ({ key, ruleVersion: scorer.version })),
    demoData,
    /** Stops accepting, lets requests in flight finish, commits what is queued, then closes the store. */
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets would hold the server open until their timeout: close each as soon
      // as it is idle (its request in flight answered), not only those idle right now.
      const http = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
      http.closeIdleConnections?.();
      const sweep = setInterval(() => http.closeIdleConnections?.(), 25);
      // `server.close()` also stops Node's check of the request timeout, so a sender stalled
      // mid-body would hold the stop open for ever: past that timeout a request still arriving is
      // cut, as it would have been while serving (nothing it sent was acknowledged). Requests
      // received whole are left to finish.
      const cut = setTimeout(() => {
        for (const [socket, req] of sockets) if (!req?.complete) socket.destroy();
      }, limits.requestTimeoutMs);
      await closed.finally(() => (clearInterval(sweep), clearTimeout(cut)));
      await stopWork();
    },
  };
}
