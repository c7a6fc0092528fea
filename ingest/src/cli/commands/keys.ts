import { Command } from 'commander';
import { createKeyStore } from '../../keys/keyStore.js';
import { newKeySchema } from '../../keys/keysRoute.js';
import { readSettings } from '../../settings.js';
import { withDatabase } from '../withDatabase.js';

/**
 * `leadbeam keys create|list|revoke`: named API keys, through the same store and the same
 * checks as `/v1/keys`, for setting up the first keys without calling the API.
 *
 * @example
 * program.addCommand(keysCommand(process.env));
 */
export function keysCommand(env: Record<string, string | undefined>): Command {
  const keys = new Command('keys').description('named API keys: create, list, revoke');

  keys
    .command('create')
    .description('make a key; it is printed once and stored only as a hash')
    .requiredOption('--name <name>', 'what the key is for, e.g. "crm sync"')
    .requiredOption('--scopes <scopes>', 'comma-separated: read, write, admin')
    .action(async (options: { name: string; scopes: string }) => {
      const parsed = newKeySchema.safeParse({ name: options.name, scopes: options.scopes.split(',').map((s) => s.trim()).filter(Boolean) });
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${String(i.path[0] ?? 'scopes')}: ${i.message}`).join('; '));
      await withDatabase(readSettings(env), async ({ db }) => {
        const created = await createKeyStore({ db }).create(parsed.data);
        // The key alone on stdout, so it can be captured; the rest is for the reader.
        console.error(`made key ${created.id} "${created.name}" (${created.scopes.join(', ')}); it is not shown again:`);
        console.log(created.key);
      });
    });

  keys
    .command('list')
    .description('list keys (never the keys themselves, only their first characters)')
    .option('--json', 'as JSON')
    .action(async ({ json }: { json?: boolean }) => {
      await withDatabase(readSettings(env), async ({ db }) => {
        const list = await createKeyStore({ db }).list();
        if (json) return console.log(JSON.stringify(list, null, 2));
        if (!list.length) return console.log('no keys');
        for (const k of list) {
          const state = k.revokedAt ? `revoked ${k.revokedAt}` : `last used ${k.lastUsedAt ?? 'never'}`;
          console.log(`${k.id}  ${k.prefix}…  ${k.scopes.join(',')}  "${k.name}"  created ${k.createdAt}, ${state}`);
        }
      });
    });

  keys
    .command('revoke')
    .description('revoke a key: every server refuses it from now on')
    .argument('<id>', 'the key id (from keys list), e.g. key_…')
    .action(async (id: string) => {
      await withDatabase(readSettings(env), async ({ db }) => {
        if (!(await createKeyStore({ db }).revoke(id))) throw new Error(`no unrevoked key ${id}`);
        console.log(`revoked ${id}`);
      });
    });

  return keys;
}
