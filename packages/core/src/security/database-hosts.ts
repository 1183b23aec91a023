import { BackupError } from '../errors.js';
import type { DatabaseTarget } from './access-policy.js';

type Rule = (target: DatabaseTarget) => boolean;

function hostName(value: string): string {
  return value.toLowerCase().replace(/\.$/, '');
}

function invalidEntry(entry: string): BackupError {
  return new BackupError('validation_failed', `Not a database host entry: "${entry}"`, {
    details: { entry, expected: 'host, host:port, *.domain, *.domain:port, [ipv6]:port, unix or unix:/dir' },
  });
}

function portOf(text: string, entry: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw invalidEntry(entry);
  return Number(text);
}

function ruleOf(entry: string): Rule {
  if (entry === 'unix') return (target) => target.socket;
  if (entry.startsWith('unix:/')) {
    const dir = entry.slice('unix:'.length).replace(/(.)\/+$/, '$1');
    return (target) => target.socket && target.host.replace(/(.)\/+$/, '$1') === dir;
  }
  let host = entry;
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(entry);
  if (bracketed) {
    host = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = portOf(bracketed[2], entry);
  } else if (entry.split(':').length === 2) {
    [host, port] = [entry.slice(0, entry.indexOf(':')), portOf(entry.slice(entry.indexOf(':') + 1), entry)];
  }
  // An address with more than one colon and no brackets is an IPv6 address without a port.
  if (host === '' || /[\s/@?#]/.test(host)) throw invalidEntry(entry);
  const portMatches = (target: DatabaseTarget) => port === null || target.port === port;
  if (host === '*') return (target) => !target.socket && portMatches(target);
  if (host.startsWith('*.')) {
    const suffix = hostName(host.slice(1));
    if (suffix.length < 2 || suffix.slice(1).includes('*')) throw invalidEntry(entry);
    return (target) => !target.socket && hostName(target.host).endsWith(suffix) && portMatches(target);
  }
  if (host.includes('*')) throw invalidEntry(entry);
  const name = hostName(host);
  return (target) => !target.socket && hostName(target.host) === name && portMatches(target);
}

/**
 * An `allowDatabase` hook from a list of entries: `db.internal` (any port), `db.internal:5432`,
 * `*.db.example.com` (subdomains only, optionally `:port`), `[::1]:5432`, `*` (any TCP host),
 * `unix` (any local socket) or `unix:/var/run/postgresql`. Host names are compared as written
 * (case-insensitively), not resolved: list the names and addresses the connection strings use.
 * Blank entries are ignored; an empty list allows nothing.
 * @throws BackupError `validation_failed` for an entry of none of these forms.
 */
export function allowDatabaseHosts(list: readonly string[]): (target: DatabaseTarget) => boolean {
  const rules = list
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(ruleOf);
  return (target) => rules.some((rule) => rule(target));
}
