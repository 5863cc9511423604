// `pxevirt create -f FILE|-`: POSTs every object; prints `<type>/<name> created` per object.
import { ApiStatusError, ManyErrors, UsageError } from '../client/cli-errors.ts';
import { resourcePath, typeName } from '../client/discovery.ts';
import { printObjects, type OutputFormat } from './output.ts';
import { readManifests } from './manifests.ts';
import { resolveManifest } from './targets.ts';
import type { Session } from './session.ts';

export interface CreateOptions {
  filename: string[];
  dryRun?: string;
  output?: OutputFormat;
}

/** What `--dry-run` asks for: the query and the suffix kubectl prints. */
export function dryRunMode(value: string | undefined): { query?: string; suffix: string; client: boolean } {
  if (value === undefined || value === 'none' || value === 'false') return { suffix: '', client: false };
  if (value === 'server') return { query: 'All', suffix: ' (server dry run)', client: false };
  if (value === 'client' || value === 'true' || value === '') return { suffix: ' (dry run)', client: true };
  throw new UsageError(`Invalid dry-run value (${value}). Must be "none", "server", or "client".`);
}

/** Throws the errors collected while handling several objects (one alone as itself). */
export function throwCollected(errors: unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ManyErrors(errors);
}

/** Runs `create`. */
export async function create(session: Session, options: CreateOptions): Promise<void> {
  const items = await readManifests(options.filename, () => session.io.readStdin(), 'create');
  const dry = dryRunMode(options.dryRun);
  const errors: unknown[] = [];
  for (const item of items) {
    try {
      const target = await resolveManifest(session, item);
      let result = target.object;
      if (!dry.client) {
        result = await session.client.request({
          method: 'POST',
          path: resourcePath(target.info, target.namespace),
          query: { fieldManager: 'kubectl-create', fieldValidation: 'Strict', dryRun: dry.query },
          body: target.object,
        });
      }
      if (options.output) printObjects(session.io, [result], options.output, false);
      else session.io.out(`${typeName(target.info.kind, target.info.group)}/${target.name} created${dry.suffix}\n`);
    } catch (err) {
      errors.push(err instanceof ApiStatusError ? err.withSource('creating', item.source) : err);
    }
  }
  throwCollected(errors);
}
