#!/usr/bin/env node
// The installed entry point: runs the compiled CLI, which sets the exit code once its output is out.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/admin/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('roster: dist/admin/cli/main.js is missing; run "npm run build" first\n');
  process.exit(1);
}
const { runAsProcess } = await import(entry.href);
await runAsProcess(process.argv.slice(2));
