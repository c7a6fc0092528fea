#!/usr/bin/env node
/**
 * `leadbeam`: the ingest's command line (serve, migrate, keys, rescore, export, erase,
 * check-config). `leadbeam --help` lists them; `leadbeam COMMAND --help` explains one.
 *
 * @example
 * // node dist/ingest/src/cli/leadbeam.js migrate
 */
import { createProgram } from './createProgram.js';

const program = createProgram(process.env);
// The command running, for the error line's prefix (`leadbeam keys create: …`).
let running = 'leadbeam';
program.hook('preAction', (_, action) => {
  const names = [];
  for (let c: typeof action | null = action; c; c = c.parent) names.unshift(c.name());
  running = names.join(' ');
});
try {
  await program.parseAsync(process.argv);
} catch (err) {
  // One line and no stack: these are messages for an operator (a bad setting, no such lead),
  // and a multi-line message (a config's problems) is folded onto it.
  const message = (err instanceof Error ? err.message : String(err)).split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  console.error(`${running}: ${message}`);
  process.exitCode = 1;
}
