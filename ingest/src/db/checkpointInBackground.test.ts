import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { checkpointInBackground } from './checkpointInBackground.js';

const dir = mkdtempSync(join(tmpdir(), 'lb-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A writer as the ingest opens it: WAL, no automatic checkpoints. */
function openWriter(name: string) {
  const file = join(dir, name);
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('wal_autocheckpoint = 0');
  sqlite.exec('create table t (b blob)');
  return { file, sqlite };
}

/** A writer with background checkpoints every `everyMs`, both closed after `use`. */
async function withCheckpoints(name: string, everyMs: number, use: (w: ReturnType<typeof openWriter> & { checkpoints: ReturnType<typeof checkpointInBackground> }) => Promise<void>, catchUp?: (sqlite: SQLite.Database) => void) {
  const writer = openWriter(name);
  const checkpoints = checkpointInBackground(writer.file, everyMs, catchUp && (() => catchUp(writer.sqlite)));
  try {
    await use({ ...writer, checkpoints });
  } finally {
    checkpoints.stop();
    if (writer.sqlite.open) writer.sqlite.close();
  }
}

/** Commits `rows` random blobs of `bytes` each in one transaction. */
const writeRows = (sqlite: SQLite.Database, rows: number, bytes: number) => {
  const insert = sqlite.prepare(`insert into t values (randomblob(${bytes}))`);
  sqlite.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run();
  })();
};

it('copies what was committed into the database file while the writer holds a transaction open', async () => {
  await withCheckpoints('open.db', 60_000, async ({ file, sqlite, checkpoints }) => {
    writeRows(sqlite, 200, 4096);
    const before = statSync(file).size;
    sqlite.exec('begin immediate; insert into t values (randomblob(10))');
    const figures = await checkpointNow(checkpoints);
    expect(figures.log).toBeGreaterThan(200);
    // Every committed frame: the open transaction's are not in the WAL index yet.
    expect(figures.checkpointed).toBe(figures.log);
    expect(statSync(file).size).toBeGreaterThan(before + 200 * 4096);
    sqlite.exec('commit');
  });
});

it('keeps the main thread free while a large WAL is copied', async () => {
  await withCheckpoints('large.db', 60_000, async ({ sqlite, checkpoints }) => {
    writeRows(sqlite, 1024, 65536);
    let turns = 0;
    const spin = setInterval(() => turns++, 0);
    const figures = await checkpointNow(checkpoints).finally(() => clearInterval(spin));
    expect(figures.checkpointed).toBeGreaterThan(16_000);
    // 64 MB copied on this thread would have let no timer run until it ended.
    expect(turns).toBeGreaterThan(1);
  });
});

it('lets the WAL start over while the writer keeps committing, so it does not grow with the traffic', async () => {
  // As openDatabase passes it: the writer copies the remainder between its commits.
  const catchUp = (sqlite: SQLite.Database) => sqlite.inTransaction || sqlite.pragma('wal_checkpoint(PASSIVE)');
  await withCheckpoints('steady.db', 200, async ({ file, sqlite }) => {
    const insert = sqlite.prepare('insert into t values (randomblob(16384))');
    // Three seconds of commits every 2 ms: about 24 MB through the WAL.
    const end = Date.now() + 3000;
    let commits = 0;
    while (Date.now() < end) {
      insert.run();
      commits++;
      await new Promise((r) => setTimeout(r, 2));
    }
    const written = commits * 16384;
    expect(written).toBeGreaterThan(8 * 2 ** 20);
    // Started over many times: the file holds a few checkpoint periods' commits, not all of them.
    expect(statSync(`${file}-wal`).size).toBeLessThan(written / 4);
  }, catchUp);
});

it('checkpoints on its timer, and does nothing once stopped', async () => {
  const { file, sqlite } = openWriter('timer.db');
  const checkpoints = checkpointInBackground(file, 100);
  try {
    sqlite.prepare('insert into t values (randomblob(4096))').run();
    const before = statSync(file).size;
    // A few ticks (a worker starts slowly on a busy machine).
    for (let waited = 0; statSync(file).size <= before && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(file).size).toBeGreaterThan(before);
  } finally {
    checkpoints.stop();
  }
  sqlite.prepare('insert into t values (randomblob(4096))').run();
  expect(await checkpoints.checkpointNow()).toBeUndefined();
  sqlite.close();
});

async function checkpointNow(checkpoints: ReturnType<typeof checkpointInBackground>) {
  const figures = await checkpoints.checkpointNow();
  if (!figures) throw new Error('the checkpoint did not run');
  return figures;
}
