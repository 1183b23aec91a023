// A worker thread's bootstrap when the package runs from its TypeScript sources (its own tests):
// it loads the entry named in workerData through tsx. Built packages never use it: their worker
// entries are JavaScript files of their own.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.typescriptEntry, import.meta.url);
