// The Redfish virtual CD's files on this node: the runtime's fetchMedia/removeMedia under
// `<data-dir>/media`, their failures told to the BMC as MediaFetchError (unreachable or not an ISO).
// The media of deleted VMs are swept before each insert (and once at start, by the daemon).
// With a local runtime, the running guest's drive follows at once (runtime/live-media.ts).
import { MediaFetchError, type MediaStore } from '../redfish/virtual-media.ts';
import { mediaFile } from '../resources/virtual-media.ts';
import { NoVirtualCdError } from '../runtime/live-media.ts';
import type { LocalRuntime } from '../runtime/local-runtime.ts';
import { fetchMedia, MediaFormatError, removeMedia, sweepMedia } from '../runtime/volumes/index.ts';

/** The MediaStore over a media root; `vmUids` lists the VMs that exist (their media are kept). */
export function nodeMediaStore(root: string, vmUids: () => ReadonlySet<string>, runtime?: Pick<LocalRuntime, 'setMedia'>): MediaStore {
  return {
    ...(runtime
      ? {
          live: async (vmiUid: string, vmUid: string, inserted: boolean) => {
            try {
              await runtime.setMedia(vmiUid, inserted ? mediaFile(root, vmUid) : undefined);
              return 'live' as const;
            } catch (err) {
              if (err instanceof NoVirtualCdError) return 'next-boot' as const;
              throw err;
            }
          },
        }
      : {}),
    insert: async (vmUid, url, signal, onBytes) => {
      await sweepMedia(root, new Set([...vmUids(), vmUid]));
      try {
        const { bytes } = await fetchMedia(root, vmUid, url, { ...(signal ? { signal } : {}), ...(onBytes ? { onBytes } : {}) });
        return { bytes };
      } catch (err) {
        throw new MediaFetchError(err instanceof MediaFormatError ? 'format' : 'unreachable', url, err instanceof Error ? err.message : String(err), { cause: err });
      }
    },
    eject: (vmUid) => removeMedia(root, vmUid),
  };
}
