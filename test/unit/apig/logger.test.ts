import { Writable } from 'node:stream';
import { REDACTED, createLogger, redactSecrets } from '../../../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { lines, destination };
}

const SECRET = 'super-secret-value-7f3a';

describe('createLogger', () => {
  it.each([
    ['privateKey', { privateKey: SECRET }],
    ['private_key', { body: { private_key: SECRET } }],
    ['private_key_sign', { request: { body: { private_key_sign: SECRET } } }],
    ['password', { auth: { identity: { password: { user: { password: SECRET } } } } }],
    ['sk', { credentials: { sk: SECRET } }],
    ['secretKey', { secretKey: SECRET }],
    ['securityToken', { creds: { securityToken: SECRET } }],
    ['token', { token: SECRET }],
    ['authorization', { headers: { authorization: SECRET } }],
    ['Authorization', { req: { Authorization: SECRET } }],
    ['x-auth-token', { 'x-auth-token': SECRET }],
    ['X-Subject-Token', { response: { 'X-Subject-Token': SECRET } }],
    ['x-security-token', { a: { b: { 'x-security-token': SECRET } } }],
    ['any header', { req: { headers: { 'x-custom': SECRET } } }],
    ['Secret data tls.key', { secret: { data: { 'tls.key': SECRET } } }],
    ['decoded tls.key', { secret: { tls: { key: SECRET } } }],
    ['a key four levels down', { a: { b: { c: { d: { privateKey: SECRET } } } } }],
    ['in an array', { bodies: [{ ok: 1 }, { private_key: SECRET }] }],
    ['an Error under another key', { cause: Object.assign(new Error('x'), { token: SECRET }) }],
  ])('redacts %s', (_label, object) => {
    const { lines, destination } = capture();
    createLogger({ destination }).info(object, 'message');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).toContain(REDACTED);
  });

  it('keeps everything else', () => {
    const { lines, destination } = capture();
    createLogger({ destination }).info({ certificateId: 'c1', status: 200 }, 'APIG call');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      certificateId: 'c1',
      status: 200,
      msg: 'APIG call',
    });
  });

  it('logs at the level it is given', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'warn', destination });
    logger.info('dropped');
    logger.warn('kept');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['kept']);
    expect(createLogger({ destination }).level).toBe('info');
  });

  it('redacts what a logged error carries, and keeps its type and message', () => {
    const { lines, destination } = capture();
    class ApigRefusal extends Error {
      readonly headers = { 'X-Auth-Token': SECRET };
    }
    createLogger({ destination }).warn({ err: new ApigRefusal('refused') }, 'call failed');
    expect(lines[0]).not.toContain(SECRET);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      err: { type: 'ApigRefusal', message: 'refused', headers: { 'X-Auth-Token': REDACTED } },
    });
  });

  it("redacts a child logger's bindings (their top-level keys)", () => {
    const { lines, destination } = capture();
    createLogger({ destination })
      .child({ token: SECRET, headers: { cookie: SECRET } })
      .info('bound');
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).toContain(REDACTED);
  });

  it('copies nothing when there is nothing to redact, and never changes what was logged', () => {
    const clean = { resource: 'web/shop', status: { serial: '1a', domains: ['a.example'] } };
    expect(redactSecrets(clean)).toBe(clean);
    const secret = { resource: 'web/shop', body: { private_key: SECRET } };
    expect(redactSecrets(secret)).toEqual({
      resource: 'web/shop',
      body: { private_key: REDACTED },
    });
    expect(secret.body.private_key).toBe(SECRET);
  });
});
