/**
 * The unit project's guard (unit-guard.ts): in a *.unit.test.ts file, opening
 * a store, a socket, a server or a subprocess throws instead of running.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import net from 'node:net';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/core/store/index.js';
import { createTestStore } from './store.js';

const REFUSED = /a unit test \(\*\.unit\.test\.ts\) runs pure code only: it may not .*; name the file \*\.test\.ts/;

describe('a unit test', () => {
  it('cannot open a store, embedded or Postgres', async () => {
    await expect(createTestStore()).rejects.toThrow(REFUSED);
    await expect(openStore({ dataDir: 'memory://' })).rejects.toThrow(/may not open an embedded database/);
    await expect(openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/test' })).rejects.toThrow(/may not open a Postgres connection/);
    expect(() => postgres('postgres://postgres@127.0.0.1:5432/test')).toThrow(REFUSED);
  });

  it('cannot connect or listen', () => {
    expect(() => net.connect(5432, '127.0.0.1')).toThrow(/may not open a socket/);
    expect(() => createServer().listen(0, '127.0.0.1')).toThrow(/may not listen on a socket/);
  });

  it('cannot start a subprocess', () => {
    expect(() => spawn(process.execPath, ['-e', ''])).toThrow(/may not start a subprocess \(child_process.spawn\)/);
    expect(() => execFileSync(process.execPath, ['-e', ''])).toThrow(/child_process.execFileSync/);
  });
});
