import { defineConfig } from 'drizzle-kit';

// Migrations are generated from the schema and committed; the same SQL runs on
// Postgres and on embedded PGlite (`roster migrate`, or at `roster serve` start).
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/core/store/schema.ts',
  out: './drizzle',
});
