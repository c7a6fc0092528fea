import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_SECRET_KEY, readSettings } from './settings.js';

describe('settings', () => {
  it('defaults to port 8787, SQLite in ./data and a printed development key', () => {
    expect(readSettings({})).toEqual({
      port: 8787,
      databaseUrl: 'sqlite:./data/leadbeam.db',
      configPath: undefined,
      secretKey: DEVELOPMENT_SECRET_KEY,
      secretKeyIsDevelopment: true,
    });
  });

  it('refuses to start in production without a secret key', () => {
    expect(() => readSettings({ NODE_ENV: 'production' })).toThrow(/LEADBEAM_SECRET_KEY is required/);
    expect(readSettings({ NODE_ENV: 'production', LEADBEAM_SECRET_KEY: 'a-long-enough-secret' }).secretKey).toBe('a-long-enough-secret');
  });

  it('refuses a short key and a bad port', () => {
    expect(() => readSettings({ LEADBEAM_SECRET_KEY: 'short' })).toThrow(/at least 16/);
    expect(() => readSettings({ PORT: 'eighty' })).toThrow(/PORT/);
  });
});
