// Reads a `pxevirt pxe serve --config` file (YAML or JSON) into a validated spec.
import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import { CauseType, ValidationError } from '../resources/causes.ts';
import { validatePxeServerSpec, type PxeServerSpec } from '../resources/pxe-server.ts';

/** Loads and validates a config file; throws ValidationError naming the field, or a read error naming the file. */
export async function loadPxeConfig(path: string): Promise<PxeServerSpec> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read PXE config ${path}: ${err.code ?? err.message}`, { cause: err });
  });
  return parsePxeConfig(text, path);
}

/** Parses config text (YAML, which includes JSON) and validates it. */
export function parsePxeConfig(text: string, source = '<config>'): PxeServerSpec {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    throw new ValidationError(`PXE config ${source}`, [
      { type: CauseType.Invalid, field: '<config>', message: `expected YAML or JSON, found a syntax error${where}: ${(err as Error).message.split('\n')[0]}` },
    ]);
  }
  const { value, causes } = validatePxeServerSpec(doc);
  if (!value) throw new ValidationError(`PXE config ${source}`, causes);
  return value;
}
