// Runs fauxqs (an in-memory S3 emulator) bound to 127.0.0.1 only; its CLI binds 0.0.0.0.
// Usage: node fauxqs-launcher.mjs <fauxqs package dir> <port>
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [fauxqsDir, portText] = process.argv.slice(2);
if (!fauxqsDir || !portText) {
  process.stderr.write('usage: fauxqs-launcher.mjs <fauxqs dir> <port>\n');
  process.exit(2);
}
const { buildApp } = await import(pathToFileURL(path.join(fauxqsDir, 'dist', 'app.js')).href);
const app = buildApp({ logger: false });
await app.listen({ port: Number(portText), host: '127.0.0.1' });
process.stdout.write(`fauxqs listening on 127.0.0.1:${portText}\n`);
const stop = () => app.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
