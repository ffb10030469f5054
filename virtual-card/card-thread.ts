/**
 * The body of a virtual card's own thread (started by threaded-virtual-card.ts): the PIV applet and its vpcd link,
 * answering pcscd on this thread's event loop, whatever the thread that started it is blocked in.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PivApplet } from './piv-applet.ts';
import { appletFromPortable } from './profiles.ts';
import type { CardThreadData, CardThreadReply, CardThreadRequest } from './threaded-virtual-card.ts';
import { appletLink } from './virtual-card.ts';

function runCardThread(): void {
  const port = parentPort;
  if (port === null)
    throw new Error('card-thread.ts runs only as a worker thread (threaded-virtual-card.ts starts it)');
  const data = workerData as CardThreadData;
  const applet = new PivApplet(appletFromPortable(data.applet));
  const post = (reply: CardThreadReply): void => port.postMessage(reply);
  const link = appletLink(applet, {
    host: data.host,
    port: data.port,
    onDisconnect: (reason) => post({ kind: 'disconnected', reason }),
  });
  port.on('message', (request: CardThreadRequest) => {
    const done = request.op === 'insert' ? link.insert() : link.remove();
    done.then(
      () => post({ kind: 'done', id: request.id, inserted: link.connected }),
      (error: unknown) =>
        post({ kind: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error) }),
    );
  });
}

runCardThread();
