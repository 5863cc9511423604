// The Redfish virtual CD's files on this node: the runtime's fetchMedia/removeMedia under
// `<data-dir>/media`, their failures told to the BMC as MediaFetchError (unreachable or not an ISO).
// The media of deleted VMs are swept before each insert (and once at start, by the daemon).
import { MediaFetchError, type MediaStore } from '../redfish/virtual-media.ts';
import { fetchMedia, MediaFormatError, removeMedia, sweepMedia } from '../runtime/volumes/index.ts';

/** The MediaStore over a media root; `vmUids` lists the VMs that exist (their media are kept). */
export function nodeMediaStore(root: string, vmUids: () => ReadonlySet<string>): MediaStore {
  return {
    insert: async (vmUid, url, signal) => {
      await sweepMedia(root, new Set([...vmUids(), vmUid]));
      try {
        const { bytes } = await fetchMedia(root, vmUid, url, signal ? { signal } : {});
        return { bytes };
      } catch (err) {
        throw new MediaFetchError(err instanceof MediaFormatError ? 'format' : 'unreachable', url, err instanceof Error ? err.message : String(err), { cause: err });
      }
    },
    eject: (vmUid) => removeMedia(root, vmUid),
  };
}
