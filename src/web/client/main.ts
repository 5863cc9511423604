// The UI's entry: fetch the session's token, then route on the URL hash
// (#/, #/vmi/NS/NAME, #/vm/NS/NAME, #/pxe/NS/NAME, #/create). Pages needing big libraries load them lazily.
import { startSession } from './api.ts';
import { h } from './dom.ts';
import { overviewPage } from './overview.ts';

const main = document.getElementById('main') as HTMLElement;
let current: AbortController | undefined;

async function show(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const [page = '', ...args] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  main.replaceChildren(h('p', { id: 'flash', class: 'flash', role: 'status' }));
  const [ns = 'default', name = ''] = args;
  try {
    if (page === 'vmi') (await import('./vmi-page.ts')).vmiPage(main, ns, name, controller.signal);
    else if (page === 'vm') (await import('./vm-page.ts')).vmPage(main, ns, name, controller.signal);
    else if (page === 'pxe') (await import('./pxe-page.ts')).pxePage(main, ns, name, controller.signal);
    else if (page === 'create') (await import('./create-page.ts')).createPage(main, controller.signal);
    else overviewPage(main, controller.signal);
  } catch (err) {
    main.append(h('p', { class: 'error' }, `This page failed: ${err instanceof Error ? err.message : String(err)}`));
  }
}

await startSession();
addEventListener('hashchange', () => void show());
await show();
