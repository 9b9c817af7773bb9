// A TCP load balancer for the Restate table: several `aegis worker` processes behind one
// address, as a pool of workers has (Restate sends a deployment's invocations to one URI).
// Each connection Restate opens goes to the next backend in turn; Restate opens several
// HTTP/2 connections under load, so the invocations spread over the workers. (The tests'
// proxy, tests/helpers/tcp-proxy.ts, sends every connection to the first live backend: it
// is made for failover, not for sharing load.)
import { connect, createServer, type Server, type Socket } from "node:net";

export interface Backend {
  host: string;
  port: number;
}

export interface RoundRobinProxy {
  readonly url: string;
  /** Connections given to each backend so far, in the order of `backends`. */
  readonly connections: number[];
  close(): Promise<void>;
}

export async function startRoundRobinProxy(backends: Backend[]): Promise<RoundRobinProxy> {
  const open = new Set<Socket>();
  const connections = backends.map(() => 0);
  let next = 0;
  const server: Server = createServer((client) => {
    const index = next++ % backends.length;
    const target = backends[index]!;
    connections[index]! += 1;
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.once("close", () => open.delete(socket));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
    client.once("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
