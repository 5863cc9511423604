// `pxevirt logs NAME`: the VMI's serial log (everything the guest wrote on its console),
// kept after the guest stops until the VMI is deleted.
import { vmiSubresourcePath } from '../client/websocket.ts';
import type { Session } from './session.ts';

/** The serial log's text, or its last `tail` lines. */
export async function serialLog(session: Session, name: string, tail?: number): Promise<string> {
  const bytes = await session.client.requestBytes({ path: vmiSubresourcePath(session.namespace, name, 'log'), query: { tail }, accept: 'text/plain' });
  return bytes.toString('utf8');
}

/** Prints the serial log. */
export async function logsVerb(session: Session, name: string, options: { tail?: number } = {}): Promise<void> {
  session.io.out(await serialLog(session, name, options.tail));
}

/** Lines `describe vmi` shows from the end of the serial log. */
export const DESCRIBE_LOG_LINES = 10;

/** The serial log's last lines as a describe section: escape sequences and CRs removed. */
export function serialLogSection(text: string, lines = DESCRIBE_LOG_LINES): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b[()][A-Z0-9]/g, '').replace(/\r/g, '');
  // eslint-disable-next-line no-control-regex
  const kept = plain.split('\n').map((l) => l.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '').trimEnd()).filter((l) => l !== '').slice(-lines);
  if (kept.length === 0) return 'Serial Console:\t<empty>\n';
  return [`Serial Console (last ${kept.length} lines, all: pxevirt logs NAME):`, ...kept.map((l) => `  ${l}`), ''].join('\n');
}

/** The section for a VMI, or nothing when its log cannot be read. */
export async function describeSerialLog(session: Session, object: Record<string, unknown>): Promise<string> {
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  const name = meta.name ?? '';
  const namespace = meta.namespace ?? session.namespace;
  try {
    const bytes = await session.client.requestBytes({ path: vmiSubresourcePath(namespace, name, 'log'), query: { tail: 200 }, accept: 'text/plain' });
    return serialLogSection(bytes.toString('utf8'));
  } catch {
    return '';
  }
}
