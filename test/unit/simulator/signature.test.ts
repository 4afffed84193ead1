import {
  EMPTY_BODY_SHA256,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  parseAuthorization,
  parseSdkDate,
  sha256Hex,
  signatureOf,
  stringToSign,
} from '../../support/apig-simulator/signature.ts';

describe('SDK-HMAC-SHA256 verifier canonicalisation', () => {
  it("reproduces Huawei's signing-guide vector bit for bit", () => {
    const canonical = canonicalRequest(
      {
        method: 'GET',
        rawPath: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
        rawQuery: 'marker=13551d6b-755d-4757-b956-536f674975c0&limit=2',
        headers: {
          'content-type': 'application/json',
          host: 'service.region.example.com',
          'x-sdk-date': '20191115T033655Z',
        },
        body: new Uint8Array(),
      },
      ['content-type', 'host', 'x-sdk-date'],
    );
    expect(canonical).toBe(
      [
        'GET',
        '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/',
        'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
        'content-type:application/json',
        'host:service.region.example.com',
        'x-sdk-date:20191115T033655Z',
        '',
        'content-type;host;x-sdk-date',
        EMPTY_BODY_SHA256,
      ].join('\n'),
    );
    expect(sha256Hex(canonical!)).toBe(
      'b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a',
    );
    expect(
      signatureOf(
        'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc',
        stringToSign(canonical!, '20191115T033655Z'),
      ),
    ).toBe('7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe');
  });

  it("reproduces the Go SDK's vector (only x-sdk-date signed)", () => {
    const canonical = canonicalRequest(
      {
        method: 'GET',
        rawPath: '/path',
        rawQuery: 'limit=1',
        headers: { 'x-sdk-date': '20060102T150405Z' },
        body: new Uint8Array(),
      },
      ['x-sdk-date'],
    );
    expect(signatureOf('SecretKey', stringToSign(canonical!, '20060102T150405Z'))).toBe(
      '5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
    );
  });

  it.each([
    ['/', '/'],
    ['/v2/p/apigw/certificates', '/v2/p/apigw/certificates/'],
    ['/v2/p/apigw/certificates/', '/v2/p/apigw/certificates/'],
    ['/a%20b/c', '/a%20b/c/'],
    ['/a+b', '/a%2Bb/'],
    ['/~user/x.y_z-1', '/~user/x.y_z-1/'],
    ["/it's(*)!", '/it%27s%28%2A%29%21/'],
    ['/%e4%b8%ad', '/%E4%B8%AD/'],
    ['/中', '/%E4%B8%AD/'],
  ])('canonical URI of %s is %s', (raw, expected) => {
    expect(canonicalUri(raw)).toBe(expected);
  });

  it.each([
    ['', ''],
    ['b=2&a=1', 'a=1&b=2'],
    ['a=2&a=1', 'a=1&a=2'],
    ['empty=&flag', 'empty=&flag='],
    ['name=a%20b&x=%7E', 'name=a%20b&x=~'],
    ['q=a+b', 'q=a%2Bb'],
    ["k*=v'(", 'k%2A=v%27%28'],
    ['z=1&Z=1', 'Z=1&z=1'],
  ])('canonical query of %j is %j', (raw, expected) => {
    expect(canonicalQuery(raw)).toBe(expected);
  });

  it('hashes the exact body bytes', () => {
    const parts = (body: string) => ({
      method: 'PUT',
      rawPath: '/x',
      rawQuery: '',
      headers: { 'x-sdk-date': '20240101T000000Z' },
      body: Buffer.from(body),
    });
    const compact = canonicalRequest(parts('{"a":1}'), ['x-sdk-date'])!;
    const spaced = canonicalRequest(parts('{"a": 1}'), ['x-sdk-date'])!;
    expect(compact.split('\n').at(-1)).toBe(sha256Hex('{"a":1}'));
    expect(spaced).not.toBe(compact);
  });

  it('trims header values and fails when a signed header is missing', () => {
    const base = { method: 'GET', rawPath: '/', rawQuery: '', body: new Uint8Array() };
    expect(
      canonicalRequest({ ...base, headers: { 'x-sdk-date': '  20240101T000000Z ' } }, [
        'x-sdk-date',
      ]),
    ).toContain('x-sdk-date:20240101T000000Z\n');
    expect(canonicalRequest({ ...base, headers: {} }, ['x-sdk-date'])).toBeUndefined();
    expect(
      canonicalRequest({ ...base, rawPath: '/%E4%B8', headers: { 'x-sdk-date': 'd' } }, [
        'x-sdk-date',
      ]),
    ).toBeUndefined();
  });

  it.each([
    ['20191115T033655Z', '2019-11-15T03:36:55.000Z'],
    ['20240229T235959Z', '2024-02-29T23:59:59.000Z'],
    ['20230229T000000Z', undefined],
    ['20191115T253655Z', undefined],
    ['2019-11-15T03:36:55Z', undefined],
    ['20191115T033655', undefined],
    ['', undefined],
  ])('X-Sdk-Date %j parses to %s', (value, expected) => {
    expect(parseSdkDate(value)?.toISOString()).toBe(expected);
  });

  it.each([
    [
      'SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=0a1b',
      { accessKey: 'AK1', signedHeaders: ['host', 'x-sdk-date'], signature: '0a1b' },
    ],
    [
      'SDK-HMAC-SHA256 Access=AK1,SignedHeaders=x-sdk-date,Signature=ff',
      { accessKey: 'AK1', signedHeaders: ['x-sdk-date'], signature: 'ff' },
    ],
    ['SDK-HMAC-SHA256 Access=AK1, Signature=ff', undefined],
    ['SDK-HMAC-SHA256 Access=AK1, SignedHeaders=x-sdk-date, Signature=XYZ', undefined],
    ['AWS4-HMAC-SHA256 Credential=AK1/x, SignedHeaders=host, Signature=ff', undefined],
  ])('Authorization %j parses to %j', (value, expected) => {
    expect(parseAuthorization(value)).toEqual(expected);
  });
});
