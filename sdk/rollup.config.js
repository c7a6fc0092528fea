import { readdirSync, rmSync } from 'node:fs';
import replace from '@rollup/plugin-replace';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';

const ts = (extra = {}) => typescript({ tsconfig: 'sdk/tsconfig.json', compilerOptions: extra });

/**
 * The vitals chunk is named by its content and served as immutable for a year, so an upgrade
 * must give it a new name: it is built first, and the script's literal 'sdk/vitals.js' is
 * replaced by the name it got. Earlier chunks are deleted, so an old name answers 404 rather
 * than serve new code. The name is the hash alone: a "vitals-" prefix measured 5 B gzipped
 * in the script, which is at its budget.
 */
let vitalsFile;
const recordVitalsFile = {
  name: 'record-vitals-file',
  generateBundle(_, bundle) {
    vitalsFile = Object.keys(bundle).find((f) => f.endsWith('.js'));
  },
  writeBundle({ dir }) {
    for (const f of readdirSync(dir)) if (/^(vitals(-\w+)?|[0-9a-f]{8})\.js$/.test(f) && f !== vitalsFile) rmSync(`${dir}/${f}`);
  },
};
const loadHashedVitals = [
  replace({
    preventAssignment: false,
    delimiters: ['', ''],
    values: { 'sdk/vitals.js': () => `sdk/${vitalsFile}` },
  }),
  {
    name: 'check-vitals-name',
    // A script that asks for a missing chunk fails quietly in browsers: fail the build instead.
    generateBundle(_, bundle) {
      const code = Object.values(bundle)[0].code;
      if (!vitalsFile || !code.includes(`sdk/${vitalsFile}`)) this.error("the script no longer loads 'sdk/vitals.js': update sdk/rollup.config.js");
    },
  },
];

export default [
  // Web vitals: a separate chunk the script loads when the page is idle. Built first: the
  // script needs its name.
  {
    input: 'sdk/src/vitals.ts',
    output: { dir: 'sdk/dist', entryFileNames: '[hash:8].js', hashCharacters: 'hex', format: 'es', sourcemap: false },
    plugins: [ts(), resolve(), terser({ format: { comments: false } }), recordVitalsFile],
  },
  // The script tag: one small self-contained IIFE.
  {
    input: 'sdk/src/browser.ts',
    output: { file: 'sdk/dist/leadbeam.js', format: 'iife', strict: false, sourcemap: false },
    plugins: [
      ...loadHashedVitals,
      ts(),
      resolve(),
      terser({
        ecma: 2020,
        compress: { passes: 3, unsafe_arrows: true },
        // Internal names nothing outside the bundle reads (the page's API keeps its names).
        mangle: { properties: { regex: /^(flushOnHide|forgetQueue|lbAt)$/ } },
        format: { comments: false },
      }),
    ],
  },
  // The npm package: ESM with type declarations.
  {
    input: 'sdk/src/index.ts',
    output: { dir: 'sdk/dist/esm', format: 'es', sourcemap: true },
    plugins: [ts({ declaration: true, declarationDir: 'sdk/dist/esm/types', outDir: 'sdk/dist/esm' }), resolve()],
  },
];
