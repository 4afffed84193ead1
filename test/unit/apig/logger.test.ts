import { Writable } from 'node:stream';
import { REDACTED, REDACT_PATHS, createLogger } from '../../../src/log.ts';

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

  it('exposes the paths it redacts', () => {
    expect(REDACT_PATHS).toEqual(expect.arrayContaining(['privateKey', '*.password', 'headers.*']));
  });
});
