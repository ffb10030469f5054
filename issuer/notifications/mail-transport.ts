// Hands one composed notice to the SMTP relay with nodemailer. The relay's settings come from the config; its
// password is read per connection (password-source.ts) and is never logged: nodemailer's own logger stays off.
// Every header a notice carries is set here: From, To, Subject, Date, Message-ID (fixed per outbox row, so a
// retried message is recognisably the same one), Content-Language, and Auto-Submitted (RFC 3834: no auto-replies).
import { readFileSync } from 'node:fs';
import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { NotificationsSettings } from './notification-config.ts';
import { readPassword } from './password-source.ts';

export type SmtpSettings = NonNullable<NotificationsSettings['smtp']>;

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  date: Date;
  messageId: string;
  language: string;
}

/** permanent: the relay refused this message for good (5xx): retrying sends nothing more. */
export type DeliveryResult =
  | { delivered: true }
  | { delivered: false; code: 'smtp-unavailable' | 'smtp-refused' | 'password-unavailable'; permanent: boolean };

export interface MailTransport {
  send(mail: OutgoingMail): Promise<DeliveryResult>;
  close(): void;
}

function transportOptions(settings: SmtpSettings): SMTPTransport.Options {
  const timeoutMs = settings.timeoutSeconds * 1000;
  const auth =
    settings.username === null
      ? {}
      : { auth: { user: settings.username, pass: readPassword(settings, 'SMTP password') } };
  return {
    host: settings.host,
    port: settings.port,
    secure: settings.tls === 'implicit',
    requireTLS: settings.tls === 'starttls',
    ignoreTLS: settings.tls === 'none',
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
    ...(settings.caFile === null ? {} : { tls: { ca: [readFileSync(settings.caFile, 'latin1')] } }),
    ...auth,
  };
}

/** SMTP reply codes 5xx are permanent (RFC 5321 §4.2.1); anything else (4xx, no connection, timeout) is tried again. */
function isPermanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function createMailTransport(settings: SmtpSettings): MailTransport {
  return {
    send: async (mail) => {
      let options: SMTPTransport.Options;
      try {
        options = transportOptions(settings);
      } catch {
        return { delivered: false, code: 'password-unavailable', permanent: false };
      }
      // One connection per message: a relay that drops idle connections costs nothing, and a changed password
      // file is read at the next message. Notices are few (one per issuance, revocation, renewal).
      const transport = createTransport(options);
      try {
        await transport.sendMail({
          from: mail.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          date: mail.date,
          messageId: mail.messageId,
          headers: { 'Content-Language': mail.language, 'Auto-Submitted': 'auto-generated' },
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        return { delivered: true };
      } catch (error: unknown) {
        return isPermanent(error)
          ? { delivered: false, code: 'smtp-refused', permanent: true }
          : { delivered: false, code: 'smtp-unavailable', permanent: false };
      } finally {
        transport.close();
      }
    },
    close: () => undefined,
  };
}
