export { createBlobServer, prepareBlobRoot } from './blob-server.js';
export { type HttpBlobDriverOptions, HttpBlobStorageDriver } from './http-blob-driver.js';
