/**
 * Redaction of everything the adapter sends or logs: core's one rule (URL passwords, credential
 * query parameters, `;` settings, `password=`, credential headers) plus every listed secret of
 * 6 characters or more. Re-exported under the names the adapter's files import.
 */
export { redactText, redactValue } from '@backupkit/core';
