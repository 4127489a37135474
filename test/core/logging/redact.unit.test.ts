import { Writable } from 'node:stream';
import winston from 'winston';
import { describe, expect, it } from 'vitest';
import { createLogger, redact, redactText } from '../../../src/core/logging/index.js';

/** Capture what a logger built by createLogger writes, by swapping its transport for a stream. */
function captureLines(format: 'json' | 'pretty') {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', format });
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    }),
  );
  return { logger, lines };
}

describe('redaction', () => {
  it('masks values of secret-named keys at any depth, and keeps the rest', () => {
    expect(redact({ settings: { tenantId: 't1', clientSecret: 's3cr3t', nested: [{ apiToken: 'x' }] }, count: 3 })).toEqual({
      settings: { tenantId: 't1', clientSecret: '[redacted]', nested: [{ apiToken: '[redacted]' }] },
      count: 3,
    });
  });

  it('masks bearer and SSWS credentials, private keys and database passwords inside text', () => {
    const text = redactText(
      'Authorization: Bearer eyJhbGciOi.abc.def SSWS 00abcdef postgres://roster:hunter2@db:5432/x -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
    );
    expect(text).not.toMatch(/eyJhbGciOi|00abcdef|hunter2|MIIE/);
    expect(text).toContain('Bearer [redacted]');
    expect(text).toContain('postgres://roster:[redacted]@db');
  });

  it('never writes a secret to a JSON log line, whether in the message or the metadata', () => {
    const { logger, lines } = captureLines('json');
    logger.info('calling Okta with SSWS 00secret-token', { apiToken: '00secret-token', orgUrl: 'https://acme.okta.test' });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', apiToken: '[redacted]', orgUrl: 'https://acme.okta.test' });
    expect(lines[0]).not.toContain('00secret-token');
  });

  it('writes a readable single line in pretty mode, still redacted', () => {
    const { logger, lines } = captureLines('pretty');
    logger.warn('token rejected', { component: 'scim', authorization: 'Bearer abc' });
    expect(lines[0]).toMatch(/warn.*\[scim\] token rejected/);
    expect(lines[0]).not.toContain('abc"');
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });
});
