import { MessageChannel } from 'node:worker_threads';

/**
 * A port whose messages are dropped: posting to a closed port still detaches what the transfer
 * list names, and dropping the message frees that memory on the spot.
 */
let sink: MessageChannel['port1'] | null = null;

/**
 * Frees the memory of `view` now instead of whenever the garbage collector gets to it, when
 * `view` is the only view of a plain ArrayBuffer it spans whole (a temporary buffer, e.g. a
 * cipher's output piece); otherwise does nothing. `view` is unusable afterwards.
 *
 * Why: Node allocates such buffers outside the JavaScript heap, and a thread whose heap hardly
 * grows (a chunk worker's) collects them only once ~64 MiB have piled up — per thread. Freed
 * here, a worker stays near its baseline without forcing collections (which would need a V8
 * flag changed for the whole process).
 */
export function releaseNow(view: Uint8Array): void {
  const buffer = view.buffer;
  if (!(buffer instanceof ArrayBuffer) || view.byteOffset !== 0 || view.byteLength !== buffer.byteLength)
    return;
  if (buffer.byteLength < 4096) return; // small buffers come from pools; not worth it
  if (!sink) {
    const channel = new MessageChannel();
    channel.port2.close();
    channel.port1.close();
    sink = channel.port1;
  }
  try {
    sink.postMessage(null, [buffer]);
  } catch {
    // Not transferable (e.g. a buffer Node keeps for reuse): the collector frees it.
  }
}
