/**
 * What the host lets the service touch on behalf of a caller. A backup service holds the keys
 * to everything it backs up, so the defaults touch nothing dangerous: no directory is readable
 * or writable until the host names roots, no per-job storage endpoint is accepted until the
 * host allows it. Database servers are the one exception: backing up a database named by its
 * connection string is the service's main job, so any host is allowed unless `allowDatabase`
 * says otherwise.
 */
export interface AccessPolicy {
  /**
   * Directories whose subtrees directory (`filesystem`) backups may read. Paths are resolved
   * with `realpath` and checked component by component. Default: none — directory backups
   * are refused.
   */
  sourceRoots?: readonly string[];
  /** Directories whose subtrees directory restores may write into. Default: none — refused. */
  restoreRoots?: readonly string[];
  /**
   * Directories never read or written whatever the roots say. The service's data directory,
   * every local storage root, `/proc`, `/sys` and `/dev` are always denied; these add to them.
   */
  deniedPaths?: readonly string[];
  /**
   * Whether a directory restore that asks for it (`destination.allow_external_symlinks`) may
   * create symlinks pointing outside its target directory. Default false: such links are
   * skipped and reported as warnings.
   */
  allowExternalSymlinks?: boolean;
  /**
   * Whether a job may name its own storage endpoint (`destination.endpoint`, an Azure
   * connection string's `BlobEndpoint`, …). Default: no per-job endpoint is accepted;
   * endpoints come from the host's driver configuration.
   */
  allowEndpoint?: (url: URL) => boolean | Promise<boolean>;
  /**
   * Whether sources, restore targets and test restores may connect to this database server.
   * Default: any server (the service's main job); restrict it where the network holds
   * databases a caller must not reach.
   */
  allowDatabase?: (target: DatabaseTarget) => boolean | Promise<boolean>;
  /** Shortest time between two runs of a schedule, in seconds (default 60). */
  minScheduleIntervalSeconds?: number;
  /** Restores this instance runs at once; more wait `queued` (default 2). */
  maxConcurrentRestores?: number;
  /** Verifications this instance runs at once; more wait `queued` (default 2). */
  maxConcurrentVerifications?: number;
}

/** A database server a connection string points at, as `allowDatabase` sees it (no password). */
export interface DatabaseTarget {
  /** Host name or address as written, or the socket directory for a Unix-domain socket. */
  host: string;
  port: number;
  /** True when `host` is a Unix-domain socket directory. */
  socket: boolean;
  database: string | null;
  user: string | null;
}
