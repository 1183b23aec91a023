/** The package version, shown by `backupkit --version` (kept equal to package.json's). */
export const VERSION = '0.1.0';
