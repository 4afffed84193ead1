import { sanEntries } from '../../support/apig-simulator/certificate-details.ts';

describe('sanEntries: the DNS and IP entries of OpenSSL subjectAltName text', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['DNS:app.example.com', ['app.example.com']],
    ['DNS:a.example.com, DNS:b.example.com', ['a.example.com', 'b.example.com']],
    ['IP Address:192.0.2.10', ['192.0.2.10']],
    ['IP Address:2001:DB8:0:0:0:0:0:1', ['2001:db8::1']],
    ['IP Address:2001:DB8:0:0:1:0:0:1', ['2001:db8::1:0:0:1']],
    ['email:ops@example.com, URI:https://example.com/, DNS:x.example.com', ['x.example.com']],
    [
      'DNS:"weird,name.example", DNS:"q\\"uote.example", DNS:z.example',
      ['weird,name.example', 'q"uote.example', 'z.example'],
    ],
    ['othername:<unsupported>, DNS:y.example', ['y.example']],
  ])('%s', (text, expected) => {
    expect(sanEntries(text)).toEqual(expected);
  });
});
