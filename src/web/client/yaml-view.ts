// An object as YAML, with the YAML library loaded on first use.

/** The YAML text of an object. */
export async function yamlOf(object: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(object, { lineWidth: 0 });
}
