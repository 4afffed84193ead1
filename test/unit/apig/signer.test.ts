import { createHash } from 'node:crypto';
import {
  canonicalHeaders,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  formatSdkDate,
  hashPayload,
  rfc3986Encode,
  signature,
  signRequest,
  signedHeaderNames,
  stringToSign,
} from '../../../src/apig/signer.ts';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('published vector 1 (Huawei signing guide)', () => {
  const credentials = {
    accessKey: 'QTWAOYTTINDUT2QVKYUC',
    secretKey: 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc',
  };
  // Query deliberately out of order and path without the trailing '/': both
  // must come out canonical.
  const request = {
    method: 'GET',
    url: new URL(
      'https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?marker=13551d6b-755d-4757-b956-536f674975c0&limit=2',
    ),
    headers: { 'Content-Type': 'application/json', Host: 'service.region.example.com' },
    body: '',
  };
  const date = new Date('2019-11-15T03:36:55Z');
  const expectedCanonical = [
    'GET',
    '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/',
    'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
    'content-type:application/json',
    'host:service.region.example.com',
    'x-sdk-date:20191115T033655Z',
    '',
    'content-type;host;x-sdk-date',
    EMPTY_SHA256,
  ].join('\n');

  it('builds the canonical request of the guide, byte for byte', () => {
    const canonical = canonicalRequest({
      ...request,
      headers: { ...request.headers, 'X-Sdk-Date': formatSdkDate(date) },
    });
    expect(canonical).toBe(expectedCanonical);
    expect(createHash('sha256').update(canonical).digest('hex')).toBe(
      'b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
    );
  });

  it('signs to the published signature', () => {
    const headers = signRequest(request, credentials, date);
    expect(headers).toEqual({
      'X-Sdk-Date': '20191115T033655Z',
      Authorization:
        'SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, ' +
        'Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    });
  });

  it('string to sign and signature agree with the step-by-step functions', () => {
    const toSign = stringToSign('20191115T033655Z', expectedCanonical);
    expect(toSign).toBe(
      'SDK-HMAC-SHA256\n20191115T033655Z\nb25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
    );
    expect(signature(toSign, credentials.secretKey)).toBe(
      '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    );
  });
});

describe('published vector 2 (Go SDK tests)', () => {
  it('GET /path?limit=1 signing only x-sdk-date', () => {
    const headers = signRequest(
      { method: 'GET', url: new URL('http://example.com/path?limit=1'), headers: {}, body: '' },
      { accessKey: 'AccessKey', secretKey: 'SecretKey' },
      new Date('2006-01-02T15:04:05Z'),
    );
    expect(headers.Authorization).toBe(
      'SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, ' +
        'Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
    );
  });
});

describe('formatSdkDate', () => {
  it.each([
    ['2019-11-15T03:36:55.000Z', '20191115T033655Z'],
    ['2006-01-02T15:04:05.999Z', '20060102T150405Z'],
    ['2030-12-31T23:59:59Z', '20301231T235959Z'],
  ])('%s → %s', (iso, expected) => {
    expect(formatSdkDate(new Date(iso))).toBe(expected);
  });
});

describe('rfc3986Encode', () => {
  it.each([
    ['AZaz09-_.~', 'AZaz09-_.~'],
    ["!'()*", '%21%27%28%29%2A'],
    [' ', '%20'],
    ['+', '%2B'],
    ['/?#[]@', '%2F%3F%23%5B%5D%40'],
    ['$&,;=:', '%24%26%2C%3B%3D%3A'],
    ['%', '%25'],
    ['é', '%C3%A9'],
    ['证书', '%E8%AF%81%E4%B9%A6'],
    ['😀', '%F0%9F%98%80'],
  ])('%j → %s', (input, expected) => {
    expect(rfc3986Encode(input)).toBe(expected);
  });
});

describe('canonicalUri', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['/v2/p/apigw/certificates', '/v2/p/apigw/certificates/'],
    ['/v2/p/apigw/certificates/', '/v2/p/apigw/certificates/'],
    // already-encoded segments are decoded, then encoded once (never %25 twice)
    ['/a%20b/c', '/a%20b/c/'],
    ['/caf%C3%A9', '/caf%C3%A9/'],
    ['/caf%c3%a9', '/caf%C3%A9/'],
    // reserved characters inside a segment
    ["/!'()*", '/%21%27%28%29%2A/'],
    ['/a:b@c;d=e,f$g&h+i', '/a%3Ab%40c%3Bd%3De%2Cf%24g%26h%2Bi/'],
    // an encoded slash stays inside its segment
    ['/a%2Fb', '/a%2Fb/'],
    // a stray percent stands for itself
    ['/100%', '/100%25/'],
    ['/~unreserved-._', '/~unreserved-._/'],
  ])('%j → %s', (path, expected) => {
    expect(canonicalUri(path)).toBe(expected);
  });

  it('takes a WHATWG URL pathname with raw Unicode and spaces', () => {
    expect(canonicalUri(new URL('https://h/证书 x/(1)').pathname)).toBe(
      '/%E8%AF%81%E4%B9%A6%20x/%281%29/',
    );
  });
});

describe('canonicalQuery', () => {
  it.each([
    ['', ''],
    ['limit=2&marker=abc', 'limit=2&marker=abc'],
    ['marker=abc&limit=2', 'limit=2&marker=abc'],
    // empty values: `k=`
    ['a', 'a='],
    ['a=&b', 'a=&b='],
    // repeated keys: every value, sorted
    ['k=3&k=1&k=2', 'k=1&k=2&k=3'],
    ['b=1&a=2&b=0', 'a=2&b=0&b=1'],
    // reserved characters in keys and values
    ['na%20me=a%2Bb&x=%21%2A', 'na%20me=a%2Bb&x=%21%2A'],
    ["q=it's (ok)*", 'q=it%27s%20%28ok%29%2A'],
    ['q=a/b?c', 'q=a%2Fb%3Fc'],
    // form-style '+' means a space, as every server decodes it
    ['q=a+b', 'q=a%20b'],
    // Unicode
    ['name=证书', 'name=%E8%AF%81%E4%B9%A6'],
    // keys sort by their UTF-8 bytes: upper case before lower case, ASCII before Unicode
    ['b=1&B=2&é=3&a=4', 'B=2&a=4&b=1&%C3%A9=3'],
  ])('%j → %j', (search, expected) => {
    expect(canonicalQuery(new URLSearchParams(search))).toBe(expected);
  });

  it('reads the query of a URL', () => {
    expect(
      canonicalQuery(new URL('https://h/p?offset=0&instance_id=x y&limit=500').searchParams),
    ).toBe('instance_id=x%20y&limit=500&offset=0');
  });
});

describe('canonical headers and signed headers', () => {
  const headers = {
    'X-Sdk-Date': '20191115T033655Z',
    Host: 'apig.example.com:8443',
    'content-type': '  application/json;charset=UTF-8 ',
    'X-Project-Id': 'p1',
  };

  it('lower-cases, trims and sorts', () => {
    expect(canonicalHeaders(headers)).toBe(
      'content-type:application/json;charset=UTF-8\n' +
        'host:apig.example.com:8443\n' +
        'x-project-id:p1\n' +
        'x-sdk-date:20191115T033655Z\n',
    );
    expect(signedHeaderNames(headers)).toEqual([
      'content-type',
      'host',
      'x-project-id',
      'x-sdk-date',
    ]);
  });

  it('lists a name given twice in different case once, with both values', () => {
    expect(signedHeaderNames({ 'X-A': '2', 'x-a': '1' })).toEqual(['x-a']);
    expect(canonicalHeaders({ 'X-A': '2', 'x-a': '1' })).toBe('x-a:1\nx-a:2\n');
  });
});

describe('hashPayload', () => {
  it('hashes the empty body to the documented constant', () => {
    expect(hashPayload('')).toBe(EMPTY_SHA256);
    expect(hashPayload(new Uint8Array())).toBe(EMPTY_SHA256);
  });

  it('hashes the exact bytes: a string is its UTF-8 encoding', () => {
    const json = JSON.stringify({ name: '证书_1', cert_content: '-----BEGIN CERTIFICATE-----\n' });
    const bytes = Buffer.from(json, 'utf8');
    const expected = createHash('sha256').update(bytes).digest('hex');
    expect(hashPayload(json)).toBe(expected);
    expect(hashPayload(bytes)).toBe(expected);
  });

  it('differs for bytes that differ only in whitespace or encoding', () => {
    const compact = '{"name":"证书"}';
    expect(hashPayload('{"name": "证书"}')).not.toBe(hashPayload(compact));
    expect(hashPayload(Buffer.from(compact, 'utf16le'))).not.toBe(hashPayload(compact));
  });

  it('is what the signature covers: a different body changes the signature', () => {
    const base = {
      method: 'PUT',
      url: new URL('https://apig.example.com/v2/p/apigw/certificates/c1'),
      headers: { host: 'apig.example.com', 'content-type': 'application/json;charset=UTF-8' },
    };
    const credentials = { accessKey: 'AK', secretKey: 'SK' };
    const now = new Date('2026-01-01T00:00:00Z');
    const a = signRequest({ ...base, body: '{"name":"a"}' }, credentials, now);
    const b = signRequest({ ...base, body: '{"name":"b"}' }, credentials, now);
    expect(a.Authorization).not.toBe(b.Authorization);
    expect(
      canonicalRequest({ ...base, body: '{"name":"a"}' }).endsWith(hashPayload('{"name":"a"}')),
    ).toBe(true);
  });
});

describe('signRequest', () => {
  const request = {
    method: 'put',
    url: new URL('https://apig.example.com/v2/p/apigw/certificates/c1'),
    headers: {
      host: 'apig.example.com',
      'content-type': 'application/json;charset=UTF-8',
      'x-project-id': 'p',
    },
    body: '{}',
  };
  const now = new Date('2026-01-01T00:00:00Z');

  it('adds and signs X-Security-Token for temporary credentials', () => {
    const headers = signRequest(
      request,
      { accessKey: 'AK', secretKey: 'SK', securityToken: 'temporary-token' },
      now,
    );
    expect(headers['X-Security-Token']).toBe('temporary-token');
    expect(headers.Authorization).toContain(
      'SignedHeaders=content-type;host;x-project-id;x-sdk-date;x-security-token,',
    );
    const unsigned = signRequest(request, { accessKey: 'AK', secretKey: 'SK' }, now);
    expect(unsigned['X-Security-Token']).toBeUndefined();
    expect(unsigned.Authorization).toContain(
      'SignedHeaders=content-type;host;x-project-id;x-sdk-date,',
    );
  });

  it("never signs the caller's Authorization or replaces its own date with the caller's", () => {
    const clean = signRequest(request, { accessKey: 'AK', secretKey: 'SK' }, now);
    const dirty = signRequest(
      {
        ...request,
        headers: { ...request.headers, Authorization: 'old', 'x-sdk-date': '20000101T000000Z' },
      },
      { accessKey: 'AK', secretKey: 'SK' },
      now,
    );
    expect(dirty).toEqual(clean);
  });

  it('upper-cases the method in the canonical request', () => {
    expect(canonicalRequest(request).split('\n')[0]).toBe('PUT');
  });

  it('signs with the SK as UTF-8 bytes', () => {
    const toSign = 'SDK-HMAC-SHA256\n20260101T000000Z\nabc';
    expect(signature(toSign, 'clé')).not.toBe(signature(toSign, 'cle'));
    expect(signature(toSign, 'clé')).toMatch(/^[0-9a-f]{64}$/);
  });
});
