// Validation of a NetworkAttachmentDefinition's `spec.config`: a CNI network configuration
// or configuration list as a JSON string. Plugin types are binary names looked up in the
// node's plugin dirs when a pod is attached (as Multus does): a type the node lacks fails the
// VMI with the lookup's message, so third-party plugins in --cni-plugin-dirs work too.
import { CauseType, shown, type Cause } from './causes.ts';
import { isObj } from './object-path.ts';

/** A plugin (or IPAM) type: a file name in the plugin dirs, never a path. */
const PLUGIN_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const CNI_VERSION = /^\d+\.\d+\.\d+$/;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The causes that make `text` unusable as a CNI config or conflist; `field` is its path (`spec.config`). */
export function validateCniConfig(text: unknown, field: string): Cause[] {
  const fail = (message: string, type: Cause['type'] = CauseType.Invalid): Cause[] => [{ type, field, message }];
  if (typeof text !== 'string' || text.trim() === '') return fail('Required value: expected a CNI config or conflist as a JSON string, found nothing', CauseType.Required);
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    return fail(`expected a CNI config or conflist as JSON, found invalid JSON: ${(err as Error).message}`);
  }
  if (!isObj(config)) return fail(`expected a JSON object (a CNI config or conflist), found ${shown(config)}`);
  const causes: Cause[] = [];
  if (typeof config.cniVersion !== 'string' || !CNI_VERSION.test(config.cniVersion)) {
    causes.push({ type: CauseType.Required, field, message: `expected "cniVersion" like "0.3.1" or "1.0.0", found ${shown(config.cniVersion)}` });
  }
  if (config.name !== undefined && (typeof config.name !== 'string' || !NAME.test(config.name))) {
    causes.push({ type: CauseType.Invalid, field, message: `expected "name" of letters, digits, "_", "." or "-", found ${shown(config.name)}` });
  }
  if (config.plugins !== undefined) {
    if (config.type !== undefined) causes.push({ type: CauseType.Invalid, field, message: 'expected either "type" (a single config) or "plugins" (a conflist), found both' });
    if (!Array.isArray(config.plugins) || config.plugins.length === 0) {
      causes.push({ type: CauseType.Invalid, field, message: `expected "plugins" to be a non-empty list, found ${shown(config.plugins)}` });
      return causes;
    }
    config.plugins.forEach((plugin, i) => causes.push(...validatePlugin(plugin, field, `plugins[${i}]`)));
    return causes;
  }
  if (config.type === undefined) {
    causes.push({ type: CauseType.Required, field, message: 'expected "type" (a single plugin config) or "plugins" (a conflist), found neither' });
    return causes;
  }
  causes.push(...validatePlugin(config, field, 'config'));
  return causes;
}

function validatePlugin(plugin: unknown, field: string, where: string): Cause[] {
  if (!isObj(plugin)) return [{ type: CauseType.Invalid, field, message: `${where}: expected a plugin object, found ${shown(plugin)}` }];
  const causes: Cause[] = [];
  if (typeof plugin.type !== 'string' || !PLUGIN_TYPE.test(plugin.type)) {
    causes.push({ type: CauseType.Invalid, field, message: `${where}.type: expected a plugin name such as bridge or cnv-bridge (a file name in the CNI plugin dirs), found ${shown(plugin.type)}` });
  }
  if (plugin.ipam !== undefined) {
    if (!isObj(plugin.ipam)) causes.push({ type: CauseType.Invalid, field, message: `${where}.ipam: expected an object, found ${shown(plugin.ipam)}` });
    else if (plugin.ipam.type !== undefined && (typeof plugin.ipam.type !== 'string' || !PLUGIN_TYPE.test(plugin.ipam.type))) {
      causes.push({ type: CauseType.Invalid, field, message: `${where}.ipam.type: expected an IPAM plugin name such as host-local, static or dhcp, found ${shown(plugin.ipam.type)}` });
    }
  }
  return causes;
}
