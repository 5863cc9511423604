// Virtual media under {Managers,Systems}/{id}/VirtualMedia: the collection, the Cd, and its
// InsertMedia/EjectMedia actions. The VM's annotation is set (the truth for its next start), then
// the running guest's drive follows through the node (MediaStore.live) and the VMI's annotation
// says what that drive holds; the reply says which happened (virtual-media.ts, LiveOutcome).
import type { ApiRequest, ApiResponse } from '../api/http-types.ts';
import { VIRTUAL_MEDIA_ANNOTATION } from '../resources/virtual-media.ts';
import { ConflictError } from '../store/errors.ts';
import type { ObjectStore, StoredObject } from '../store/types.ts';
import type { Principal } from './auth.ts';
import { messageInfo, RedfishError } from './errors.ts';
import { allow, failure, reply, VM_KEY, VMI_KEY } from './reply.ts';
import * as R from './resources.ts';
import { task as taskBody, taskPaths, wantsAsync, type TaskTable } from './tasks.ts';
import { DownloadProgress, DownloadSlots, fetchFailure, insertedImage, liveWords, mediaState, parseInsertMedia, withMedia, type LiveOutcome, type MediaStore } from './virtual-media.ts';

/** What the route needs from the service. */
export interface MediaRouteContext {
  store: ObjectStore;
  tasks: TaskTable;
  media?: MediaStore;
  event?: (vm: StoredObject, reason: string, message: string) => void;
  tryGet(key: typeof VM_KEY, namespace: string | undefined, name: string): StoredObject | undefined;
  vmiOf(vm: StoredObject): StoredObject | undefined;
  viewOf(vm: StoredObject): R.SystemView;
  bodyOf(req: ApiRequest): unknown;
}

/** The route: (request, principal, VM, path after VirtualMedia, parent) → reply. */
export function mediaRoute(c: MediaRouteContext): (req: ApiRequest, p: Principal, vm: StoredObject, rest: string[], under: R.MediaParent) => ApiResponse {
  const { store, tasks, tryGet, vmiOf, viewOf, bodyOf } = c;
  const downloads = new DownloadSlots();

  /** Sets or clears the inserted image on a VM (or its VMI, `vmUid` then given): read afresh (the download took a while), the same object only. */
  function setMedia(vm: StoredObject, image: string | undefined, key = VM_KEY, vmUid?: string): StoredObject | undefined {
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = tryGet(key, vm.metadata.namespace, vm.metadata.name);
      if (!now || now.metadata.uid !== vm.metadata.uid) return undefined;
      const annotations = withMedia(now.metadata.annotations, image, vmUid);
      if (annotations[VIRTUAL_MEDIA_ANNOTATION] === now.metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION]) return now;
      try {
        return store.update(key, { ...now, metadata: { ...now.metadata, annotations } }, { preserveStatus: true, expectedResourceVersion: now.metadata.resourceVersion });
      } catch (err) {
        if (attempt === 4 || !(err instanceof ConflictError)) throw err;
      }
    }
    return undefined;
  }

  /** Puts the VM's media into its running guest's drive; the VMI's annotation then says what the guest has. */
  async function toGuest(vm: StoredObject, image: string | undefined): Promise<LiveOutcome> {
    const vmi = vmiOf(vm);
    if (!vmi || (vmi.status as { phase?: unknown } | undefined)?.phase !== 'Running' || !c.media?.live) return { how: 'off' };
    try {
      if ((await c.media.live(vmi.metadata.uid, vm.metadata.uid, image !== undefined)) === 'next-boot') return { how: 'next-boot', why: 'its QEMU has no virtual CD drive (it started before the VM had virtual media)' };
    } catch (err) {
      return { how: 'next-boot', why: `the running guest's drive could not be changed: ${err instanceof Error ? err.message : String(err)}` };
    }
    setMedia(vmi, image, VMI_KEY, vm.metadata.uid);
    return { how: 'live' };
  }

  /** {Managers,Systems}/{id}/VirtualMedia[/Cd[/Actions/…]]: `rest` is what follows VirtualMedia; both parents hold the same CD. */
  function virtualMedia(req: ApiRequest, p: Principal, vm: StoredObject, rest: string[], under: R.MediaParent): ApiResponse {
    const get = req.method === 'GET' || req.method === 'HEAD';
    const view = viewOf(vm);
    if (rest.length === 0) return allow(req, get), reply(200, R.virtualMediaCollection(view, under));
    if (rest[0] !== 'Cd') throw new RedfishError('ResourceNotFound', ['VirtualMedia', rest[0] ?? '']);
    if (rest.length === 1) return allow(req, get), reply(200, R.virtualMedia(view, mediaState(vm, vmiOf(vm)), under));
    const action = rest[1] === 'Actions' && rest.length === 3 ? rest[2] : undefined;
    if (action !== 'VirtualMedia.InsertMedia' && action !== 'VirtualMedia.EjectMedia') {
      if (rest[1] === 'Actions' && rest.length === 3) throw new RedfishError('ActionNotSupported', [action ?? '']);
      throw new RedfishError('ResourceNotFound', ['Resource', req.path]);
    }
    allow(req, req.method === 'POST');
    const said = (what: string) => c.event?.(vm, 'BMCVirtualMedia', `Redfish ${action.split('.')[1]} by ${p.user}: ${what}`);
    /** The action's reply once the running guest's drive followed (204), or a 200 saying it waits for a reset. */
    const outcome = (r: LiveOutcome, what: string): ApiResponse => {
      said(`${what}; ${liveWords(r)}`);
      return r.how === 'next-boot' ? reply(200, { '@Message.ExtendedInfo': [messageInfo('ResetRequired', [R.paths.reset(vm.metadata.uid), 'ForceRestart'], `The running guest keeps its virtual CD as it was: ${r.why}.`)] }) : reply(204, undefined);
    };
    if (action === 'VirtualMedia.EjectMedia') {
      const was = insertedImage(vm.metadata.annotations);
      // A VM that never had media keeps having no drive; one that had keeps it, empty.
      if (vm.metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION] !== undefined) setMedia(vm, undefined);
      const deferred = (c.media?.eject(vm.metadata.uid) ?? Promise.resolve())
        .then(() => toGuest(vm, undefined))
        .then(
          (r) => outcome(r, was === undefined ? 'nothing was inserted' : `ejected ${was}`),
          (err: unknown) => failure(err),
        );
      return { status: 204, headers: {}, body: { deferred } };
    }
    const url = parseInsertMedia(bodyOf(req));
    if (!c.media) throw new RedfishError('ResourceStateConflict', ['this server keeps no virtual media']);
    const release = downloads.take(vm.metadata.uid);
    // Asked for asynchronously, the download outlives the request: it is not tied to its signal.
    const async = wantsAsync(req.headers.prefer);
    const progress = new DownloadProgress();
    const deferred = c.media
      .insert(vm.metadata.uid, url, async ? undefined : req.signal, progress.update)
      .then(
        async ({ bytes }) => {
          if (!setMedia(vm, url)) throw new RedfishError('ResourceNotFound', ['Manager', vm.metadata.uid], 'the VM was deleted during the download');
          return outcome(await toGuest(vm, url), `inserted ${url} (${bytes} bytes)`);
        },
        (err: unknown) => failure(fetchFailure(err, url)),
      )
      .catch((err: unknown) => failure(err))
      .finally(release);
    if (!async) return { status: 204, headers: {}, body: { deferred } };
    const t = tasks.start(`InsertMedia ${url.slice(0, 200)} into ${vm.metadata.name}`, vm.metadata.uid, p, deferred, progress);
    return reply(202, taskBody(t), { location: taskPaths.monitor(t.id) });
  }

  return virtualMedia;
}
