// The configuration of a local Restate deployment: one node, or a cluster of three on
// loopback, each node with its own ports, base directory and TOML file.
import { createServer, type Server } from "node:net";

export interface NodePorts {
  /** Node-to-node (fabric) port: restatectl and the other nodes talk to it. */
  node: number;
  admin: number;
  ingress: number;
}

export interface NodeLayout {
  name: string;
  ports: NodePorts;
  /** The node's base-dir; Restate keeps its data in `<baseDir>/<name>/`. */
  baseDir: string;
  configFile: string;
  logFile: string;
}

export interface Layout {
  clusterName: string;
  /** Partitions provisioned when the cluster is created (Restate's default is 24). */
  partitions: number;
  nodes: NodeLayout[];
}

export const host = "127.0.0.1";

export const nodeUrl = (ports: NodePorts) => `http://${host}:${ports.node}`;
export const adminUrl = (ports: NodePorts) => `http://${host}:${ports.admin}`;
export const ingressUrl = (ports: NodePorts) => `http://${host}:${ports.ingress}`;

/**
 * `count` distinct free TCP ports on 127.0.0.1: all are held open at once (so none is picked
 * twice), then released for the servers. Another process may still take one in between; the
 * caller retries a start that fails with "Address in use".
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, resolve);
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no TCP port");
      return address.port;
    });
  } finally {
    await Promise.all(
      servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  }
}

// TOML basic strings take JSON's escapes.
const str = (value: string) => JSON.stringify(value);

/**
 * The TOML of node `index` of the layout. A single node provisions itself with replication 1;
 * in a cluster every node runs every role (so the metadata store and the log each tolerate one
 * node down of three), only the first node provisions the cluster, and data is replicated to 2
 * nodes.
 */
export function nodeToml(layout: Layout, index: number): string {
  const node = layout.nodes[index]!;
  const cluster = layout.nodes.length > 1;
  const lines = [
    `# Written by scripts/restate/restate.ts: node ${node.name} of ${layout.nodes.length}.`,
    `node-name = ${str(node.name)}`,
    `cluster-name = ${str(layout.clusterName)}`,
    `base-dir = ${str(node.baseDir)}`,
    // No Unix sockets: the nodes are reached through their TCP ports only.
    `listen-mode = "tcp"`,
    `bind-ip = ${str(host)}`,
    `bind-port = ${node.ports.node}`,
    `advertised-address = ${str(`${nodeUrl(node.ports)}/`)}`,
    `roles = ["metadata-server", "log-server", "worker", "admin", "http-ingress"]`,
    `auto-provision = ${index === 0}`,
    `default-num-partitions = ${layout.partitions}`,
    `default-replication = ${cluster ? 2 : 1}`,
    // Plain log files, and a smaller RocksDB budget than the 2 GiB default: several nodes
    // share one (CI) machine.
    `log-disable-ansi-codes = true`,
    `rocksdb-total-memory-size = "256 MiB"`,
    ``,
    `[admin]`,
    `bind-port = ${node.ports.admin}`,
    ``,
    `[ingress]`,
    `bind-port = ${node.ports.ingress}`,
    ``,
    `[bifrost]`,
    `default-provider = "replicated"`,
  ];
  if (cluster) {
    const addresses = layout.nodes.map((n) => str(`${nodeUrl(n.ports)}/`)).join(", ");
    lines.push(``, `[metadata-client]`, `addresses = [${addresses}]`);
  }
  return `${lines.join("\n")}\n`;
}
