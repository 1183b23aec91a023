import { createHash } from 'node:crypto';
import { ChunkCutter, type ChunkerParams, DEFAULT_CHUNKER_PARAMS } from '@backupkit/core';
import { describe, expect, it } from 'vitest';
import { seededBytes, seededCopyText } from './chunker-inputs.js';

const SMALL: ChunkerParams = { algorithm: 'fastcdc-gear-v1', minSize: 1024, avgSize: 4096, maxSize: 16384 };
const digest = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function inPieces(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

/** Digests and sizes of the chunks push/finishAll cut. */
function pushed(pieces: Buffer[], params: ChunkerParams): string[] {
  const cutter = new ChunkCutter(params);
  const out = pieces.flatMap((piece) => cutter.push(piece));
  out.push(...cutter.finishAll());
  return out.map((chunk) => `${chunk.length}:${digest(chunk)}`);
}

/** The same through visit/visitRest, each chunk read during its call only. */
function visited(pieces: Buffer[], params: ChunkerParams): string[] {
  const cutter = new ChunkCutter(params);
  const out: string[] = [];
  const visit = (chunk: Buffer) => out.push(`${chunk.length}:${digest(chunk)}`);
  for (const piece of pieces) cutter.visit(piece, visit);
  cutter.visitRest(visit);
  return out;
}

describe('ChunkCutter.visit', () => {
  for (const [name, params, data] of [
    ['small parameters, random bytes', SMALL, seededBytes(300_000, 7)],
    ['small parameters, COPY text', SMALL, seededCopyText(300_000, 11)],
    ['default parameters, COPY text', DEFAULT_CHUNKER_PARAMS, seededCopyText(9_000_000, 3)],
  ] as const) {
    it(`cuts the chunks push cuts, whatever the piece sizes (${name})`, () => {
      const expected = pushed([data], params);
      expect(expected.length).toBeGreaterThan(1);
      for (const size of [1000, 65_536, 300_000, data.length]) {
        expect(visited(inPieces(data, size), params), `pieces of ${size}`).toEqual(expected);
      }
    });
  }

  it('hands over nothing for no input, and a last short chunk', () => {
    expect(visited([], SMALL)).toEqual([]);
    expect(visited([Buffer.from('tiny')], SMALL)).toEqual([`4:${digest(Buffer.from('tiny'))}`]);
  });
});
