import { Transform, type TransformCallback } from 'node:stream';

const NEWLINE = 0x0a;

/**
 * Passes COPY text through and counts its rows. Text-format COPY escapes newlines inside
 * values (`\n`), so every raw newline byte ends exactly one row.
 */
export class RowCounter extends Transform {
  rows = 0;
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let at = chunk.indexOf(NEWLINE);
    while (at !== -1) {
      this.rows++;
      at = chunk.indexOf(NEWLINE, at + 1);
    }
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}
