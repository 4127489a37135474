/**
 * The ceiling for the SCIM benchmark: a bare Fastify route doing one indexed
 * primary-key SELECT on the same users table, with the same driver. Whatever
 * Roster adds (auth, rate limit, SCIM rendering) shows against this.
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
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${(app.server.address() as { port: number }).port}\n`);
