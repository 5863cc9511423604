// The two consoles, loaded only on a VMI's page: noVNC's RFB and xterm.js, each over the
// same websocket subresource the CLI uses (subprotocol plain.kubevirt.io, binary frames).
import RFB from '@novnc/novnc';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

export type StateListener = (state: string) => void;

/** Shows the guest's screen in `target`; returns a function that disconnects. */
export function openVnc(target: HTMLElement, url: string, protocols: string[], onState: StateListener): () => void {
  onState('connecting');
  const rfb = new RFB(target, url, { wsProtocols: protocols, shared: true });
  rfb.scaleViewport = true;
  rfb.background = '#111';
  rfb.addEventListener('connect', () => onState('connected'));
  rfb.addEventListener('disconnect', (e) => onState((e as CustomEvent<{ clean: boolean }>).detail.clean ? 'disconnected' : 'connection failed'));
  return () => rfb.disconnect();
}

/** A serial terminal in `target`, starting with `earlier` output (the serial log); returns a function that closes it. */
export function openSerial(target: HTMLElement, url: string, protocols: string[], onState: StateListener, earlier = ''): () => void {
  onState('connecting');
  const term = new Terminal({ fontSize: 13, scrollback: 5000, cursorBlink: true, theme: { background: '#111' } });
  const fit = new FitAddon();
  term.loadAddon(fit);
  target.replaceChildren();
  term.open(target);
  fit.fit();
  if (earlier) term.write(earlier);
  const ws = new WebSocket(url, protocols);
  ws.binaryType = 'arraybuffer';
  const encoder = new TextEncoder();
  ws.onopen = () => {
    onState('connected');
    term.focus();
  };
  ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => term.write(typeof e.data === 'string' ? e.data : new Uint8Array(e.data));
  ws.onclose = (e) => onState(e.code === 1000 ? 'disconnected' : `closed (${e.code}${e.reason ? `: ${e.reason}` : ''})`);
  const input = term.onData((data) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
  });
  const resize = () => fit.fit();
  addEventListener('resize', resize);
  return () => {
    removeEventListener('resize', resize);
    input.dispose();
    ws.close(1000);
  };
}
