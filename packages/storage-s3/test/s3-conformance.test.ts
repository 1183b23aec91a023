import { storageDriverConformance } from '@backupkit/core/testing';
import { S3Fixture } from './s3-test-driver.js';

const s3 = new S3Fixture();
storageDriverConformance({ name: 'S3StorageDriver on fauxqs', createDriver: s3.start, cleanup: s3.close });
