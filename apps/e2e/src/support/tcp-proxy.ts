import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder on loopback that a test can cut and restore: `cut()` destroys every open
 * connection and refuses new ones (each is accepted and closed at once), which looks to a
 * client like its server went away; `restore()` forwards again. Lets a test take a
 * shared server (PostgreSQL, RabbitMQ) away from one system without stopping it.
 */
export interface TcpProxy {
  readonly port: number;
  /** `target` with host and port replaced by the proxy's. */
  url(target: string): string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const proxy: TcpProxy = {
    port,
    url(target) {
      const url = new URL(target);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cut() {
      refusing = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** A proxy in front of the host and port of a URL (postgres://, amqp://). */
export function startTcpProxyFor(target: string): Promise<TcpProxy> {
  const url = new URL(target);
  const defaultPort = url.protocol.startsWith('amqp') ? 5672 : 5432;
  return startTcpProxy(url.hostname, Number(url.port || defaultPort));
}

/**
 * A round-robin TCP balancer on loopback in front of several local ports, as a load balancer
 * in front of gateway replicas: each connection goes to the next port, and one whose port
 * refuses (a replica killed or restarting) tries the following ones before giving up.
 */
export interface TcpBalancer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startTcpBalancer(ports: readonly number[]): Promise<TcpBalancer> {
  const open = new Set<Socket>();
  let next = 0;
  const forward = (client: Socket, tries: number) => {
    const port = ports[next++ % ports.length]!;
    const upstream = connect(port, '127.0.0.1');
    upstream.once('error', () => {
      upstream.destroy();
      if (tries + 1 < ports.length && !client.destroyed) forward(client, tries + 1);
      else client.destroy();
    });
    upstream.once('connect', () => {
      open.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        open.delete(client);
        open.delete(upstream);
      };
      client.on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    open.add(client);
    client.on('error', () => client.destroy());
    forward(client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
