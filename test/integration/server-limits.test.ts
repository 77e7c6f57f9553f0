import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, type ServerProcess, startServer } from '../support/server-process';

/**
 * The limits at the door, on the real server process with small configured values: a client
 * that declares a large body and sends one byte is cut after REQUEST_TIMEOUT_SECONDS (Node's
 * default would hold it 300 s), an idle keep-alive socket after KEEP_ALIVE_TIMEOUT_SECONDS, a
 * socket past MAX_CONNECTIONS at once; a client that leaves mid-body is one log line, no stack.
 */
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({
    env: {
      HEADERS_TIMEOUT_SECONDS: '1',
      REQUEST_TIMEOUT_SECONDS: '2',
      KEEP_ALIVE_TIMEOUT_SECONDS: '1',
      MAX_CONNECTIONS: '3',
      BATCH_INTERVAL_SECONDS: '0',
    },
  });
});
afterAll(async () => {
  await server?.kill();
  if (server) removeDir(server.dataDir);
});

interface RawClient {
  socket: Socket;
  received: () => string;
  /** Resolves with the milliseconds from `since` to the server closing the socket. */
  closed: Promise<number>;
}

async function rawClient(since = Date.now()): Promise<RawClient> {
  const socket = connect(server.port, '127.0.0.1');
  let text = '';
  socket.on('data', (chunk) => (text += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - since)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return { socket, received: () => text, closed };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms))]);

describe('limits at the door', () => {
  it('cuts a slow-body client after the request timeout with 408', async () => {
    const start = Date.now();
    const client = await rawClient(start);
    client.socket.write(
      'POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{',
    );
    const closedAfterMs = await within(client.closed, 8000);
    expect(closedAfterMs).toBeGreaterThanOrEqual(1900);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const client = await rawClient();
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await within(
      new Promise<void>((resolve) => client.socket.on('data', () => client.received().includes('"ok"') && resolve())),
      5000,
    );
    const answeredAt = Date.now();
    await within(client.closed, 4000); // Node's default keeps it 5 s
    expect(Date.now() - answeredAt).toBeLessThan(2500);
    expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('closes sockets past MAX_CONNECTIONS at once', async () => {
    const held = [await rawClient(), await rawClient(), await rawClient()];
    const extra = connect(server.port, '127.0.0.1');
    extra.on('error', () => {});
    const start = Date.now();
    const extraClosed = new Promise<number>((resolve) => extra.once('close', () => resolve(Date.now() - start)));
    extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    let answered = '';
    extra.on('data', (chunk) => (answered += chunk.toString()));
    expect(await within(extraClosed, 900)).toBeLessThan(900); // the held ones are cut only after 1 s
    expect(answered).toBe('');
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((client) => client.closed));
  });

  it('logs a client that leaves mid-body as one line without a stack', async () => {
    // Fresh sockets: the previous test's may still count against MAX_CONNECTIONS for a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = server.output().length;
    const client = await rawClient();
    client.socket.write(
      'POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id":',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.socket.destroy();
    const deadline = Date.now() + 3000;
    while (!server.output().slice(before).includes('aborted') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = server
      .output()
      .slice(before)
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/request aborted by the client.*\/v1\/orders/);
    expect(lines[0]).not.toMatch(/ERROR|\bat /);
  });
});
