import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A tiny HTTP blob store to write a driver against (stands in for your company's object
 * store): `PUT /o/<key>` stores the body (temp file + rename, so a blob appears whole),
 * `GET /o/<key>` reads it (honours `Range: bytes=a-b`), `HEAD` gives size and mtime, `DELETE`
 * removes it, `GET /list?prefix=&page=` lists 1,000 keys a page.
 */
export function createBlobServer(root: string): Server {
  let uploads = 0;
  const file = (key: string) => path.join(root, 'objects', encodeURIComponent(key));
  const send = (res: ServerResponse, status: number, body = '') => {
    res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://blob');
    if (url.pathname === '/list' && req.method === 'GET') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const page = Number(url.searchParams.get('page') ?? '0');
      const keys = (await readdir(path.join(root, 'objects')))
        .map((name) => decodeURIComponent(name))
        .filter((key) => key.startsWith(prefix))
        .sort();
      const slice = keys.slice(page * 1_000, (page + 1) * 1_000);
      const items = await Promise.all(
        slice.map(async (key) => {
          const info = await stat(file(key)).catch(() => null);
          return info && { key, size: info.size, mtime: info.mtime.toISOString() };
        }),
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: items.filter(Boolean), more: keys.length > (page + 1) * 1_000 }));
      return;
    }
    if (!url.pathname.startsWith('/o/')) return send(res, 404, 'no such route');
    const key = decodeURIComponent(url.pathname.slice(3));
    if (req.method === 'PUT') {
      const temp = path.join(root, 'uploads', `${process.pid}-${uploads++}`);
      try {
        await pipeline(req, createWriteStream(temp));
        await rename(temp, file(key));
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return send(res, 201);
    }
    if (req.method === 'DELETE') {
      await rm(file(key), { force: true });
      return send(res, 204);
    }
    const info = await stat(file(key)).catch(() => null);
    if (!info) return send(res, 404, `no object ${key}`);
    const headers = { 'last-modified': info.mtime.toUTCString(), 'x-mtime': info.mtime.toISOString() };
    if (req.method === 'HEAD') {
      res.writeHead(200, { ...headers, 'content-length': info.size }).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Math.min(Number(range[2]), info.size - 1) : info.size - 1;
    res.writeHead(range ? 206 : 200, { ...headers, 'content-length': Math.max(0, end - start + 1) });
    if (end < start) return void res.end();
    await pipeline(createReadStream(file(key), { start, end }), res);
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, String(error));
      else res.destroy();
    });
  });
}

/** Creates the store's directories under `root`. */
export async function prepareBlobRoot(root: string): Promise<void> {
  await mkdir(path.join(root, 'objects'), { recursive: true });
  await mkdir(path.join(root, 'uploads'), { recursive: true });
}
