import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readSecret, SecretInputError } from '../../cli/read-secret.ts';

const piped = (text: string): Readable => Readable.from([Buffer.from(text)]);

describe('reading a PIN or one-time password from standard input', () => {
  it('takes the first line and drops the line ending', async () => {
    expect((await readSecret('PIN: ', piped('123456\r\nextra\n'))).toString()).toBe('123456');
  });

  it('refuses empty input with a clear code', async () => {
    await expect(readSecret('PIN: ', piped('\n'))).rejects.toMatchObject({ code: 'secret-missing' });
    await expect(readSecret('PIN: ', piped(''))).rejects.toBeInstanceOf(SecretInputError);
  });

  it('refuses absurdly long input without echoing it in the error', async () => {
    const error = await readSecret('PIN: ', piped('9'.repeat(500))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'secret-too-long' });
    expect(String((error as Error).message)).not.toContain('999');
  });
});
