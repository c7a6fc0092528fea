import type { Context } from 'hono';
import { holds } from '../../auth/createKeyVerifier.js';
import type { KeyScope } from '../../db/schema.js';
import { ApiError } from '../../http/apiError.js';
import type { DashboardEnv } from '../dashboardEnv.js';

/**
 * Refuses an action (403) unless the signed-in key holds `scope`: pages hide the forms a
 * session may not use, and the server checks again.
 *
 * @example
 * requireScope(c, 'admin', 'remove webhooks');
 */
export function requireScope(c: Context<DashboardEnv>, scope: KeyScope, action: string): void {
  if (!holds(c.get('session'), scope)) throw new ApiError(403, 'forbidden', `scope: only a key with "${scope}" scope may ${action}; this session holds ${c.get('session').scopes.join(', ') || 'none'}`, { field: 'scope' });
}
