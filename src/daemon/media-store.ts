// The Redfish virtual CD's files on this node: the runtime's fetchMedia/removeMedia under
// `<data-dir>/media`, their failures told to the BMC as MediaFetchError (unreachable or not an ISO).
import { MediaFetchError, type MediaStore } from '../redfish/virtual-media.ts';
import { fetchMedia, MediaFormatError, removeMedia } from '../runtime/volumes/index.ts';

/** The MediaStore over a media root. */
export function nodeMediaStore(root: string): MediaStore {
  return {
    insert: async (vmUid, url, signal) => {
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
