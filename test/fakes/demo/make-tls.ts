/**
 * Makes the fake IdPs' test CA for `roster demo` and prints where it is, as
 * JSON: the launcher (src/admin/cli/demo.ts) must set NODE_EXTRA_CA_CERTS before
 * the demo process starts, and cannot import this TypeScript itself.
 */
import { createTestTls } from '../tls.js';

const tls = createTestTls();
process.stdout.write(JSON.stringify({ dir: tls.dir, caPath: tls.caPath }));
