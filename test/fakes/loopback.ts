/**
 * Starting and stopping a fake IdP's HTTP(S) server, the same for every fake:
 * a free port on 127.0.0.1 (never another interface), and a stop that also
 * ends kept-alive connections, so a test's fake never holds the process open.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listen on a free loopback port; returns the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Stop now: open connections are closed rather than waited for. */
export async function closeNow(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
