import {
  ApigError,
  ApigForbiddenError,
  ApigInvalidInputError,
  ApigNotFoundError,
  ApigProtocolError,
  ApigServerError,
  ApigThrottledError,
  ApigUnauthorizedError,
  classifyApigResponse,
  networkError,
  parseErrorBody,
  sanitizeServerText,
} from '../../../src/apig/errors.ts';
import { MAX_RETRY_AFTER_MS } from '../../../src/common/retry-after.ts';

const context = { operation: 'updateCertificate' as const, certificateId: 'cert-1' };
const body = (code: string, msg = `message of ${code}`) =>
  JSON.stringify({ error_code: code, error_msg: msg });

type ErrorClass = abstract new (...args: never[]) => ApigError;

// Every row of APIG's documented error table, plus the parameter-error range.
const referenceTable: [number, string, ErrorClass, string, boolean][] = [
  ...Array.from({ length: 14 }, (_, i): [number, string, ErrorClass, string, boolean] => [
    400,
    `APIG.${2000 + i}`,
    ApigInvalidInputError,
    'invalidInput',
    false,
  ]),
  [400, 'APIG.2101', ApigInvalidInputError, 'invalidInput', false],
  [400, 'APIG.2102', ApigInvalidInputError, 'invalidInput', false],
  [400, 'APIG.2104', ApigInvalidInputError, 'invalidInput', false],
  [400, 'APIG.2105', ApigInvalidInputError, 'invalidInput', false],
  [400, 'APIG.2106', ApigInvalidInputError, 'invalidInput', false],
  [400, 'APIG.2109', ApigInvalidInputError, 'invalidInput', false],
  [400, 'APIG.3148', ApigInvalidInputError, 'invalidInput', false],
  [401, 'APIG.1000', ApigUnauthorizedError, 'unauthorized', false],
  [401, 'APIG.1001', ApigUnauthorizedError, 'unauthorized', false],
  [401, 'APIG.1002', ApigUnauthorizedError, 'unauthorized', false],
  [401, 'APIG.1003', ApigUnauthorizedError, 'unauthorized', false],
  [401, 'APIGW.0301', ApigUnauthorizedError, 'unauthorized', false],
  [401, 'APIGW.0307', ApigUnauthorizedError, 'unauthorized', false],
  [403, 'APIG.1005', ApigForbiddenError, 'forbidden', false],
  [403, 'APIG.1115', ApigForbiddenError, 'forbidden', false],
  [403, 'APIG.3100', ApigForbiddenError, 'forbidden', false],
  [404, 'APIG.3021', ApigNotFoundError, 'notFound', false],
  [404, 'APIG.3025', ApigNotFoundError, 'notFound', false],
  [404, 'APIG.3030', ApigNotFoundError, 'notFound', false],
  [429, 'APIGW.0308', ApigThrottledError, 'throttled', true],
  [500, 'APIG.9008', ApigThrottledError, 'throttled', true],
  [500, 'APIG.9999', ApigServerError, 'server', true],
];

describe('classifyApigResponse: the documented error table', () => {
  it.each(referenceTable)('HTTP %i %s → %p', (status, code, errorClass, kind, retryable) => {
    const error = classifyApigResponse(
      status,
      body(code),
      { 'x-request-id': 'req-123' },
      { ...context, random: () => 0.5 },
    );
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toBeInstanceOf(ApigError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      kind,
      retryable,
      errorCode: code,
      errorMessage: `message of ${code}`,
      httpStatus: status,
      requestId: 'req-123',
      certificateId: 'cert-1',
      operation: 'updateCertificate',
    });
    expect(error?.message).toContain(code);
    expect(error?.message).toContain(`HTTP ${status}`);
    expect(error?.message).toContain('req-123');
    expect(error?.message).toContain('cert-1');
  });
});

describe('classifyApigResponse: beyond the table', () => {
  it.each([200, 201, 204])('HTTP %i is success', (status) => {
    expect(classifyApigResponse(status, '', {}, context)).toBeUndefined();
  });

  it.each([
    [502, '<html>Bad Gateway</html>', ApigServerError],
    [503, '', ApigServerError],
    [504, 'not json', ApigServerError],
    [500, body('APIG.9000'), ApigServerError],
    [408, '', ApigServerError],
    [409, body('APIG.3000'), ApigInvalidInputError],
    [413, '', ApigInvalidInputError],
    [400, 'not json at all', ApigInvalidInputError],
    [404, '', ApigNotFoundError],
    [302, '', ApigProtocolError],
    [429, 'plain text throttled', ApigThrottledError],
  ])('HTTP %i with body %j → %p', (status, text, errorClass) => {
    expect(classifyApigResponse(status, text, {}, context)).toBeInstanceOf(errorClass);
  });

  it('keeps no code or message from a body that is not APIG JSON', () => {
    const error = classifyApigResponse(502, '<html>Bad Gateway</html>', {}, context);
    expect(error?.errorCode).toBeUndefined();
    expect(error?.errorMessage).toBeUndefined();
    expect(error?.message).toBe('updateCertificate certificate cert-1: server error; HTTP 502');
  });

  it('reads the request id from a repeated header or else from the body', () => {
    expect(classifyApigResponse(500, '', { 'x-request-id': ['a', 'b'] }, context)?.requestId).toBe(
      'a',
    );
    const fromBody = JSON.stringify({ error_code: 'APIG.9999', error_msg: 'x', request_id: 'r9' });
    expect(classifyApigResponse(500, fromBody, {}, context)?.requestId).toBe('r9');
  });
});

describe('throttling delay', () => {
  const nowMs = Date.parse('2026-03-01T12:00:00Z');

  it.each([
    ['7', 7_000],
    ['0', 0],
    [' 12 ', 12_000],
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['999999', MAX_RETRY_AFTER_MS],
  ])('Retry-After %j → %i ms', (header, expected) => {
    const error = classifyApigResponse(
      429,
      body('APIGW.0308'),
      { 'retry-after': header },
      { ...context, nowMs },
    );
    expect(error).toBeInstanceOf(ApigThrottledError);
    expect((error as ApigThrottledError).retryAfterMs).toBe(expected);
    expect((error as ApigThrottledError).serverRetryAfterMs).toBe(expected);
  });

  it.each([
    [0, 2_000],
    [0.5, 3_500],
    [0.9999, 5_000],
  ])('without Retry-After, random %d → %i ms (2-5 s)', (random, expected) => {
    const error = classifyApigResponse(
      500,
      body('APIG.9008'),
      {},
      { ...context, random: () => random },
    );
    expect((error as ApigThrottledError).retryAfterMs).toBe(expected);
    // Our own guess, which the pacer must not impose on every request.
    expect((error as ApigThrottledError).serverRetryAfterMs).toBeUndefined();
  });

  it('falls back to 2-5 s on an unreadable Retry-After', () => {
    const error = classifyApigResponse(
      429,
      '',
      { 'retry-after': 'soon' },
      { ...context, random: () => 0 },
    );
    expect((error as ApigThrottledError).retryAfterMs).toBe(2_000);
  });

  it('spreads the default over 2-5 s with real randomness', () => {
    const delays = Array.from(
      { length: 50 },
      () => (classifyApigResponse(429, '', {}, context) as ApigThrottledError).retryAfterMs,
    );
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(2_000);
      expect(d).toBeLessThanOrEqual(5_000);
    }
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});

describe('parseErrorBody', () => {
  it.each([
    [body('APIG.2101', 'mismatch'), { errorCode: 'APIG.2101', errorMessage: 'mismatch' }],
    [
      JSON.stringify({ error: { code: 401, message: 'The username or password is wrong.' } }),
      { errorMessage: 'The username or password is wrong.' },
    ],
    [
      JSON.stringify({ error: { code: 'IAM.0004', message: 'locked' } }),
      { errorCode: 'IAM.0004', errorMessage: 'locked' },
    ],
    [
      JSON.stringify({ error_code: 'IAM.0101', error_msg: 'bad' }),
      { errorCode: 'IAM.0101', errorMessage: 'bad' },
    ],
    ['null', {}],
    ['[1,2]', {}],
    ['"text"', {}],
    ['{', {}],
    ['', {}],
  ])('%s → %j', (text, expected) => {
    expect(parseErrorBody(text)).toEqual(expected);
  });
});

describe('sanitizeServerText', () => {
  it('removes PEM blocks, even unterminated, and cuts long text', () => {
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
    expect(sanitizeServerText(`bad value ${key} here`)).toBe('bad value [PEM removed] here');
    expect(sanitizeServerText('x -----BEGIN RSA PRIVATE KEY-----\nMIIE')).toBe('x [PEM removed]');
    expect(sanitizeServerText('a'.repeat(2000))).toHaveLength(501);
  });

  it('applies to the error_msg of an answer', () => {
    const error = classifyApigResponse(
      400,
      body(
        'APIG.2012',
        'Invalid parameter value -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
      ),
      {},
      context,
    );
    expect(error?.errorMessage).toBe('Invalid parameter value [PEM removed]');
    expect(error?.message).not.toContain('MIIE');
  });
});

describe('networkError', () => {
  it('is a retryable server error keeping the Node error code and the cause', () => {
    const cause = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const error = networkError(cause, context);
    expect(error).toBeInstanceOf(ApigServerError);
    expect(error).toMatchObject({
      kind: 'server',
      retryable: true,
      errorCode: 'UND_ERR_SOCKET',
      httpStatus: undefined,
      certificateId: 'cert-1',
    });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      'updateCertificate certificate cert-1: network error; UND_ERR_SOCKET other side closed',
    );
  });

  it('survives a cause that is not an Error', () => {
    expect(networkError('boom', { operation: 'iamToken' }).message).toBe('iamToken: network error');
  });
});

describe('error objects', () => {
  it('have a name per class, visible in String()', () => {
    const error = classifyApigResponse(404, body('APIG.3021'), {}, context);
    expect(error?.name).toBe('ApigNotFoundError');
    expect(String(error)).toMatch(/^ApigNotFoundError: updateCertificate certificate cert-1/);
  });

  it('serialise their fields with JSON.stringify', () => {
    const error = classifyApigResponse(403, body('APIG.3100', 'quota'), {}, context);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      kind: 'forbidden',
      retryable: false,
      errorCode: 'APIG.3100',
      errorMessage: 'quota',
      httpStatus: 403,
    });
  });
});
