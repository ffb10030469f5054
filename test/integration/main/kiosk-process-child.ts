// Started by kiosk-process.test.ts: the browser kiosk as `dck kiosk --browser` runs it (embedded issuer in a temp
// data dir, browser host), with a fixture renderer and no virtual card, and no signal handlers of its own. Prints
// one JSON line { launchUrl, origin } when ready; the line "throw" on stdin raises an uncaught error.
import { startBrowserKiosk } from '../../../demo/browser-kiosk.ts';

const rendererDir = process.argv[2];
if (rendererDir === undefined) throw new Error('usage: kiosk-process-child.ts RENDERER_DIR');
const kiosk = await startBrowserKiosk({ virtualCard: 'never', rendererDir });
console.log(JSON.stringify({ launchUrl: kiosk.host.launchUrl, origin: kiosk.host.origin }));
process.stdin.on('data', (data: Buffer) => {
  if (data.toString().trim() === 'throw')
    setImmediate(() => {
      throw new Error('kiosk-process-child: a deliberate uncaught error');
    });
});
