// The Redfish service under /redfish/v1 as one function, (ApiRequest) → ApiResponse, beside the
// Kubernetes handler on the same port and apart from its code paths: it reads VMs, VMIs and
// Secrets from the store, acts through KubeVirt's start/stop/restart and the node's guest
// actions, and turns every failure into a Redfish error body here and only here.
import { vmSubresource } from '../api/vm-subresources.ts';
import { ApiError } from '../api/errors.ts';
import type { GuestAccess } from '../api/guest-access.ts';
import type { ApiRequest, ApiResponse } from '../api/http-types.ts';
import { BOOT_OVERRIDE_ANNOTATION, formatBootOverride, overrideActive } from '../resources/boot-override.ts';
import { NotFoundError } from '../store/errors.ts';
import type { ObjectStore, StoredObject } from '../store/types.ts';
import { ADMIN_USER, authenticate, basicCredentials, CREDENTIALS_ANNOTATION, mayReach, SESSION_LIMITS, SessionTable, type Principal, type VmAccount } from './auth.ts';
import { bootPatch } from './boot-patch.ts';
import { bios, checkSecureBootPatch, secureBoot } from './firmware.ts';
import { LoginLimiter } from './login-limit.ts';
import { RedfishError } from './errors.ts';
import { RESET_TYPES, resetStep, type ResetType } from './power.ts';
import * as R from './resources.ts';
import type { SystemView } from './resources.ts';
import { systemView } from './system-view.ts';
import { TaskTable, taskRoute } from './tasks.ts';
import type { MediaStore } from './virtual-media.ts';
import { mediaRoute } from './media-route.ts';
import { allow, failure, reply, VM_KEY, VMI_KEY } from './reply.ts';

export { VM_KEY };
const SECRET_KEY = { group: '', resource: 'secrets' };

export interface RedfishOptions {
  store: ObjectStore;
  /** The API token: the password of the daemon's own `admin` account. */
  adminPassword: string;
  /** Reaches running guests (reset, NMI, ACPI reboot); without it those answer 409. */
  guests?: Pick<GuestAccess, 'act'>;
  /** Downloads and removes virtual CD images on the node; without it InsertMedia answers 409. */
  media?: MediaStore;
  /** Records a BMC action as an Event on the VM. */
  event?: (vm: StoredObject, reason: string, message: string) => void;
  /** The service's UUID (the store's identity). */
  uuid: string;
  version?: string;
  now?: () => number;
}

/** Whether a path is the Redfish service's. */
export const isRedfishPath = (path: string): boolean => path === '/redfish' || path.startsWith('/redfish/');

/** Creates the Redfish handler. */
export function createRedfishHandler(o: RedfishOptions): (req: ApiRequest) => ApiResponse {
  const sessions = new SessionTable(o.now ?? Date.now);
  const tasks = new TaskTable(o.now ?? Date.now);
  const logins = new LoginLimiter(o.now ?? Date.now);
  /** A user name and password checked under the failed-login limit of the client's address. */
  const login = (req: ApiRequest, username: string, password: string): Principal => {
    const client = req.remoteAddress ?? 'unknown';
    logins.check(client);
    const p = authenticate(username, password, o.adminPassword, accounts());
    if (!p) {
      logins.failed(client);
      throw new RedfishError('NoValidSession', [], 'the user name or password is wrong');
    }
    return p;
  };
  const { store } = o;

  const accounts = (): VmAccount[] =>
    store.list(VM_KEY).items.flatMap((vm) => {
      const secretName = vm.metadata.annotations?.[CREDENTIALS_ANNOTATION];
      if (!secretName) return [];
      const secret = tryGet(SECRET_KEY, vm.metadata.namespace, secretName);
      const data = (secret?.data ?? {}) as Record<string, unknown>;
      const text = (k: string) => (typeof data[k] === 'string' ? Buffer.from(data[k], 'base64').toString('utf8') : '');
      const username = text('username');
      const password = text('password');
      return username && password ? [{ uid: vm.metadata.uid, username, password }] : [];
    });

  function tryGet(key: typeof VM_KEY, namespace: string | undefined, name: string): StoredObject | undefined {
    try {
      return store.get(key, namespace, name);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  const principalOf = (req: ApiRequest): Principal => {
    const token = req.headers['x-auth-token'];
    if (token) {
      const s = sessions.byToken(token);
      if (s) return s.principal;
      throw new RedfishError('NoValidSession', [], 'the X-Auth-Token is not a live session (expired or deleted)');
    }
    const basic = basicCredentials(req.headers.authorization);
    if (!basic) throw new RedfishError('NoValidSession', [], 'send HTTP Basic credentials or an X-Auth-Token from POST /redfish/v1/SessionService/Sessions');
    return login(req, basic.username, basic.password);
  };

  const vms = (p: Principal): StoredObject[] => store.list(VM_KEY).items.filter((vm) => mayReach(p, vm.metadata.uid)).sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));

  const findVm = (p: Principal, uid: string, type: string): StoredObject => {
    const vm = mayReach(p, uid) ? store.list(VM_KEY).items.find((v) => v.metadata.uid === uid) : undefined;
    if (!vm) throw new RedfishError('ResourceNotFound', [type, uid]);
    return vm;
  };
  const vmiOf = (vm: StoredObject) => tryGet(VMI_KEY, vm.metadata.namespace, vm.metadata.name);
  const viewOf = (vm: StoredObject) => systemView(vm, vmiOf(vm));

  const bodyOf = (req: ApiRequest): unknown => {
    if (!req.body || req.body.length === 0) return {};
    try {
      return JSON.parse(req.body.toString('utf8')) as unknown;
    } catch (err) {
      throw new RedfishError('MalformedJSON', [], undefined, { cause: err });
    }
  };

  const virtualMedia = mediaRoute({ store, tasks, tryGet, vmiOf, viewOf, bodyOf, ...(o.media ? { media: o.media } : {}), ...(o.event ? { event: o.event } : {}) });

  function reset(req: ApiRequest, p: Principal, vm: StoredObject): ApiResponse {
    const body = bodyOf(req) as Record<string, unknown>;
    const type = body?.ResetType;
    if (type === undefined) throw new RedfishError('ActionParameterMissing', ['ComputerSystem.Reset', 'ResetType']);
    if (typeof type !== 'string' || !(RESET_TYPES as readonly string[]).includes(type)) throw new RedfishError('ActionParameterValueNotInList', [String(JSON.stringify(type)).replace(/^"|"$/g, ''), 'ResetType', 'ComputerSystem.Reset'], `ResetType: expected one of ${RESET_TYPES.join(', ')}; found ${JSON.stringify(type)}.`);
    const vmi = vmiOf(vm);
    const step = resetStep(type as ResetType, vm, vmi);
    const { namespace = 'default', name } = vm.metadata;
    const said = (what: string) => o.event?.(vm, 'BMCReset', `Redfish ComputerSystem.Reset ${type} by ${p.user}: ${what}`);
    switch (step.kind) {
      case 'none':
        said(`nothing to do (${step.why})`);
        return reply(204, undefined);
      case 'refuse':
        throw new RedfishError('ResourceStateConflict', [step.why]);
      case 'vm': {
        const grace = step.graceSeconds === undefined ? undefined : Buffer.from(JSON.stringify(step.action === 'restart' ? { gracePeriodSeconds: step.graceSeconds } : { gracePeriod: step.graceSeconds }));
        try {
          vmSubresource(store, { method: 'PUT', path: req.path, query: new URLSearchParams(), headers: { 'content-type': 'application/json' }, ...(grace ? { body: grace } : {}), signal: req.signal }, namespace, name, step.action);
        } catch (err) {
          if (err instanceof ApiError && err.code === 409) throw new RedfishError('ResourceStateConflict', [err.message], undefined, { cause: err });
          throw err;
        }
        said(`VirtualMachine ${step.action}${step.graceSeconds === 0 ? ' at once' : ''}`);
        return reply(204, undefined);
      }
      case 'guest': {
        const act = o.guests?.act;
        if (!vmi || !act) throw new RedfishError('ResourceStateConflict', ['this server runs no guests']);
        const deferred = act(vmi.metadata.uid, step.action).then(
          () => {
            said(`guest ${step.action === 'reset' ? 'reset (QMP system_reset)' : step.action === 'nmi' ? 'NMI (QMP inject-nmi)' : 'ACPI reboot'}`);
            return reply(204, undefined);
          },
          (err: unknown) => failure(new RedfishError('ResourceStateConflict', [err instanceof Error ? err.message : String(err)])),
        );
        return { status: 204, headers: {}, body: { deferred } };
      }
    }
  }

  function patchSystem(req: ApiRequest, p: Principal, vm: StoredObject): ApiResponse {
    const view = viewOf(vm);
    const next = bootPatch(bodyOf(req), view);
    const value = overrideActive(next) ? formatBootOverride(next) : undefined;
    if (value !== vm.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION]) {
      const annotations = { ...vm.metadata.annotations };
      if (value === undefined) delete annotations[BOOT_OVERRIDE_ANNOTATION];
      else annotations[BOOT_OVERRIDE_ANNOTATION] = value;
      const updated = store.update(VM_KEY, { ...vm, metadata: { ...vm.metadata, annotations } }, { preserveStatus: true, expectedResourceVersion: vm.metadata.resourceVersion });
      o.event?.(updated, 'BMCBootOverride', `Redfish boot override set by ${p.user}: ${next.target} ${next.enabled} (${next.mode})`);
      return reply(200, R.computerSystem(viewOf(updated)));
    }
    return reply(200, R.computerSystem(view));
  }

  /** Systems/{id}/Bios (read-only) and Systems/{id}/SecureBoot (a PATCH may only restate what is). */
  function firmwareResource(req: ApiRequest, which: 'Bios' | 'SecureBoot', view: SystemView, vmi: StoredObject | undefined): ApiResponse {
    if (which === 'Bios') return allow(req, req.method === 'GET' || req.method === 'HEAD'), reply(200, bios(view));
    const current = secureBoot(view, (vmi?.status as { phase?: unknown } | undefined)?.phase === 'Running');
    if (req.method === 'PATCH') checkSecureBootPatch(bodyOf(req), current);
    else allow(req, req.method === 'GET' || req.method === 'HEAD');
    return reply(200, current);
  }

  function sessionsPost(req: ApiRequest): ApiResponse {
    const body = bodyOf(req) as Record<string, unknown>;
    for (const field of ['UserName', 'Password']) if (typeof body?.[field] !== 'string') throw new RedfishError('CreateFailedMissingReqProperties', [field]);
    const p = login(req, body.UserName as string, body.Password as string);
    const s = sessions.create(p);
    return reply(201, R.session({ id: s.id, user: p.user, createdAt: s.createdAt }), { 'x-auth-token': s.token, location: R.paths.session(s.id) });
  }

  /** Routes an authenticated request: [path segments after /redfish/v1]. */
  function route(req: ApiRequest, p: Principal, parts: string[]): ApiResponse {
    const [top, id, sub, subId, extra] = parts;
    const get = req.method === 'GET' || req.method === 'HEAD';
    const only = (ok: boolean) => {
      if (!ok) throw new RedfishError('OperationNotAllowed', [], `${req.method} is not allowed on ${req.path}`);
    };
    if (top === 'Systems' && id === undefined) return only(get), reply(200, R.collection(R.paths.systems, 'ComputerSystemCollection', 'Computer System Collection', vms(p).map((v) => R.paths.system(v.metadata.uid))));
    if (top === 'Systems' && id !== undefined) {
      const vm = findVm(p, id, 'ComputerSystem');
      if (sub === undefined) {
        if (req.method === 'PATCH') return patchSystem(req, p, vm);
        return only(get), reply(200, R.computerSystem(viewOf(vm)));
      }
      if (sub === 'Actions' && subId === 'ComputerSystem.Reset' && extra === undefined) return only(req.method === 'POST'), reset(req, p, vm);
      if (sub === 'VirtualMedia') return virtualMedia(req, p, vm, parts.slice(3), 'Systems');
      if ((sub === 'Bios' || sub === 'SecureBoot') && subId === undefined) return firmwareResource(req, sub, viewOf(vm), vmiOf(vm));
      if (sub === 'EthernetInterfaces' && extra === undefined) {
        const view = viewOf(vm);
        if (subId === undefined) return only(get), reply(200, R.ethernetInterfaces(view));
        const nic = view.nics.find((n) => n.name === decodeURIComponent(subId));
        if (!nic) throw new RedfishError('ResourceNotFound', ['EthernetInterface', subId]);
        return only(get), reply(200, R.ethernetInterface(view, nic));
      }
    }
    if (top === 'Managers' && id !== undefined && sub === 'VirtualMedia') return virtualMedia(req, p, findVm(p, id, 'Manager'), parts.slice(3), 'Managers');
    if ((top === 'Managers' || top === 'Chassis') && sub === undefined) {
      only(get);
      if (id === undefined) return top === 'Managers' ? reply(200, R.collection(R.paths.managers, 'ManagerCollection', 'Manager Collection', vms(p).map((v) => R.paths.manager(v.metadata.uid)))) : reply(200, R.collection(R.paths.chassisCollection, 'ChassisCollection', 'Chassis Collection', vms(p).map((v) => R.paths.chassis(v.metadata.uid))));
      const view = viewOf(findVm(p, id, top === 'Managers' ? 'Manager' : 'Chassis'));
      return reply(200, top === 'Managers' ? R.manager(view, o.version ?? '0.0.0') : R.chassis(view));
    }
    if (top === 'TaskService') return taskRoute(tasks, req.method, p, parts.slice(1));
    if (top === 'SessionService' && id === undefined) return only(get), reply(200, R.sessionService(SESSION_LIMITS.timeoutSeconds));
    if (top === 'SessionService' && id === 'Sessions' && subId === undefined) {
      if (sub === undefined) return only(get), reply(200, R.collection(R.paths.sessions, 'SessionCollection', 'Session Collection', sessions.list(p).map((s) => R.paths.session(s.id))));
      const s = sessions.get(sub);
      if (!s || !(p.all || s.principal.user === p.user)) throw new RedfishError('ResourceNotFound', ['Session', sub]);
      if (req.method === 'DELETE') return sessions.delete(s.id), reply(204, undefined);
      return only(get), reply(200, R.session({ id: s.id, user: s.principal.user, createdAt: s.createdAt }));
    }
    throw new RedfishError('ResourceNotFound', ['Resource', req.path]);
  }

  return (req) => {
    try {
      const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
      const get = req.method === 'GET' || req.method === 'HEAD';
      // Anonymous, as the specification wants: the version list, the service root, the OData documents.
      if (path === '/redfish' && get) return reply(200, R.versions());
      if (path === R.ROOT && get) return reply(200, R.serviceRoot(o.uuid));
      if (path === `${R.ROOT}/odata` && get) return reply(200, R.odataService());
      if (path === `${R.ROOT}/$metadata` && get) return { status: 200, headers: { 'content-type': 'application/xml', 'odata-version': '4.0' }, body: R.metadataXml() };
      if (path === R.paths.sessions && req.method === 'POST') return sessionsPost(req);
      if (!path.startsWith(`${R.ROOT}/`)) throw new RedfishError('ResourceNotFound', ['Resource', req.path]);
      const principal = principalOf(req);
      return route(req, principal, path.slice(R.ROOT.length + 1).split('/'));
    } catch (err) {
      return failure(err);
    }
  };
}

export { ADMIN_USER, CREDENTIALS_ANNOTATION };
