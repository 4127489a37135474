/**
 * Runs one CLI command through `main`, then prints on stderr, as its last
 * line, what is still keeping the event loop alive apart from stdio: the
 * process is to end by itself once its output is out (see runAsProcess).
 */
import { main } from '../../../src/admin/cli/main.js';

const code = await main({ argv: process.argv.slice(2) });
// After the current turn: handles closed by the command's last callbacks are gone by then.
setImmediate(() => {
  const left = process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap' && r !== 'Immediate');
  process.stderr.write(`\n${JSON.stringify({ code, left })}\n`);
});
