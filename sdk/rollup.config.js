import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';
import resolve from '@rollup/plugin-node-resolve';

const ts = (extra = {}) => typescript({ tsconfig: 'sdk/tsconfig.json', compilerOptions: extra });
export default [
  // The script tag: one small self-contained IIFE.
  {
    input: 'sdk/src/browser.ts',
    output: { file: 'sdk/dist/leadbeam.js', format: 'iife', strict: false, sourcemap: false },
    plugins: [
      ts(),
      resolve(),
      terser({
        ecma: 2020,
        compress: { passes: 3, unsafe_arrows: true },
        // Internal names nothing outside the bundle reads (the page's API keeps its names).
        mangle: { properties: { regex: /^(flushOnHide|lbAt)$/ } },
        format: { comments: false },
      }),
    ],
  },
  // Web vitals: a separate chunk the script loads when the page is idle.
  {
    input: 'sdk/src/vitals.ts',
    output: { file: 'sdk/dist/vitals.js', format: 'es', sourcemap: false },
    plugins: [ts(), resolve(), terser({ format: { comments: false } })],
  },
  // The npm package: ESM with type declarations.
  {
    input: 'sdk/src/index.ts',
    output: { dir: 'sdk/dist/esm', format: 'es', sourcemap: true },
    plugins: [ts({ declaration: true, declarationDir: 'sdk/dist/esm/types', outDir: 'sdk/dist/esm' }), resolve()],
  },
];
