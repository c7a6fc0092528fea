import type { TrackedEvent } from '../../../shared/src/types.js';
import { createRandom, type Random } from './createRandom.js';
import { DEMO_PAGES, type DemoPageName } from './demoPages.js';
import { DEMO_COMPANIES, DEMO_COMPETITORS, FINANCE_TITLES, FIRST_NAMES, LAST_NAMES, OTHER_TITLES, type DemoCompany } from './demoPeople.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How far back the demo history reaches. */
export const DEMO_HISTORY_DAYS = 60;
/** The history ends this long before `now`, so anything that happens after the start shows first. */
export const DEMO_HISTORY_GAP_MS = 10 * MINUTE;

/** A Segment-compatible message, as a backend, CRM or email tool sends one (mapped by `segment/toEvents.ts`). */
export type DemoServerMessage = Record<string, unknown> & { type: 'identify' | 'track'; messageId: string; userId: string; timestamp: number };

/**
 * One request of the demo history, at the time it arrives: a browser's batch (one visit's events,
 * as the script sends them) or a server-side sender's messages (trusted, with the secret key).
 */
export type DemoRequest = { kind: 'browser'; at: number; events: TrackedEvent[] } | { kind: 'server'; at: number; messages: DemoServerMessage[] };

type Persona = 'passer-by' | 'reader' | 'evaluator' | 'buyer' | 'job-seeker' | 'competitor';

interface Person {
  name: string;
  email: string;
  company: DemoCompany;
  jobTitle: string;
}

/** How each kind of visitor moves: how many visits and pages, and which pages draw them. */
const PERSONAS: Record<Persona, { visits: [number, number]; pages: [number, number]; engagedS: [number, number]; next: Array<readonly [DemoPageName, number]> }> = {
  'passer-by': { visits: [1, 2], pages: [1, 2], engagedS: [4, 50], next: [['blog', 2], ['slowClose', 3], ['spreadsheets', 3], ['home', 2], ['pricing', 1]] },
  reader: { visits: [1, 4], pages: [1, 4], engagedS: [20, 150], next: [['slowClose', 4], ['spreadsheets', 4], ['blog', 2], ['newsletter', 3], ['guides', 1], ['checklist', 2], ['home', 1]] },
  evaluator: { visits: [2, 5], pages: [2, 6], engagedS: [30, 200], next: [['checklist', 4], ['guides', 2], ['benchmark', 4], ['pricing', 3], ['home', 1], ['spreadsheets', 2], ['demo', 1], ['newsletter', 1]] },
  buyer: { visits: [2, 6], pages: [2, 7], engagedS: [40, 240], next: [['pricing', 5], ['demo', 3], ['checklist', 2], ['benchmark', 2], ['home', 1], ['guides', 1]] },
  'job-seeker': { visits: [1, 2], pages: [1, 3], engagedS: [20, 120], next: [['careers', 6], ['home', 2], ['blog', 1]] },
  competitor: { visits: [1, 3], pages: [2, 5], engagedS: [30, 150], next: [['pricing', 4], ['benchmark', 3], ['checklist', 2], ['newsletter', 2], ['demo', 1]] },
};

/** Where visits come from, and the page each campaign lands on. */
interface Source {
  name: string;
  query?: string;
  referrer?: string;
  lands: DemoPageName[];
}
const CAMPAIGNS: Array<readonly [Source, number]> = [
  [{ name: 'organic search', referrer: 'https://www.google.com/', lands: ['slowClose', 'spreadsheets', 'checklist', 'home', 'pricing'] }, 26],
  [{ name: 'direct', lands: ['home', 'pricing', 'blog'] }, 14],
  [{ name: 'google ads', query: 'utm_source=google&utm_medium=cpc&utm_campaign=close-software&utm_term=month+end+close+software', lands: ['pricing', 'home', 'demo'] }, 14],
  [{ name: 'linkedin', query: 'utm_source=linkedin&utm_medium=paid-social&utm_campaign=benchmark-2026&utm_content=carousel', lands: ['benchmark'] }, 12],
  [{ name: 'forum', referrer: 'https://www.controllers-forum.example/threads/close-tools', lands: ['spreadsheets', 'checklist'] }, 8],
  [{ name: 'webinar promo', query: 'utm_source=partner&utm_medium=referral&utm_campaign=two-day-close-webinar', lands: ['checklist'] }, 6],
  [{ name: 'review site', referrer: 'https://www.software-reviews.example/close-management', lands: ['pricing', 'home'] }, 5],
];
const NEWSLETTER_VISIT: Source = { name: 'newsletter', query: 'utm_source=newsletter&utm_medium=email&utm_campaign=the-close-monthly', lands: ['slowClose', 'spreadsheets', 'checklist', 'benchmark'] };

const asciiSlug = (s: string) => s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
const idOf = (random: Random, prefix: string, length = 20) => prefix + Array.from({ length }, () => random.pick('abcdefghijklmnopqrstuvwxyz0123456789'.split(''))).join('');

/** Working hours (07:00–19:00 UTC) of the day `t` falls on. */
const duringWorkingHours = (random: Random, t: number) => Math.floor(t / DAY) * DAY + random.int(7 * 60, 19 * 60) * MINUTE + random.int(0, 59_999);
const ms = (t: number) => Math.round(t);

function personFor(random: Random, persona: Persona): Person {
  const company = persona === 'competitor' ? random.pick(DEMO_COMPETITORS) : random.pick(DEMO_COMPANIES);
  const first = random.pick(FIRST_NAMES);
  const last = random.pick(LAST_NAMES);
  const finance = persona === 'buyer' ? 0.75 : persona === 'evaluator' ? 0.6 : 0.35;
  const jobTitle = random.chance(finance) ? random.pick(FINANCE_TITLES) : random.pick(OTHER_TITLES);
  // Some sign up for the newsletter with a personal address at a mailbox provider.
  const personal = persona === 'reader' && random.chance(0.25);
  const email = personal ? `${asciiSlug(first)}${random.int(1, 99)}@mailbox.example` : `${asciiSlug(first)}.${asciiSlug(last)}@${company.domain}`;
  return { name: `${first} ${last}`, email, company, jobTitle };
}

/**
 * Plans the demo site's history: `visitors` visitors of six kinds (passers-by, blog readers,
 * evaluators, buyers, job seekers, a competitor or two) over the last 60 days, browsing the
 * demo site's real pages from a handful of campaigns and referrers, coming back, downloading the
 * benchmark, signing up for the newsletter and the webinar, requesting demos; and what other
 * systems send about the leads among them (CRM enrichment, newsletter opens and clicks, webinar
 * attendance, trials, booked meetings). The same seed gives the same history relative to `now`;
 * it ends `DEMO_HISTORY_GAP_MS` before `now`. Sales feedback is not planned here: it answers
 * what scoring does (`seedDemoData`).
 *
 * @example
 * const requests = planDemoHistory({ now: Date.now(), visitors: 300, origin: 'http://localhost:3000' });
 */
export function planDemoHistory({ now, visitors, origin, seed = 'northwind-ledger' }: { now: number; visitors: number; origin: string; seed?: string | number }): DemoRequest[] {
  const random = createRandom(seed);
  const end = now - DEMO_HISTORY_GAP_MS;
  const start = now - DEMO_HISTORY_DAYS * DAY;
  const requests: DemoRequest[] = [];
  /** Subscribers by email, with when they subscribed, for the newsletter sends. */
  const subscribers = new Map<string, { since: number; engaged: number; unopened: number; random: Random }>();

  const server = (r: Random, email: string, at: number, message: { type: 'identify' | 'track'; event?: string; properties?: Record<string, unknown>; traits?: Record<string, unknown> }) => {
    if (at >= end) return;
    requests.push({ kind: 'server', at: at + 200, messages: [{ ...message, messageId: idOf(r, 'dm_'), userId: email, timestamp: at }] });
  };

  for (let i = 0; i < visitors; i++) {
    const r = random.fork(`visitor:${i}`);
    const persona = r.weighted<Persona>([['passer-by', 44], ['reader', 21], ['evaluator', 18], ['buyer', 11], ['job-seeker', 5], ['competitor', 1]]);
    const style = PERSONAS[persona];
    const person = personFor(r, persona);
    const visitorId = idOf(r, 'dv_');
    // Busier lately: more first visits in recent weeks than two months ago.
    const firstAt = duringWorkingHours(r, end - DEMO_HISTORY_DAYS * DAY * r.next() ** 1.3);
    let at = Math.max(start + HOUR, Math.min(firstAt, end - 2 * HOUR));
    const visits = r.int(...style.visits);
    let lead: { at: number; form: string } | undefined;
    let subscribed = false;
    let requestedDemo = false;
    let downloaded = 0;
    let webinarAt: number | undefined;

    for (let visit = 1; visit <= visits && at < end - HOUR; visit++) {
      const sessionId = idOf(r, 'ds_');
      const campaign: Source = visit === 1 ? r.weighted(CAMPAIGNS) : subscribed && r.chance(0.4) ? NEWSLETTER_VISIT : r.chance(0.55) ? { name: 'direct', lands: ['home', 'pricing', 'blog'] as DemoPageName[] } : r.weighted(CAMPAIGNS);
      const events: TrackedEvent[] = [];
      let t = at;
      let previousUrl: string | undefined;
      const event = (type: TrackedEvent['type'], page: DemoPageName, extra: Partial<TrackedEvent> = {}): TrackedEvent => {
        const p = DEMO_PAGES[page];
        const query = page === 'demoThanks' ? '?form=demo' : page === 'newsletterThanks' ? '?form=newsletter' : '';
        const e: TrackedEvent = {
          id: idOf(r, 'de_'),
          type,
          ts: t,
          visitorId,
          sessionId,
          visit,
          url: `${origin}${p.path}${query}`,
          path: p.path,
          title: `${p.title} · Northwind Ledger`,
          ...('stage' in p && { stage: p.stage, category: p.category }),
          ...extra,
        };
        events.push(e);
        return e;
      };
      const view = (page: DemoPageName, landing = false) => {
        const e = event('pageview', page, landing && campaign.query ? { url: `${origin}${DEMO_PAGES[page].path}?${campaign.query}${campaign.name === 'google ads' ? `&gclid=${idOf(r, 'Cj0K', 24)}` : ''}` } : {});
        const referrer = landing ? campaign.referrer : previousUrl;
        if (referrer) e.referrer = referrer;
        previousUrl = e.url;
      };
      const read = (page: DemoPageName) => {
        const engagedMs = Math.round(r.between(...style.engagedS) * 1000);
        t += engagedMs + r.int(2_000, 40_000);
        event('engagement', page, { props: { engagedMs, scrollDepth: Math.min(100, Math.round(20 + engagedMs / 2500 + r.int(0, 40))) } });
        t += r.int(1_000, 8_000);
      };

      let page = r.pick(campaign.lands);
      const pages = r.int(...style.pages);
      for (let n = 0; n < pages; n++) {
        view(page, n === 0);
        t += r.int(3_000, 30_000);
        if (page === 'benchmark' && downloaded < 2 && r.chance(persona === 'passer-by' ? 0.1 : 0.55)) {
          event('download', page, { name: 'close-benchmark-2026.pdf', props: { url: `${origin}/files/close-benchmark-2026.pdf` } });
          downloaded++;
          t += r.int(5_000, 20_000);
        }
        if (page === 'checklist' && webinarAt === undefined && (persona === 'evaluator' || persona === 'buyer') && r.chance(0.3)) {
          event('click', page, { name: 'webinar_signup', props: { webinar: 'two-day-close' } });
          // The webinar runs on the Thursday after signing up, at 15:00 UTC.
          const day = Math.floor(t / DAY) * DAY;
          webinarAt = day + (((4 - new Date(day).getUTCDay() + 7) % 7) || 7) * DAY + 15 * HOUR;
        }
        if (page === 'pricing' && persona !== 'passer-by' && r.chance(0.3)) {
          t += r.int(10_000, 60_000);
          event('track', page, { name: 'pricing_calculator_used', props: { users: r.pick([3, 5, 8, 12, 20]), plan: r.pick(['starter', 'growth', 'scale']) } });
        }
        if (page === 'newsletter' && !subscribed && r.chance(persona === 'passer-by' ? 0.2 : 0.65)) {
          t += r.int(8_000, 30_000);
          event('form', page, { name: 'newsletter-signup', traits: { email: person.email } });
          subscribed = true;
          lead ??= { at: t, form: 'newsletter' };
          subscribers.set(person.email, { since: t, engaged: persona === 'reader' || persona === 'evaluator' || persona === 'buyer' ? 0.55 : 0.25, unopened: 0, random: r.fork('newsletter') });
          t += r.int(1_000, 3_000);
          view('newsletterThanks');
          break;
        }
        if (page === 'demo' && !requestedDemo && (persona === 'buyer' ? r.chance(0.8) : persona === 'competitor' ? r.chance(0.5) : r.chance(0.35))) {
          t += r.int(30_000, 120_000);
          event('form', page, {
            name: 'demo-request',
            traits: { email: person.email, name: person.name, company: person.company.name, job_title: person.jobTitle, company_size: person.company.size },
          });
          requestedDemo = true;
          lead ??= { at: t, form: 'demo-request' };
          t += r.int(1_000, 3_000);
          view('demoThanks');
          break;
        }
        read(page);
        if (persona === 'job-seeker' && page === 'careers' && r.chance(0.5)) break;
        page = r.weighted(style.next.filter(([name]) => name !== page));
      }
      if (t >= end) break;
      requests.push({ kind: 'browser', at: t + r.int(500, 1_500), events });

      // What other systems say about this person once they are a lead.
      if (lead && lead.at >= at && lead.at <= t) {
        const s = r.fork('server');
        if (s.chance(lead.form === 'demo-request' ? 0.75 : 0.35)) {
          server(s, person.email, lead.at + s.int(2, 25) * MINUTE, { type: 'identify', traits: { email: person.email, company: person.company.name, country: person.company.country, industry: person.company.industry } });
        }
        if (lead.form === 'demo-request' && persona !== 'competitor') {
          if (s.chance(0.3)) server(s, person.email, ms(lead.at + s.between(0.5, 4) * DAY), { type: 'track', event: 'Trial Started', properties: { plan: 'growth', seats: s.int(2, 12) } });
          if (s.chance(0.15)) server(s, person.email, ms(lead.at + s.between(2, 30) * HOUR), { type: 'track', event: 'Meeting Booked', properties: { calendar: 'sales-intro', durationMinutes: 30 } });
        }
      }
      if (lead && webinarAt !== undefined && webinarAt < end && lead.at < webinarAt) {
        const s = r.fork('webinar');
        if (s.chance(0.6)) server(s, person.email, webinarAt + s.int(40, 70) * MINUTE, { type: 'track', event: 'Webinar Attended', properties: { webinar: 'two-day-close', minutes: s.int(20, 60) } });
        webinarAt = Infinity;
      }

      // The next visit: later that day, within days, or weeks later.
      const gap = r.weighted<[number, number]>([[[2 * HOUR, 8 * HOUR], 2], [[DAY, 4 * DAY], 4], [[4 * DAY, 14 * DAY], 3]]);
      at = duringWorkingHours(r, t + r.between(...gap));
      if (at <= t) at = ms(t + r.between(...gap));
    }
  }

  // The newsletter goes out every 14 days at 08:30 UTC: opens, clicks, and fading interest.
  for (let send = Math.floor(start / DAY) * DAY + 3 * DAY + 8.5 * HOUR, issue = 1; send < end; send += 14 * DAY, issue++) {
    for (const [email, s] of [...subscribers].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (s.since >= send) continue;
      const opened = s.random.chance(s.engaged);
      s.unopened = opened ? 0 : s.unopened + 1;
      if (opened) {
        const at = send + s.random.int(10, 600) * MINUTE;
        server(s.random, email, at, { type: 'track', event: 'Email Opened', properties: { campaign: 'the-close-monthly', issue } });
        if (s.random.chance(0.35)) server(s.random, email, at + s.random.int(1, 5) * MINUTE, { type: 'track', event: 'Email Link Clicked', properties: { campaign: 'the-close-monthly', issue } });
      } else if (s.unopened === 3) server(s.random, email, send + 2 * HOUR, { type: 'track', event: 'Emails Not Opened', properties: { campaign: 'the-close-monthly', count: 3 } });
    }
  }

  const planned = requests.filter((q) => q.at < end).sort((a, b) => a.at - b.at);
  // A server-side sender names the person (identify with the email) in its first message, so
  // what it sends later is linked to the lead; leadbeam links by email, not by user id.
  const identified = new Set<string>();
  const ids = random.fork('identify');
  for (const q of planned) {
    if (q.kind !== 'server') continue;
    const first = q.messages[0]!;
    if (!identified.has(first.userId) && first.type !== 'identify') q.messages.unshift({ type: 'identify', messageId: idOf(ids, 'dm_'), userId: first.userId, traits: { email: first.userId }, timestamp: first.timestamp - 1000 });
    identified.add(first.userId);
  }
  return planned;
}
