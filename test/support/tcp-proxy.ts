/**
 * A TCP proxy for fault tests: Roster talks to Postgres through it, and a
 * test cuts every connection (as a failover or a network partition does),
 * keeps the database unreachable while it is "gone", then restores it.
 *
 * While cut, new connections are either refused (the listener closes, so a
 * client sees ECONNREFUSED, as with a stopped server) or, with `accept`,
 * accepted and closed at once (as a load balancer in front of a dead server
 * does).
 */
import net from 'node:net';

export interface CutOptions {
  /** Accept new connections and close them at once, instead of refusing them. */
  accept?: boolean;
}

export interface TcpProxy {
  /** The local port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlThrough(url: string): string;
  /** Destroy every open connection and keep the target unreachable until `restore`. */
  cut(options?: CutOptions): Promise<void>;
  /** Forward connections again. */
  restore(): Promise<void>;
  /** Connections forwarded so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number } = { host: '127.0.0.1', port: 5432 }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  let forwarded = 0;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    forwarded++;
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    urlThrough(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async cut(options = {}) {
      down = true;
      const closing = options.accept ? Promise.resolve() : stopListening();
      for (const socket of open) socket.destroy();
      open.clear();
      await closing;
    },
    async restore() {
      down = false;
      if (!server.listening) await listen(port);
    },
    get forwarded() {
      return forwarded;
    },
    async close() {
      down = true;
      for (const socket of open) socket.destroy();
      open.clear();
      await stopListening();
    },
  };
}
