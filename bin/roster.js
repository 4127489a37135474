#!/usr/bin/env node
// The installed entry point: runs the compiled CLI and exits with its code.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('roster: dist/cli/main.js is missing; run "npm run build" first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exit(await main({ argv: process.argv.slice(2) }));
