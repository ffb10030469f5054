// Reads a secret (PIN, one-time password) from standard input without echo, never from argv.
// The result is a Buffer so the caller can zero-fill it as soon as the command that needs it is done.
import type { Readable } from 'node:stream';

const MAX_SECRET_BYTES = 64;

export class SecretInputError extends Error {
  constructor(readonly code: 'secret-missing' | 'secret-too-long' | 'secret-cancelled') {
    super(
      code === 'secret-missing'
        ? 'no value was given on standard input'
        : code === 'secret-too-long'
          ? `the value is longer than ${MAX_SECRET_BYTES} characters`
          : 'input was cancelled',
    );
    this.name = 'SecretInputError';
  }
}

/**
 * Prompts on stderr (so stdout stays clean for JSON) and reads one line.
 * On a terminal, echo is off; from a pipe, the first line is taken.
 */
export async function readSecret(
  prompt: string,
  input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown } = process.stdin,
): Promise<Buffer> {
  if (input.isTTY === true && typeof input.setRawMode === 'function') {
    process.stderr.write(prompt);
    return readHiddenLine(input as Readable & { setRawMode: (raw: boolean) => unknown });
  }
  return readFirstLine(input);
}

function readHiddenLine(input: Readable & { setRawMode: (raw: boolean) => unknown }): Promise<Buffer> {
  const collected = Buffer.alloc(MAX_SECRET_BYTES);
  let length = 0;
  input.setRawMode(true);
  input.resume();
  return new Promise<Buffer>((resolve, reject) => {
    const finish = (error: SecretInputError | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error !== null) {
        collected.fill(0);
        reject(error);
        return;
      }
      const secret = Buffer.from(collected.subarray(0, length));
      collected.fill(0);
      resolve(secret);
    };
    const onData = (chunk: Buffer): void => {
      for (const byte of chunk) {
        if (byte === 0x03 || byte === 0x04) return finish(new SecretInputError('secret-cancelled')); // Ctrl-C, Ctrl-D
        if (byte === 0x0d || byte === 0x0a) return finish(length === 0 ? new SecretInputError('secret-missing') : null);
        if (byte === 0x7f || byte === 0x08) {
          if (length > 0) collected[--length] = 0;
          continue;
        }
        if (length >= MAX_SECRET_BYTES) return finish(new SecretInputError('secret-too-long'));
        collected[length++] = byte;
      }
      chunk.fill(0);
    };
    input.on('data', onData);
  });
}

async function readFirstLine(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of input) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      chunks.push(buffer);
      total += buffer.length;
      if (buffer.includes(0x0a) || total > MAX_SECRET_BYTES + 2) break;
    }
    const all = Buffer.concat(chunks);
    const newline = all.indexOf(0x0a);
    let end = newline === -1 ? all.length : newline;
    if (end > 0 && all[end - 1] === 0x0d) end -= 1;
    if (end === 0) throw new SecretInputError('secret-missing');
    if (end > MAX_SECRET_BYTES) throw new SecretInputError('secret-too-long');
    const secret = Buffer.from(all.subarray(0, end));
    all.fill(0);
    return secret;
  } finally {
    for (const chunk of chunks) chunk.fill(0);
  }
}
