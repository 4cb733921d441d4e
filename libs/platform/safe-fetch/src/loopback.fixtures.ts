import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A plain-http server on loopback standing in for a provider's file host (a configured test host). */
export interface TestHost {
  /** `http://127.0.0.1:port` */
  readonly url: string;
  /** `127.0.0.1:port`, as configured in `testHosts`. */
  readonly host: string;
  readonly port: number;
  /** Path and query of every request received, in order. */
  readonly requests: string[];
  stop(): Promise<void>;
}

export async function startTestHost(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestHost> {
  const requests: string[] = [];
  const server = createHttpServer((request, response) => {
    requests.push(request.url ?? '/');
    handle(request, response);
  });
  const port = await listen(server, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    stop: () => close(server),
  };
}

/**
 * A TCP listener that counts every connection it is offered. It listens on every address
 * (dual-stack `::` where the machine has IPv6) so that 127.0.0.0/8, 0.0.0.0, ::1, mapped
 * forms and this machine's own private addresses all reach it on its port.
 */
export interface Canary {
  readonly port: number;
  readonly connections: number;
  stop(): Promise<void>;
}

export async function startCanary(): Promise<Canary> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  const port = await listen(server, '::').catch(() => listen(server, '0.0.0.0'));
  return {
    port,
    get connections() {
      return connections;
    },
    stop: () => close(server),
  };
}

/** Every outgoing TCP connection this process makes, as `address:port`, while watched. */
export interface SocketWatch {
  readonly created: number;
  readonly connected: readonly string[];
  stop(): void;
}

export function watchSockets(): SocketWatch {
  const connected: string[] = [];
  let created = 0;
  const onSocket = (message: unknown) => {
    created += 1;
    const { socket } = message as { socket: Socket };
    socket.once('connect', () => connected.push(`${socket.remoteAddress}:${socket.remotePort}`));
  };
  subscribe('net.client.socket', onSocket);
  return {
    get created() {
      return created;
    },
    connected,
    stop: () => void unsubscribe('net.client.socket', onSocket),
  };
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, ipv6Only: false }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  if ('closeAllConnections' in server) (server as unknown as { closeAllConnections(): void }).closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
