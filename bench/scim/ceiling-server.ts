/**
 * The ceiling for the SCIM benchmark: a bare Fastify route doing one indexed
 * primary-key SELECT on the same users table, with the same driver. Whatever
 * Roster adds (auth, rate limit, SCIM rendering) shows against this. A second
 * route does the least a durable write can: one single-row UPDATE committed on
 * its own, the bound on any write workload on this machine.
 */
import Fastify from 'fastify';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
  const [row] = await sql`select * from users where id = ${request.params.id}::uuid`;
  if (!row) return reply.status(404).send({ error: 'not found' });
  return row;
});
// The least a durable write can cost here: one single-row UPDATE, committed on its own (one round trip).
// A GET, so the benchmark's content-type header and empty body need no parser.
app.get<{ Params: { id: string } }>('/write/users/:id', async (request, reply) => {
  const [row] = await sql`update users set updated_at = now() where id = ${request.params.id}::uuid returning id, updated_at`;
  if (!row) return reply.status(404).send({ error: 'not found' });
  return row;
});
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${(app.server.address() as { port: number }).port}\n`);
