import { createRequire } from 'node:module';
import { BackupError } from '../errors.js';

// Native modules the package loads only for the feature that needs them. They are optional
// dependencies: an install whose native build failed still serves every other feature.

/** Resolves modules from this file, whether it runs as ESM, as the CJS build or under a test runner. */
function requireHere(): NodeJS.Require {
  return createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
}

/** The error for an optional module that cannot be loaded (missing, or its native build failed). */
export function missingOptionalModule(name: string, feature: string, cause?: unknown): BackupError {
  return new BackupError(
    'not_implemented',
    `${feature} needs the optional package ${name}, which is not installed or did not build ` +
      `on this machine: npm install ${name}`,
    { cause, details: { package: name } },
  );
}

/**
 * Loads optional module `name` (Node caches it after the first call).
 * @throws BackupError `not_implemented` naming the package when it cannot be loaded.
 */
export function requireOptional<T>(name: string, feature: string): T {
  try {
    return requireHere()(name) as T;
  } catch (error) {
    throw missingOptionalModule(name, feature, error);
  }
}

/**
 * The entry file of optional module `name` (for worker threads that load it themselves).
 * @throws BackupError `not_implemented` naming the package when it is not installed.
 */
export function resolveOptional(name: string, feature: string): string {
  try {
    return requireHere().resolve(name);
  } catch (error) {
    throw missingOptionalModule(name, feature, error);
  }
}
