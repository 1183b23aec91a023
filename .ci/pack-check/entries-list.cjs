'use strict';
// Every entry point with a few of its exports, for entries.mjs and entries.cjs.
exports.ENTRIES = {
  '@backupkit/core': ['createBackupService', 'BackupError', 'isBackupError', 'LocalStorageDriver'],
  '@backupkit/storage-s3': ['S3StorageDriver', 's3DriverFactoryWith'],
  '@backupkit/storage-azure': ['AzureBlobStorageDriver', 'azureDriverFactory'],
  '@backupkit/storage-gcs': ['GcsStorageDriver', 'gcsDriverFactoryWith'],
  '@backupkit/http-adapter': ['createBackupHandler', 'apiTokenAuthenticator', 'jwtAuthenticator'],
  '@backupkit/http-adapter/express': ['backupRouter'],
  '@backupkit/http-adapter/fastify': ['backupPlugin', 'backupFrameworkErrors'],
  '@backupkit/cli': ['run', 'parseDestinationUrl', 'EXIT'],
};

/** Native modules loaded so far: none may be, until a feature that needs one is used. */
exports.loadedNatives = () => [
  ...new Set(
    Object.keys(require.cache).flatMap(
      (file) => /[\\/]node_modules[\\/](better-sqlite3|zstd-napi)[\\/]/.exec(file)?.slice(1) ?? [],
    ),
  ),
];
