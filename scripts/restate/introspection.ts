// What a running Restate deployment says about itself.
//
// Two SQL interfaces: the admin API's `POST /query` sees the partitions' data (sys_invocation,
// sys_invocation_status with its partition_key, …) but not the cluster; `restatectl sql`, over
// the node-to-node port, sees the cluster (tables nodes, partitions with each partition's key
// range, partition_state with each replica's mode). Keys are unsigned 64-bit numbers, which a
// JSON number cannot hold exactly, so the queries cast them to strings.
import { execFile } from "node:child_process";
import { restatectlBinary } from "./binaries.ts";

export interface PartitionInfo {
  id: number;
  /** First and last partition key of the partition (inclusive). */
  startKey: bigint;
  endKey: bigint;
  /** The node name of its active leader, if an alive node leads it. */
  leader?: string;
}

export interface InvocationLocation {
  partitionKey: bigint;
  partition: number;
  leader?: string;
}

/** Whether GET `url` answers 200 (within a couple of seconds). */
export async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

function restatectlSql(nodeUrl: string, sql: string): Promise<unknown[]> {
  // No colours in the errors.
  const args = ["--address", nodeUrl, "--connect-timeout", "2000", "sql", "--json", sql];
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const key of Object.keys(env)) if (key.startsWith("RESTATECTL_")) delete env[key];
  return new Promise((resolve, reject) => {
    execFile(restatectlBinary(), args, { env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`restatectl sql via ${nodeUrl}: ${stderr.trim() || error.message}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as unknown[]);
      } catch {
        reject(new Error(`restatectl sql via ${nodeUrl}: not JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

/** Runs `fn` against each address in turn until one answers. */
async function first<T>(addresses: string[], fn: (address: string) => Promise<T>): Promise<T> {
  const errors: string[] = [];
  for (const address of addresses) {
    try {
      return await fn(address);
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(errors.length ? errors.join("\n") : "no address to ask");
}

/** A query of the cluster tables (restatectl sql), through the first node that answers. */
export function clusterQuery<T>(nodeUrls: string[], sql: string): Promise<T[]> {
  return first(nodeUrls, (url) => restatectlSql(url, sql)) as Promise<T[]>;
}

/** A query of the partitions' data (admin `POST /query`), through the first node that answers. */
export function adminQuery<T>(adminUrls: string[], sql: string): Promise<T[]> {
  return first(adminUrls, async (url) => {
    const response = await fetch(`${url}/query`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query: sql }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${url}/query: ${response.status} ${text.slice(0, 300)}`);
    return (JSON.parse(text) as { rows: T[] }).rows;
  });
}

/** The names of the nodes the cluster considers alive. */
export async function aliveNodes(nodeUrls: string[]): Promise<Set<string>> {
  const rows = await clusterQuery<{ name: string }>(
    nodeUrls,
    "SELECT name FROM nodes WHERE state = 'alive'",
  );
  return new Set(rows.map((row) => row.name));
}

/**
 * Every partition with its key range and its leader: the alive node whose replica is in
 * leader mode and active (while leadership moves, the highest leader epoch wins).
 */
export async function partitions(nodeUrls: string[]): Promise<PartitionInfo[]> {
  const ranges = await clusterQuery<{ id: number; start_key: string; end_key: string }>(
    nodeUrls,
    "SELECT partition_id AS id, CAST(start_key AS VARCHAR) AS start_key, " +
      "CAST(end_key AS VARCHAR) AS end_key FROM partitions ORDER BY partition_id",
  );
  const leaders = await clusterQuery<{ id: number; name: string; epoch: number }>(
    nodeUrls,
    "SELECT ps.partition_id AS id, n.name AS name, ps.leader_epoch AS epoch " +
      "FROM partition_state ps JOIN nodes n ON ps.plain_node_id = n.plain_node_id " +
      "WHERE lower(ps.effective_mode) = 'leader' AND ps.replay_status = 'active' " +
      "AND n.state = 'alive'",
  );
  const leaderOf = new Map<number, { name: string; epoch: number }>();
  for (const row of leaders) {
    const known = leaderOf.get(row.id);
    if (!known || row.epoch > known.epoch) leaderOf.set(row.id, row);
  }
  return ranges.map((row) => {
    const leader = leaderOf.get(row.id)?.name;
    return {
      id: row.id,
      startKey: BigInt(row.start_key),
      endKey: BigInt(row.end_key),
      ...(leader !== undefined && { leader }),
    };
  });
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The partition key of an invocation (from sys_invocation_status), or undefined while the
 * invocation is not (yet) known to its partition.
 */
export async function partitionKeyOf(
  adminUrls: string[],
  invocationId: string,
): Promise<bigint | undefined> {
  const rows = await adminQuery<{ partition_key: string }>(
    adminUrls,
    "SELECT CAST(partition_key AS VARCHAR) AS partition_key FROM sys_invocation_status " +
      `WHERE id = ${quote(invocationId)}`,
  );
  return rows[0] === undefined ? undefined : BigInt(rows[0].partition_key);
}

/** The partition whose key range holds `partitionKey`. */
export function partitionOfKey(all: PartitionInfo[], partitionKey: bigint): PartitionInfo {
  const found = all.find((p) => p.startKey <= partitionKey && partitionKey <= p.endKey);
  if (!found) throw new Error(`no partition holds key ${partitionKey}`);
  return found;
}
