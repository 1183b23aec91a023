import type { SourceKind } from '../sources/backup-source.js';
import { kindFamily } from '../sources/source-kinds.js';
import { invalidConfig } from './validate.js';

/** Source kinds by `source.type` / restore `destination.type`. */
export class SourceRegistry {
  readonly #kinds = new Map<string, SourceKind>();

  constructor(kinds: readonly SourceKind[]) {
    for (const kind of kinds) for (const type of kind.types) this.#kinds.set(type, kind);
  }

  types(): string[] {
    return [...this.#kinds.keys()];
  }

  /** Every registered kind, once (the one a type answers to when two claim it). */
  kinds(): SourceKind[] {
    return [...new Set(this.#kinds.values())];
  }

  /** The kind answering to `type`, or undefined. */
  find(type: string): SourceKind | undefined {
    return this.#kinds.get(type);
  }

  /** The family of `type`: its kind's, or the type itself when no kind answers to it (any more). */
  familyOf(type: string): string {
    const kind = this.#kinds.get(type);
    return kind ? kindFamily(kind) : type;
  }

  /** @throws BackupError `invalid_backup_config` naming `field` when no kind answers to `type`. */
  get(type: string, field = 'source.type'): SourceKind {
    const kind = this.#kinds.get(type);
    if (!kind) {
      const known = this.types();
      throw invalidConfig(
        field,
        `No source kind is registered for "${type}"${known.length ? ` (registered: ${known.join(', ')})` : ''}`,
      );
    }
    return kind;
  }
}
