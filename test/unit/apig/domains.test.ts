import { parseCertificatePage } from '../../../src/apig/certificate.ts';
import { parseAttachedDomainsPage, toWireDomains } from '../../../src/apig/domains.ts';
import { ResponseShapeError } from '../../../src/apig/wire.ts';

const DOMAIN = {
  url_domain: 'api.example.com',
  id: 'b9be707660c5406394f8973e087bae20',
  status: 3,
  min_ssl_version: 'TLSv1.1',
  ssl_id: 'a27be832f2e9441c8127fe48e3b5ac67',
  ssl_name: 'cert_demo',
  instance_id: 'f0fa1789-3b76-433b-a787-9892951c620e',
  api_group_id: 'c77f5e81d9cb4424bf704ef2b0ac7600',
  api_group_name: 'default',
};

describe('toWireDomains', () => {
  it('maps to snake_case and leaves out what is not given', () => {
    expect(
      toWireDomains([
        { domain: 'a.example.com', instanceIds: ['gw'], verifiedClientCertificateEnabled: false },
        { domain: 'b.example.com' },
      ]),
    ).toEqual({
      domains: [
        {
          domain: 'a.example.com',
          instance_ids: ['gw'],
          verified_client_certificate_enabled: false,
        },
        { domain: 'b.example.com' },
      ],
    });
  });
});

describe('parseAttachedDomainsPage', () => {
  it("reads Huawei's documented example (verification absent: false)", () => {
    expect(parseAttachedDomainsPage({ total: 1, size: 1, bound_domains: [DOMAIN] })).toEqual({
      total: 1,
      items: [
        {
          urlDomain: 'api.example.com',
          id: DOMAIN.id,
          status: 3,
          minSslVersion: 'TLSv1.1',
          verifiedClientCertificateEnabled: false,
          sslId: DOMAIN.ssl_id,
          apiGroupId: DOMAIN.api_group_id,
          apiGroupName: 'default',
          instanceId: DOMAIN.instance_id,
        },
      ],
    });
  });

  it.each([
    ['not an object', [], 'body is not a JSON object'],
    ['no total', { bound_domains: [] }, 'field total'],
    ['a negative total', { total: -1, bound_domains: [] }, 'field total'],
    ['no list', { total: 0 }, 'field bound_domains is not an array'],
    ['size not the item count', { total: 1, size: 2, bound_domains: [DOMAIN] }, 'field size is 2'],
    [
      'an item without url_domain',
      { total: 1, bound_domains: [{ ...DOMAIN, url_domain: '' }] },
      'bound_domains[0]: field url_domain',
    ],
    [
      'a status that is text',
      { total: 1, bound_domains: [{ ...DOMAIN, status: '3' }] },
      'field status is not a number',
    ],
    [
      'verification that is text',
      { total: 1, bound_domains: [{ ...DOMAIN, verified_client_certificate_enabled: 'yes' }] },
      'not a boolean',
    ],
  ])('refuses %s', (_label, raw, message) => {
    expect(() => parseAttachedDomainsPage(raw)).toThrow(ResponseShapeError);
    expect(() => parseAttachedDomainsPage(raw)).toThrow(message);
  });
});

describe('parseCertificatePage', () => {
  const item = {
    id: 'c1',
    name: 'cert_one',
    type: 'global',
    instance_id: 'common',
    san: ['a.example.com'],
    not_after: '2031-08-16T06:36:13Z',
  };

  it('accepts list items without serial_number (CertBase)', () => {
    const page = parseCertificatePage({ total: 3, size: 1, certs: [item] });
    expect(page.total).toBe(3);
    expect(page.items[0]).toMatchObject({
      id: 'c1',
      serialNumber: '',
      notAfter: '2031-08-16T06:36:13Z',
    });
  });

  it('still refuses an item without id', () => {
    expect(() => parseCertificatePage({ total: 1, certs: [{ ...item, id: undefined }] })).toThrow(
      'certs[0]: field id',
    );
  });
});
