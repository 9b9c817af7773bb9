// A load balancer in front of several aegis workers, as a cluster of workers has one: each
// connection Restate opens goes to the first backend that accepts it. A worker killed
// refuses connections, so Restate's retry reaches the next one.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly url: string;
  /** Ends every connection open through it (as a network failure would); it still listens. */
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(
  backends: () => { host: string; port: number }[],
): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.once("close", () => open.delete(client));
    client.pause();
    const targets = backends();
    const attempt = (index: number) => {
      const target = targets[index];
      if (!target) return client.destroy();
      const upstream = connect(target.port, target.host);
      let connected = false;
      upstream.once("error", () => {
        if (!connected) attempt(index + 1);
      });
      upstream.once("connect", () => {
        connected = true;
        open.add(upstream);
        upstream.once("close", () => {
          open.delete(upstream);
          client.destroy();
        });
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        client.once("close", () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      for (const socket of open) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
