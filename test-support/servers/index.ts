// Local storage servers for driver tests, each a separate process on a free port.
export * from './azurite-server.js';
export * from './child-server.js';
export * from './engine-round-trips.js';
export * from './free-port.js';
export * from './gcs-emulator.js';
export * from './s3-servers.js';
export * from './tcp-relay.js';
