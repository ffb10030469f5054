// A real SMTP server (smtp-server from npm) on loopback for the notification tests: it accepts every message (but
// for "refused…" mailboxes) and keeps it raw, so the tests read exactly what a mail server received. It can be stopped and started again on the
// same port (a mail server that was down).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  envelopeTo: string[];
  raw: string;
  /** Header name (lower case) → unfolded value; the first of each name. */
  headers: Map<string, string>;
  body: string;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

function parse(raw: string, envelopeTo: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { envelopeTo, raw, headers, body: raw.slice(split + 4) };
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const make = () =>
    new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      // A mailbox that does not exist: any recipient whose address starts with "refused" gets 550 (permanent).
      onRcptTo(address, _session, callback) {
        if (!address.address.startsWith('refused')) return callback();
        return callback(Object.assign(new Error('5.1.1 no such mailbox'), { responseCode: 550 }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push(
            parse(
              Buffer.concat(chunks).toString('utf8'),
              session.envelope.rcptTo.map((to) => to.address),
            ),
          );
          callback();
        });
      },
    });
  let server = make();
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
      }),
    start: async () => {
      server = make();
      server.listen(port, '127.0.0.1');
      await once(server.server, 'listening');
    },
  };
}
