import { parseCertificate, toWireBody } from '../../../src/apig/certificate.ts';
import { ResponseShapeError } from '../../../src/apig/wire.ts';

const referenceAnswer = {
  id: 'b6d4e5a4c1d94d9e8f0a0c2d3e4f5a6b',
  name: 'app_example',
  type: 'instance',
  instance_id: 'eddc4d25480b4cd6b512f270a1b8b341',
  project_id: '0ab1c2d3',
  common_name: 'app.example.com',
  san: ['app.example.com', 'www.example.com'],
  not_after: '2031-08-16T06:36:13Z',
  not_before: '2021-08-18T06:36:13Z',
  serial_number: '13010',
  signature_algorithm: 'SHA256-RSA',
  algorithm_type: 'RSA',
  is_has_trusted_root_ca: true,
  version: 3,
  organization: ['Example'],
  organizational_unit: ['Ops'],
  locality: ['Shenzhen'],
  state: ['Guangdong'],
  country: ['CN'],
  issuer: ['Example CA'],
  create_time: '2026-01-01T00:00:00Z',
  update_time: '2026-01-02T00:00:00Z',
};

describe('toWireBody', () => {
  it('maps every field to its snake_case name', () => {
    expect(
      toWireBody({
        name: 'n',
        certContent: 'c',
        privateKey: 'k',
        type: 'instance',
        instanceId: 'i',
        trustedRootCa: 'ca',
        algorithmType: 'SM2',
        certContentSign: 'cs',
        privateKeySign: 'ks',
      }),
    ).toEqual({
      name: 'n',
      cert_content: 'c',
      private_key: 'k',
      type: 'instance',
      instance_id: 'i',
      trusted_root_ca: 'ca',
      algorithm_type: 'SM2',
      cert_content_sign: 'cs',
      private_key_sign: 'ks',
    });
  });

  it('sends only the fields that are present', () => {
    const wire = toWireBody({ name: 'n', certContent: 'c', privateKey: 'k', type: undefined });
    expect(wire).toEqual({ name: 'n', cert_content: 'c', private_key: 'k' });
    expect(JSON.stringify(wire)).toBe('{"name":"n","cert_content":"c","private_key":"k"}');
  });
});

describe('parseCertificate', () => {
  it('reads every documented field', () => {
    expect(parseCertificate(referenceAnswer)).toEqual({
      id: 'b6d4e5a4c1d94d9e8f0a0c2d3e4f5a6b',
      name: 'app_example',
      type: 'instance',
      instanceId: 'eddc4d25480b4cd6b512f270a1b8b341',
      projectId: '0ab1c2d3',
      commonName: 'app.example.com',
      san: ['app.example.com', 'www.example.com'],
      notAfter: '2031-08-16T06:36:13Z',
      notBefore: '2021-08-18T06:36:13Z',
      serialNumber: '13010',
      signatureAlgorithm: 'SHA256-RSA',
      algorithmType: 'RSA',
      isHasTrustedRootCa: true,
      version: 3,
      organization: ['Example'],
      organizationalUnit: ['Ops'],
      locality: ['Shenzhen'],
      state: ['Guangdong'],
      country: ['CN'],
      issuer: ['Example CA'],
      createTime: '2026-01-01T00:00:00Z',
      updateTime: '2026-01-02T00:00:00Z',
    });
  });

  it('defaults optional fields that are absent or null', () => {
    const minimal = parseCertificate({
      id: 'c1',
      name: 'n',
      not_after: '2031-08-16T06:36:13Z',
      serial_number: '1',
      san: null,
    });
    expect(minimal).toMatchObject({
      type: '',
      san: [],
      issuer: [],
      version: undefined,
      isHasTrustedRootCa: false,
    });
  });

  it.each([
    [null, 'body is not a JSON object'],
    [[referenceAnswer], 'body is not a JSON object'],
    ['text', 'body is not a JSON object'],
    [{ ...referenceAnswer, id: undefined }, 'field id is missing'],
    [{ ...referenceAnswer, id: '' }, 'field id is missing'],
    [{ ...referenceAnswer, name: 7 }, 'field name is missing'],
    [{ ...referenceAnswer, not_after: undefined }, 'field not_after is missing'],
    [{ ...referenceAnswer, serial_number: 13010 }, 'field serial_number is missing'],
    [{ ...referenceAnswer, san: 'app.example.com' }, 'field san is not an array of strings'],
    [{ ...referenceAnswer, issuer: [1] }, 'field issuer is not an array of strings'],
    [{ ...referenceAnswer, version: '3' }, 'field version is not a number'],
    [
      { ...referenceAnswer, is_has_trusted_root_ca: 'true' },
      'is_has_trusted_root_ca is not a boolean',
    ],
    [{ ...referenceAnswer, common_name: {} }, 'field common_name is not a string'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseCertificate(raw)).toThrow(ResponseShapeError);
    expect(() => parseCertificate(raw)).toThrow(message);
  });

  const noContent = { ...referenceAnswer, not_after: '', serial_number: '' };
  const missingContent = { ...referenceAnswer, not_after: undefined, serial_number: undefined };

  it.each([
    [noContent, 'field not_after is missing'],
    [missingContent, 'field not_after is missing'],
  ] as const)('an answer to a write rejects %j', (raw, message) => {
    expect(() => parseCertificate(raw)).toThrow(message);
  });
});
