/**
 * A multi-worker plugin server in one process, for running the conformance
 * and reliability suites against `--workers N` routing: the production
 * {@link Hub} and {@link WorkerNode}s, the production Step forwarding over
 * real peer sockets, control messages delivered asynchronously and through
 * JSON as `process.send` does. Only the process boundary is missing; the
 * process tests cover it (test/cluster/).
 */
import type { Server, Socket } from 'node:net';
import { Hub } from '../../server/cluster/hub.ts';
import { mergeStatuses, WorkerNode } from '../../server/cluster/worker-node.ts';
import { listenUnix } from '../../server/wire/listener.ts';
import { silentLogger } from '../../server/process/logger.ts';
import type { PluginDefinition } from '../../plugin/definition.ts';
import type { StartOptions } from '../../server/start.ts';

/** What the suites read of a running server. */
export interface ServerView {
  readonly liveEvents: number;
  readonly liveInstances: number;
  status(): Record<string, unknown>;
}

/** A running in-process cluster. */
export interface LocalCluster {
  readonly nodes: readonly WorkerNode[];
  readonly server: ServerView;
  readonly connections: number;
  /** Steps forwarded between workers so far. */
  readonly forwarded: number;
  stop(): Promise<void>;
}

/** Delivers like an IPC channel: later, and as a JSON copy. */
function later(deliver: (message: unknown) => void): (message: unknown) => void {
  return (message) => {
    const copy: unknown = JSON.parse(JSON.stringify(message));
    setImmediate(() => deliver(copy));
  };
}

/** Starts `workers` workers behind `socket`, connections handed over round-robin. */
export async function startLocalCluster(
  plugins: readonly PluginDefinition[],
  socket: string,
  peerDirectory: string,
  workers: number,
  options: Partial<Omit<StartOptions, 'plugins' | 'sockets'>> = {},
): Promise<LocalCluster> {
  const logger = options.logger ?? silentLogger();
  const hub = new Hub(logger);
  const nodes: WorkerNode[] = [];
  for (let slot = 0; slot < workers; slot++) {
    const toHub = later((message) => hub.receive(slot, message));
    const node = await WorkerNode.start({
      ...options,
      logger,
      slot,
      workers,
      plugins,
      peerDirectory,
      pid: options.pid ?? process.pid,
      control: { send: toHub },
    });
    const toNode = later((message) => node.receive(message));
    hub.attach(slot, { send: toNode });
    node.announceReady();
    nodes.push(node);
  }
  let next = 0;
  const accepted = new Set<Socket>();
  const listener: Server = await listenUnix(socket, (connection) => {
    const node = nodes[next++ % nodes.length] as WorkerNode;
    const served = node.accept(connection);
    accepted.add(served);
    served.once('close', () => accepted.delete(served));
  });
  const sum = (read: (node: WorkerNode) => number): number => nodes.reduce((total, node) => total + read(node), 0);
  return {
    nodes,
    server: {
      get liveEvents() {
        return sum((node) => node.server.liveEvents);
      },
      get liveInstances() {
        return sum((node) => node.server.liveInstances);
      },
      status() {
        return mergeStatuses(
          nodes.map((node) => node.server.status()),
          options.pid ?? process.pid,
        );
      },
    },
    get connections() {
      return accepted.size;
    },
    get forwarded() {
      return sum((node) => node.forwarder.forwarded);
    },
    async stop() {
      for (const connection of accepted) connection.destroy();
      await new Promise((resolve) => listener.close(resolve));
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
