// Reads the local API server's audit log (one JSON event per line, written at ResponseComplete) to count
// what a given user really sent: the steady-state "zero writes" claim is measured here, not inferred.
import { readFileSync } from 'node:fs';
import { localAuditLogPath } from './cluster.js';

export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; namespace?: string; name?: string; subresource?: string };
  requestReceivedTimestamp: string;
  responseStatus?: { code?: number };
}

const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export function auditEvents(username: string, since: Date, until: Date = new Date(8.64e15)): AuditEvent[] {
  return readFileSync(localAuditLogPath(), 'utf8')
    .split('\n')
    .filter((line) => line.includes(username))
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((e) => {
      const at = new Date(e.requestReceivedTimestamp);
      return e.user.username === username && at >= since && at < until;
    });
}

export function writeRequests(username: string, since: Date, until?: Date): AuditEvent[] {
  return auditEvents(username, since, until).filter((e) => WRITE_VERBS.has(e.verb));
}

export function describeRequest(e: AuditEvent): string {
  const ref = e.objectRef ?? {};
  return `${e.verb} ${ref.resource ?? '?'}${ref.subresource ? `/${ref.subresource}` : ''} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? ''}`;
}
