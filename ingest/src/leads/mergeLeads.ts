import type { Kysely } from 'kysely';
import { fromJson, toJson } from '../db/json.js';
import type { Database } from '../db/schema.js';
import { ApiError } from '../http/apiError.js';
import { newId } from '../ids.js';
import { replayLead } from '../replay/replaySubject.js';
import type { Scorer } from '../scoring/engine.js';
import { enqueueMerge } from '../webhooks/outbox.js';
import { lockLeads } from './leadStore.js';

const noLead = (id: string, field: string) => new ApiError(404, 'not_found', `${field}: no lead "${id}"`, { field });

/**
 * Merges lead `mergedId` into lead `survivorId` at `at`, in one transaction with both leads
 * locked: the merged lead's browsers and past links move to the survivor, its traits fill the
 * survivor's gaps, the identity log records it, the survivor is rescored from its whole history
 * and a `lead.merged` webhook is queued. Throws an `ApiError` (404, 409) and stores nothing when
 * either lead is unknown, already merged, the same, or of another site. The API's
 * `POST /v1/leads/:id/merge` and the dashboard's lead page both go through here.
 *
 * @example
 * const { id } = await mergeLeads(db, scorers, 'ld_keep', 'ld_duplicate', Date.now());
 */
export async function mergeLeads(db: Kysely<Database>, scorers: Map<string, Scorer>, survivorId: string, mergedId: string, at: number): Promise<{ id: string; mergedId: string }> {
  // An ApiError thrown inside rolls the transaction back.
  return db.transaction().execute(async (trx) => {
    // Both leads locked, in id order, so live scoring of either waits for the merge.
    const locked = await lockLeads(trx, [survivorId, mergedId]);
    const [survivor, merged] = [locked.get(survivorId), locked.get(mergedId)];
    if (!survivor) throw noLead(survivorId, 'id');
    if (!merged) throw noLead(mergedId, 'leadId');
    const conflict = (message: string) => new ApiError(409, 'conflict', `leadId: ${message}`, { field: 'leadId' });
    if (survivor.id === merged.id) throw conflict('a lead cannot be merged into itself');
    if (survivor.merged_into || merged.merged_into) throw conflict(`${survivor.merged_into ? survivor.id : merged.id} was already merged into ${survivor.merged_into ?? merged.merged_into}`);
    if (survivor.site_id !== merged.site_id) throw conflict('leads of different sites cannot be merged');
    // The merged lead's browsers join as claimants: their events fill the survivor's unknown
    // traits but never replace what the survivor's own browsers gave (nor its email).
    await trx.updateTable('lead_visitors').set({ lead_id: survivor.id, owns_traits: 0 }).where('lead_id', '=', merged.id).execute();
    await trx.updateTable('past_links').set({ lead_id: survivor.id, owns_traits: 0 }).where('lead_id', '=', merged.id).execute();
    await trx.updateTable('leads').set({ merged_into: survivor.id, updated_at: at }).where('id', '=', merged.id).execute();
    // Its pages are the survivor's now: the first-touch job rebuilds the survivor's (marked below).
    await trx.deleteFrom('lead_pages').where('site_id', '=', merged.site_id).where('lead_id', '=', merged.id).execute();
    // The survivor gains the merged lead's browsers: its first touch and pages may now be theirs.
    await trx
      .updateTable('leads')
      .set((eb) => ({ traits: toJson({ ...fromJson(merged.traits), ...fromJson(survivor.traits) }), touch_seq: eb('touch_seq', '+', 1) }))
      .where('id', '=', survivor.id)
      .execute();
    await trx
      .insertInto('identity_log')
      .values({ id: newId('id'), site_id: survivor.site_id, visitor_id: null, lead_id: survivor.id, other_lead_id: merged.id, kind: 'merged', detail: `${merged.id} (${merged.email}) merged into ${survivor.id}`, at })
      .execute();
    const scorer = scorers.get(survivor.site_id);
    const fresh = await trx.selectFrom('leads').selectAll().where('id', '=', survivor.id).executeTakeFirstOrThrow();
    if (scorer) await replayLead(trx, scorer, fresh, at);
    await enqueueMerge(trx, survivor.id, merged.id, at);
    return { id: survivor.id, mergedId: merged.id };
  });
}
