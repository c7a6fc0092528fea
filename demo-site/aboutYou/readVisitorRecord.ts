/** Where the ingest is and the key that reads it: server-side only. */
export interface IngestReader {
  ingestUrl: string;
  /** The ingest's secret key. It stays on the demo site's server: never in a page or a response. */
  secretKey: string;
  /** The site key the visitor browses under, to pick its record when an id is on several sites. */
  siteKey: string;
}

/** A stage change of the lead, with the scores at that moment. */
export interface StageStep {
  from: string;
  to: string;
  at: string;
  cause: string;
  scores: { engagement: number; fit: number; total: number };
}

/** One line of the score's explanation: a rule hit, a fit rule, a cap or the rounding. */
export interface ScoreLine {
  kind: 'engagement' | 'fit';
  ruleId: string;
  ts: string | null;
  points: number;
  remaining: number;
}

/** What the ingest knows about one browser, as the about-you page shows it. */
export type VisitorRecord =
  | { known: false; visitorId: string }
  | {
      known: true;
      visitorId: string;
      visits: number;
      returning: boolean;
      firstSeenAt: string;
      lastSeenAt: string;
      pageviews: number;
      pageviewsByStage: { top: number; middle: number; bottom: number };
      engagement: number;
      recentEvents: Array<{ type: string; name: string | null; path: string; title: string | null; stage: string | null; ts: string }>;
      /**
       * This browser gave the email of a lead another browser made: it is linked, but the page
       * shows it nothing of that person (anyone may type anyone's email into a form).
       */
      claimedLead: boolean;
      lead: null | {
        stage: string;
        email: string;
        traits: Record<string, string>;
        score: { engagement: number; fit: number; total: number; at: string; items: ScoreLine[] };
        stageHistory: StageStep[];
      };
    };

/** How many of the latest events the page lists. */
export const RECENT_EVENTS = 15;

/** The ingest answered something other than the record: a status the page can explain. */
export class IngestUnavailable extends Error {}

/**
 * Reads one browser's record from the ingest with the secret key: the visitor, its recent
 * events and, if a form of this browser made it a lead, the lead and its explained score (a
 * browser that only gave a known lead's email sees nothing of that lead). Only the fields the
 * page shows are kept.
 *
 * @example
 * const record = await readVisitorRecord({ ingestUrl: 'http://localhost:8787', secretKey, siteKey: 'demo' }, visitorId);
 */
export async function readVisitorRecord(reader: IngestReader, visitorId: string): Promise<VisitorRecord> {
  const get = async (path: string): Promise<any> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, reader.ingestUrl), { headers: { Authorization: `Bearer ${reader.secretKey}` }, signal: AbortSignal.timeout(5000) });
    } catch {
      throw new IngestUnavailable('the ingest did not answer');
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new IngestUnavailable(`the ingest answered ${res.status}`);
    return res.json();
  };
  const id = encodeURIComponent(visitorId);
  const site = encodeURIComponent(reader.siteKey);
  const [visitor, history] = await Promise.all([get(`/v1/visitors/${id}?site=${site}`), get(`/v1/visitors/${id}/events?site=${site}&limit=${RECENT_EVENTS}`)]);
  if (!visitor) return { known: false, visitorId };
  // Only a browser that made its lead (or that a trusted source linked) sees the lead.
  const mine = visitor.leadId && visitor.ownsLeadTraits;
  const [lead, score] = mine ? await Promise.all([get(`/v1/leads/${visitor.leadId}`), get(`/v1/leads/${visitor.leadId}/score`)]) : [];
  return {
    known: true,
    visitorId: visitor.visitorId,
    visits: visitor.visits,
    returning: visitor.returning,
    firstSeenAt: visitor.firstSeenAt,
    lastSeenAt: visitor.lastSeenAt,
    pageviews: visitor.pageviews,
    pageviewsByStage: visitor.pageviewsByStage,
    engagement: visitor.score.engagement,
    recentEvents: (history?.events ?? []).map((e: any) => ({ type: e.type, name: e.name, path: e.path, title: e.title, stage: e.stage, ts: e.ts })),
    claimedLead: Boolean(visitor.leadId) && !mine,
    lead:
      lead && score
        ? {
            stage: lead.stage,
            email: lead.email,
            traits: lead.traits,
            score: { engagement: score.engagement, fit: score.fit, total: score.total, at: score.at, items: score.items.map(({ kind, ruleId, ts, points, remaining }: ScoreLine) => ({ kind, ruleId, ts, points, remaining })) },
            stageHistory: lead.stageHistory.map(({ from, to, at, cause, scores }: StageStep) => ({ from, to, at, cause, scores })),
          }
        : null,
  };
}
