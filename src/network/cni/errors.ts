// The CNI layer's failures, one class each, with their facts as fields. Every one extends
// CniError so callers (the VMI controller's Event, the CLI) can tell CNI failures apart.

/** Where a failure happened: the VMI's network name and the NAD (`namespace/name`) or default network. */
export interface CniWhere {
  network: string;
  networkName: string;
}

const at = (w: CniWhere) => `network ${w.network} (${w.networkName})`;

/** Base of every CNI layer error (never thrown itself). */
export class CniError extends Error {
  override name = 'CniError';
}

/** A plugin exited non-zero (or printed something that is not a result); carries the plugin's CNI error. */
export class CniPluginError extends CniError {
  override name = 'CniPluginError';
  constructor(
    readonly network: string,
    readonly networkName: string,
    /** The plugin `type` as written in the config (e.g. `cnv-bridge`). */
    readonly plugin: string,
    /** The binary that ran (e.g. `bridge`). */
    readonly binary: string,
    readonly command: 'ADD' | 'DEL',
    /** The CNI error code (999 for most Debian plugin failures); undefined when the plugin printed none. */
    readonly code: number | undefined,
    readonly msg: string,
    readonly details: string | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    const shownPlugin = plugin === binary ? plugin : `${plugin} (${binary})`;
    const tail = [details ? `: ${details}` : '', code === undefined ? '' : ` (code ${code})`].join('');
    super(`${at({ network, networkName })}: plugin ${shownPlugin} ${command} failed: ${msg}${tail}`, options);
  }
}

/** A plugin did not finish within the deadline (it was killed). */
export class CniPluginTimeoutError extends CniError {
  override name = 'CniPluginTimeoutError';
  constructor(
    readonly network: string,
    readonly networkName: string,
    readonly plugin: string,
    readonly command: 'ADD' | 'DEL',
    readonly timeoutMs: number,
  ) {
    super(`${at({ network, networkName })}: plugin ${plugin} ${command} did not finish within ${timeoutMs} ms (killed)`);
  }
}

/** The NetworkAttachmentDefinition a multus network names does not exist. */
export class NadNotFoundError extends CniError {
  override name = 'NadNotFoundError';
  constructor(
    readonly network: string,
    readonly namespace: string,
    readonly nad: string,
  ) {
    super(`network ${network}: network-attachment-definitions.k8s.cni.cncf.io "${nad}" not found in namespace ${namespace}`);
  }
}

/** A CNI config (a NAD's spec.config or the default network) cannot be used: what was expected, what was found. */
export class CniConfigError extends CniError {
  override name = 'CniConfigError';
  constructor(
    readonly network: string,
    readonly networkName: string,
    /** Where in the config, e.g. `spec.config`, `spec.config.plugins[1].type`. */
    readonly field: string,
    readonly expected: string,
    readonly found: string,
    options?: { cause?: unknown },
  ) {
    super(`${at({ network, networkName })}: ${field}: expected ${expected}, found ${found}`, options);
  }
}

/** A plugin (or IPAM plugin) binary is in none of the plugin dirs. */
export class PluginNotFoundError extends CniError {
  override name = 'PluginNotFoundError';
  constructor(
    readonly network: string,
    readonly networkName: string,
    readonly plugin: string,
    readonly binary: string,
    readonly dirs: readonly string[],
  ) {
    const shownPlugin = plugin === binary ? plugin : `${plugin} (binary ${binary})`;
    super(`${at({ network, networkName })}: CNI plugin ${shownPlugin} not found in ${dirs.join(', ')}`);
  }
}

/** The attachments or the pod identity are unusable (duplicate interface name, bad MAC, unsafe ids). */
export class InvalidAttachmentError extends CniError {
  override name = 'InvalidAttachmentError';
  constructor(
    readonly field: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${field}: expected ${expected}, found ${found}`);
  }
}

/** ADD for a pod whose networks are still attached (cached): DEL it first. */
export class PodAlreadyAttachedError extends CniError {
  override name = 'PodAlreadyAttachedError';
  constructor(
    readonly containerId: string,
    readonly networks: readonly string[],
  ) {
    super(`pod ${containerId} already has CNI networks attached (${networks.join(', ')}); DEL it before adding again`);
  }
}

/** A cache file cannot be read back (corrupt or of another version). */
export class CniCacheError extends CniError {
  override name = 'CniCacheError';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`CNI cache ${path}: ${reason}`, options);
  }
}

/** DEL of a pod failed for some networks (the others were deleted); their cache is kept for a retry. */
export class CniTeardownError extends CniError {
  override name = 'CniTeardownError';
  constructor(
    readonly containerId: string,
    readonly errors: readonly Error[],
  ) {
    super(`pod ${containerId}: CNI DEL failed for ${errors.length} network(s): ${errors.map((e) => e.message).join('; ')}`);
  }
}
