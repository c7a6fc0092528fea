import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH } from '../config/loadConfig.js';
import { DASHBOARD_ASSETS_DIR } from '../dashboard/assets/createAssetsRoute.js';
import { packageRoot } from '../packageRoot.js';
import { DEFAULT_SDK_DIR } from '../sdk-assets/sdkAssetsRoute.js';

/**
 * The image runs the compiled server beside the few source folders it reads at run time. No
 * Docker engine runs where this is built, so the Dockerfile's runtime stage is read instead.
 */
describe('the Docker image', () => {
  it('copies every folder the server reads files from at run time (the demo config, the built script, the dashboard assets)', () => {
    const root = packageRoot();
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const copied = [...runtime.matchAll(/^COPY --from=builder \/app\/(\S+) \.\/(\S+)$/gm)].map((m) => m[2]!.replace(/\/$/, ''));
    const needed = [dirname(DEFAULT_CONFIG_PATH), DEFAULT_SDK_DIR, DASHBOARD_ASSETS_DIR].map((dir) => relative(root, dir).replace(/\/$/, ''));
    for (const dir of needed) expect(copied.some((c) => dir === c || dir.startsWith(`${c}/`)), `${dir} in ${copied.join(', ')}`).toBe(true);
  });
});
