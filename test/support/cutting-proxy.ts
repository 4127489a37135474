/**
 * A TCP proxy in front of an LDAP server that drops a connection part way
 * through a listing: armed with a pattern and a count, it forwards the
 * requests whose bytes contain the pattern until the nth, and on the nth
 * destroys both sockets, as a server that dies or a network that fails
 * between two pages does. A paged search sends its whole SearchRequest again
 * for every page (RFC 2696 §3: the same request with the cookie), so a
 * filter's value, which travels verbatim in BER, names each page of that
 * listing. One shot: once it dropped, it forwards everything again.
 *
 * Works for any server on 127.0.0.1 (slapd on its free port, Samba on 389);
 * slapd.ts's own proxy drops the first matching request, which cannot fail a
 * listing after its first page.
 */
import net from 'node:net';

export interface CuttingProxy {
  readonly port: number;
  /** The `nth` (1-based) request whose bytes contain `pattern` drops its connection instead of being forwarded. */
  dropAt(pattern: string, nth: number): void;
  /** Connections dropped so far. */
  readonly drops: number;
  /** Forget an armed drop that has not happened yet. */
  disarm(): void;
  close(): Promise<void>;
}

export async function startCuttingProxy(targetPort: number): Promise<CuttingProxy> {
  const open = new Set<net.Socket>();
  let armed: { pattern: Buffer; remaining: number } | null = null;
  let drops = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (chunk: Buffer) => {
      if (armed && chunk.includes(armed.pattern) && --armed.remaining === 0) {
        armed = null;
        drops++;
        drop();
        return;
      }
      upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    dropAt(pattern, nth) {
      if (nth < 1) throw new Error('dropAt counts from 1');
      armed = { pattern: Buffer.from(pattern), remaining: nth };
    },
    get drops() {
      return drops;
    },
    disarm() {
      armed = null;
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
