import net, { type AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../src/engine/byte-budget.js';
import { CopyOutStream } from '../../../src/sources/postgres/copy-out-stream.js';
import { createReadTakeoverSocket } from '../../../src/sources/postgres/read-takeover-socket.js';

/** One backend message: code, Int32 length (counting itself), payload. */
function message(code: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header.write(code, 0, 'latin1');
  header.writeUInt32BE(payload.length + 4, 1);
  return Buffer.concat([header, payload]);
}

const rows = Array.from({ length: 300 }, (_, i) => `${i}\trow number ${i}\t${'x'.repeat(i % 97)}\n`);
const copyOut = Buffer.concat([
  message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0])),
  message('N', Buffer.from('Snotice\0\0')),
  ...rows.map((r) => message('d', Buffer.from(r))),
  message('S', Buffer.from('application_name\0x\0')),
  message('d', Buffer.from('last\n')),
  message('c'),
]);
const after = Buffer.concat([message('C', Buffer.from('COPY 301\0')), message('Z', Buffer.from('I'))]);
const expected = Buffer.from(`${rows.join('')}last\n`);

/**
 * Runs the stream over a socket stand-in that delivers `wire` in reads of `size` bytes (fresh
 * buffers each, as a socket does); returns the COPY payload and what was handed back to pg.
 */
async function run(wire: Buffer, size: number): Promise<{ out: Buffer; handedBack: Buffer; error?: Error }> {
  const socket = new PassThrough();
  const handedBack: Buffer[] = [];
  socket.on('data', (b: Buffer) => handedBack.push(Buffer.from(b)));
  let queried = '';
  const stream = new CopyOutStream('COPY t TO STDOUT');
  stream.submit({ stream: socket, query: (text: string) => (queried = text) } as unknown as pg.Connection);
  expect(queried).toBe('COPY t TO STDOUT');
  for (let i = 0; i < wire.length; i += size) socket.write(Buffer.from(wire.subarray(i, i + size)));
  const out: Buffer[] = [];
  try {
    for await (const piece of stream) out.push(piece as Buffer);
  } catch (error) {
    return { out: Buffer.concat(out), handedBack: Buffer.concat(handedBack), error: error as Error };
  }
  // The listener pg had is back on the socket, and later traffic reaches it.
  socket.write(Buffer.from('later'));
  await new Promise((r) => setImmediate(r));
  return { out: Buffer.concat(out), handedBack: Buffer.concat(handedBack) };
}

describe('CopyOutStream', () => {
  it('strips the CopyData framing however the socket splits the messages, and hands the rest back to pg', async () => {
    for (const size of [1, 2, 3, 4, 5, 6, 7, 13, 64, 1000, 8192, 1 << 20]) {
      const { out, handedBack, error } = await run(Buffer.concat([copyOut, after]), size);
      expect(error).toBeUndefined();
      expect(out.equals(expected), `read size ${size}`).toBe(true);
      expect(handedBack.equals(Buffer.concat([after, Buffer.from('later')])), `read size ${size}`).toBe(true);
    }
    const stream = new CopyOutStream('COPY t TO STDOUT');
    stream.handleCommandComplete({ text: 'COPY 301' });
    expect(stream.rowCount).toBe(301);
  });

  it('hands an ErrorResponse back to pg whole, even when its header was split', async () => {
    const error = message('E', Buffer.from('SERROR\0Mboom\0\0'));
    const wire = Buffer.concat([
      message('H', Buffer.from([0, 0, 0])),
      message('d', Buffer.from('a\n')),
      error,
    ]);
    for (const size of [1, 2, 4, 9, 100]) {
      const socket = new PassThrough();
      const handedBack: Buffer[] = [];
      socket.on('data', (b: Buffer) => handedBack.push(Buffer.from(b)));
      const stream = new CopyOutStream('COPY t TO STDOUT');
      stream.submit({ stream: socket, query: () => {} } as unknown as pg.Connection);
      for (let i = 0; i < wire.length; i += size) socket.write(Buffer.from(wire.subarray(i, i + size)));
      await new Promise((r) => setImmediate(r));
      expect(Buffer.concat(handedBack).equals(error), `read size ${size}`).toBe(true);
      // pg then fails the query through the submittable.
      const failed = new Promise((resolve) => stream.once('error', resolve));
      stream.handleError(new Error('boom'));
      expect(((await failed) as Error).message).toBe('boom');
    }
  });
});

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 2));
}

/**
 * Runs the stream over a read-takeover socket connected to a local server that plays
 * PostgreSQL: some of pg's own traffic first, then the COPY (once submitted) written `size`
 * bytes at a time, then more traffic for pg.
 */
async function runOverTcp(size: number): Promise<{ out: Buffer; handedBack: Buffer[] }> {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const socket = createReadTakeoverSocket();
  try {
    // Kept as given: each must be a buffer of its own, which later reads do not overwrite.
    const handedBack: Buffer[] = [];
    socket.on('data', (b: Buffer) => handedBack.push(b));
    await new Promise<void>((r) => socket.connect((server.address() as AddressInfo).port, '127.0.0.1', r));
    const peer = await accepted;
    peer.write('before');
    await until(() => Buffer.concat(handedBack).length === 6);
    const stream = new CopyOutStream('COPY t TO STDOUT');
    stream.submit({ stream: socket, query: () => {} } as unknown as pg.Connection);
    const wire = Buffer.concat([copyOut, after]);
    const writing = (async () => {
      for (let i = 0; i < wire.length; i += size) {
        peer.write(wire.subarray(i, i + size));
        if ((i / size) % 8 === 0) await tick();
      }
      peer.write('later');
    })();
    const pieces: Buffer[] = [];
    for await (const piece of stream) pieces.push(piece as Buffer);
    await writing;
    const total = 6 + after.length + 5;
    await until(() => Buffer.concat(handedBack).length >= total);
    return { out: Buffer.concat(pieces), handedBack };
  } finally {
    socket.destroy();
    server.close();
  }
}

describe('CopyOutStream over a read-takeover socket', () => {
  it('strips the framing of reads landing in its own buffers; pg gets its bytes in buffers of their own', async () => {
    for (const size of [1, 3, 5, 7, 64, 1000, 70_000]) {
      const { out, handedBack } = await runOverTcp(size);
      expect(out.equals(expected), `write size ${size}`).toBe(true);
      const pgBytes = Buffer.concat([Buffer.from('before'), after, Buffer.from('later')]);
      expect(Buffer.concat(handedBack).equals(pgBytes), `write size ${size}`).toBe(true);
    }
  });
});

describe('ByteBudget', () => {
  it('bounds bytes in flight, FIFO, letting an oversized request through alone', async () => {
    const budget = new ByteBudget(10);
    const order: string[] = [];
    await budget.acquire(6);
    const big = budget.acquire(25).then(() => order.push('big'));
    const small = budget.acquire(1).then(() => order.push('small'));
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([]); // the small one waits behind the big one
    budget.release(6);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['big']);
    expect(budget.used).toBe(25);
    budget.release(25);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(budget.used).toBe(1);
  });
});
