/**
 * Connection-string masking for the catalog: the one rule of security/redaction.ts (URL
 * passwords, credential query parameters, `;` settings, libpq `password=`), re-exported here
 * for the secret box and older imports.
 */
export {
  findSecretSpans,
  MASK,
  maskConnectionString,
  replaceSpans,
  type SecretSpan,
} from '../security/redaction.js';
