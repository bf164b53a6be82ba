/**
 * Forked workers (real processes): a connection passed to a worker, and one
 * passed to a worker that dies before it takes it. Node keeps a passed
 * handle open until the receiver acknowledges it and queues the next ones;
 * a connection must neither stay open with nobody reading it (Kong's call
 * would hang until its timeout) nor be lost while another worker could
 * serve it.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { forkWorkers } from '../../server/cluster/forked-worker.ts';
import type { WorkerProcess } from '../../server/cluster/worker-pool.ts';
import { tempDirectory, waitFor } from '../support/server.ts';

const GREETER = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'greeter-worker.js');

interface Launched {
  readonly worker: WorkerProcess;
  readonly exited: Promise<void>;
}

const launcher = forkWorkers({ program: GREETER, args: [], environment: () => ({}) });
const workers: WorkerProcess[] = [];
const directories: string[] = [];
const servers: Server[] = [];
after(() => {
  for (const worker of workers) if (worker.running) worker.kill('SIGKILL');
  for (const server of servers) server.close();
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

function launch(): Launched {
  let exited!: () => void;
  const done = new Promise<void>((resolve) => (exited = resolve));
  const worker = launcher.launch(0, { message: () => undefined, disconnect: () => undefined, error: () => undefined, exit: () => exited() });
  workers.push(worker);
  return { worker, exited: done };
}

/** A paused listener, as the primary's, and clients connected to it: each client with the primary's side of its connection. */
async function connections(count: number): Promise<Array<{ accepted: Socket; received: () => string; closed: () => boolean }>> {
  const directory = tempDirectory();
  directories.push(directory);
  const path = join(directory, 'p.sock');
  const accepted: Socket[] = [];
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    socket.on('error', () => undefined);
    accepted.push(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const clients = Array.from({ length: count }, () => {
    let received = '';
    let closed = false;
    const client = connect(path);
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    client.on('error', () => undefined);
    client.on('close', () => (closed = true));
    return { received: () => received, closed: () => closed };
  });
  await waitFor(() => accepted.length === count, 5000, 'the connections');
  return clients.map((client, i) => ({ ...client, accepted: accepted[i] as Socket }));
}

/** Passes `socket` to `worker`; resolves with the error of the send, or null. */
function pass(worker: WorkerProcess, socket: Socket): { settled: () => boolean; error: () => Error | null | undefined } {
  let settled = false;
  let failure: Error | null | undefined;
  worker.send({ t: 'conn' }, socket, (error) => {
    settled = true;
    failure = error;
  });
  return { settled: () => settled, error: () => failure };
}

describe('forked workers', () => {
  it("hand a connection over and close the primary's copy once it is written", async () => {
    const { worker } = launch();
    const [connection] = await connections(1);
    assert.ok(connection !== undefined);
    const sent = pass(worker, connection.accepted);
    await waitFor(() => sent.settled(), 5000, 'the send');
    assert.equal(sent.error(), null);
    assert.equal(connection.accepted.destroyed, true, "the primary's copy is closed");
    await waitFor(() => connection.closed(), 5000, 'the worker to answer');
    assert.equal(connection.received(), `hello from ${worker.pid}`);
  });

  it('close a connection written to a worker that dies before taking it, and fail the queued ones so that another worker serves them', async () => {
    const { worker: dying, exited } = launch();
    assert.ok(dying.pid !== undefined);
    // Stopped, it never reads its channel, so it never acknowledges the first connection and Node queues the others.
    process.kill(dying.pid, 'SIGSTOP');
    const [written, ...queued] = await connections(3);
    assert.ok(written !== undefined);
    const sends = [written, ...queued].map((connection) => pass(dying, connection.accepted));
    await waitFor(() => sends[0]?.settled() === true, 5000, 'the first send');
    assert.deepEqual(sends.map((send) => send.settled()), [true, false, false], 'the others wait for an acknowledgement');
    dying.kill('SIGKILL');
    await exited;
    assert.deepEqual(sends.map((send) => send.error() instanceof Error), [false, true, true], 'the queued sends fail when the worker exits');
    await waitFor(() => written.closed(), 5000, 'the connection written to the dead worker to close');
    assert.equal(written.received(), '');
    // The queued connections were never sent: still open, unread, and another worker serves them.
    const { worker: survivor } = launch();
    for (const connection of queued) {
      assert.equal(connection.closed(), false);
      pass(survivor, connection.accepted);
    }
    await waitFor(() => queued.every((connection) => connection.closed()), 5000, 'the other worker to answer');
    assert.deepEqual(queued.map((connection) => connection.received()), [`hello from ${survivor.pid}`, `hello from ${survivor.pid}`]);
  });
});
