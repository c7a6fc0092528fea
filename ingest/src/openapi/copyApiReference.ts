import { relative } from 'node:path';
import { packageRoot } from '../packageRoot.js';
import { copyApiReference } from './apiReferenceBundle.js';

/**
 * `npm run build`'s last step (`node dist/ingest/src/openapi/copyApiReference.js`): puts the
 * reference page's script beside the build, for installs without dev dependencies.
 */
const { version, path } = copyApiReference();
console.log(`@scalar/api-reference ${version} → ${relative(packageRoot(), path)}`);
