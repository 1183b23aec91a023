import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The analytics page: a static shell (ui/ in this package) and uPlot, the charting library,
// served from its npm package as installed. Nothing is built or fetched from a CDN.

interface Asset {
  /** Where the file is, resolved on first use. */
  locate: () => string;
  contentType: string;
}

function here(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** `ui/` beside `src/` and `dist/`: one level above this file in both. */
function shellFile(name: string): () => string {
  return () => path.join(path.dirname(here()), '..', 'ui', name);
}

function uplotFile(name: string): () => string {
  return () => createRequire(here()).resolve(path.posix.join('uplot', 'dist', name));
}

const ASSETS: Record<string, Asset> = {
  '': { locate: shellFile('index.html'), contentType: 'text/html; charset=utf-8' },
  'app.js': { locate: shellFile('app.js'), contentType: 'text/javascript; charset=utf-8' },
  'charts.js': { locate: shellFile('charts.js'), contentType: 'text/javascript; charset=utf-8' },
  'app.css': { locate: shellFile('app.css'), contentType: 'text/css; charset=utf-8' },
  'uplot.js': { locate: uplotFile('uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
  'uplot.css': { locate: uplotFile('uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Promise<Buffer>>();

/** The page's file at `name` (`''` for the page itself), or null for any other name. */
export async function uiAsset(name: string): Promise<{ body: Buffer; contentType: string } | null> {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return null;
  let body = cache.get(name);
  if (!body) {
    body = readFile(asset.locate());
    body.catch(() => cache.delete(name));
    cache.set(name, body);
  }
  return { body: await body, contentType: asset.contentType };
}

/**
 * Only what the page itself needs: its own scripts and styles (uPlot sets inline styles), API
 * calls to this origin, no framing.
 */
export const UI_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};
