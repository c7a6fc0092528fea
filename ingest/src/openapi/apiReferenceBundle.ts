import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../packageRoot.js';

/** Scalar's API reference as a single browser script, and the version of the package it came from. */
export interface ApiReferenceBundle {
  version: string;
  path: string;
}

/**
 * Where `npm run build` puts its copy of the bundle. `@scalar/api-reference` is a dev dependency
 * (a production install of it brings some 300 packages, 250 MB, for one file), so an install
 * without dev dependencies, such as the Docker image, serves this copy.
 */
export const BUILT_BUNDLE_DIR = join(packageRoot(), 'dist/docs-assets');

/** The bundle's file name, as served under `/docs/assets/`: the version in it lets browsers keep it. */
export const bundleFileName = (version: string) => `scalar-api-reference-${version}.js`;
const BUNDLE_NAME = /^scalar-api-reference-(\d[\w.+-]*)\.js$/;

/**
 * The installed `@scalar/api-reference` (pinned exactly in package.json and the lock file): its
 * standalone browser bundle, one file that defines `window.Scalar` and loads nothing else.
 * Undefined when the package is not installed. Its exports list no package.json, so the package
 * is found from its entry point (`dist/index.js`).
 */
export function installedApiReference(): ApiReferenceBundle | undefined {
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
  } catch {
    return undefined;
  }
  const dir = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { version, path: join(dir, 'dist/browser/standalone.js') };
}

/** The build's copy in `dir`, or undefined when there is none. */
export function builtApiReference(dir = BUILT_BUNDLE_DIR): ApiReferenceBundle | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    const version = BUNDLE_NAME.exec(name)?.[1];
    if (version) return { version, path: join(dir, name) };
  }
  return undefined;
}

/**
 * The bundle to serve: the installed package's (what the lock file pins now), else the build's
 * copy (an install without dev dependencies).
 *
 * @example
 * findApiReference() // { version: '1.46.4', path: '…/node_modules/@scalar/api-reference/dist/browser/standalone.js' }
 */
export function findApiReference(): ApiReferenceBundle | undefined {
  return installedApiReference() ?? builtApiReference();
}

/**
 * Copies the installed bundle into `dir` (emptied first, so no older version stays), named by
 * its version. Run by `npm run build`, while dev dependencies are installed.
 *
 * @example
 * copyApiReference() // dist/docs-assets/scalar-api-reference-1.46.4.js
 */
export function copyApiReference(dir = BUILT_BUNDLE_DIR): ApiReferenceBundle {
  const installed = installedApiReference();
  if (!installed) throw new Error('@scalar/api-reference is not installed: run "npm ci" (with dev dependencies) before building');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, bundleFileName(installed.version));
  copyFileSync(installed.path, path);
  return { version: installed.version, path };
}
