// The one rule for `bootOrder`, disks and interfaces alike: a positive integer is the device's
// boot index (1 first); anything else means "not a boot device".

/** The boot index for a device's bootOrder, or undefined when it has none. */
export function bootIndex(bootOrder: unknown): number | undefined {
  return typeof bootOrder === 'number' && Number.isInteger(bootOrder) && bootOrder > 0 ? bootOrder : undefined;
}
