import { checkBaseUrl } from '../../../src/common/url.ts';

describe('checkBaseUrl', () => {
  it.each([
    ['https://apig.example.com', 'https://apig.example.com', false],
    ['https://apig.example.com/', 'https://apig.example.com', false],
    ['https://gw.example.com/prefix//', 'https://gw.example.com/prefix', false],
    ['https://apig.example.com:8443/a/b', 'https://apig.example.com:8443/a/b', false],
    ['http://127.0.0.1:9000', 'http://127.0.0.1:9000', true],
    ['HTTPS://APIG.Example.com', 'https://apig.example.com', false],
  ])('accepts %j as base %j (plain http: %p)', (raw, base, plainHttp) => {
    expect(checkBaseUrl(raw)).toEqual({ ok: true, base, plainHttp });
  });

  it.each([
    ['apig.example.com', { reason: 'notAbsolute' }],
    ['', { reason: 'notAbsolute' }],
    ['ftp://apig.example.com', { reason: 'notHttp', protocol: 'ftp:' }],
    ['file:///etc/passwd', { reason: 'notHttp', protocol: 'file:' }],
    ['https://user:pw@apig.example.com', { reason: 'credentials' }],
    ['https://user@apig.example.com', { reason: 'credentials' }],
    ['https://apig.example.com/?a=1', { reason: 'queryOrFragment' }],
    ['https://apig.example.com/#top', { reason: 'queryOrFragment' }],
    // the first problem in the documented order wins
    ['https://user:pw@apig.example.com/?a=1', { reason: 'credentials' }],
  ])('refuses %j: %j', (raw, problem) => {
    expect(checkBaseUrl(raw)).toEqual({ ok: false, problem });
  });
});
