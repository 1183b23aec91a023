import { parentPort } from 'node:worker_threads';
import { createDecoderHandler } from './chunk-decoder-worker.js';
import { createEncoderHandler } from './chunk-encoder-worker.js';
import type { DecoderMessage, EncoderMessage } from './chunk-worker-protocol.js';

// The chunk worker thread's entry, built as its own file (see chunk-worker.ts). One worker body
// for both halves: backup runs' messages (with `run`) go to the encoder, chunk readers' (with
// `reader`) to the decoder.

if (!parentPort) throw new Error('The chunk worker runs in a worker thread only');
const port = parentPort;
const encode = createEncoderHandler(port);
const decode = createDecoderHandler(port);
port.on('message', (m: EncoderMessage | DecoderMessage) => ('reader' in m ? decode(m) : encode(m)));
