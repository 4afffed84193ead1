import { classifyApigResponse, networkError } from '../../../src/apig/errors.ts';
import type { ApigOperation } from '../../../src/apig/errors.ts';
import { apigRefusal, CERTIFICATE_ATTACHED_CODE } from '../../../src/apig/refusals.ts';

function answer(operation: ApigOperation, status: number, code: string, message = 'x') {
  return classifyApigResponse(
    status,
    JSON.stringify({ error_code: code, error_msg: message }),
    {},
    {
      operation,
      random: () => 0,
    },
  );
}

describe('apigRefusal', () => {
  it.each([
    ['showCertificate', 404, 'APIG.3025', 'x', 'certificateNotFound'],
    ['attachDomains', 404, 'APIG.3021', 'x', 'certificateNotFound'],
    ['deleteCertificate', 403, CERTIFICATE_ATTACHED_CODE, 'x', 'certificateAttached'],
    ['updateCertificate', 403, CERTIFICATE_ATTACHED_CODE, 'x', undefined],
    ['attachDomains', 404, 'APIG.3020', 'The URL domain does not exist', 'domainNotFound'],
    ['detachDomains', 404, 'APIG.3020', 'The URL domain does not exist', 'domainNotFound'],
    ['listCertificates', 404, 'APIG.3020', 'x', undefined],
    [
      'attachDomains',
      400,
      'APIG.2012',
      'Invalid parameter value,parameterName:instance_ids. Please refer to the support documentation',
      'instanceMismatch',
    ],
    ['attachDomains', 400, 'APIG.2012', 'Invalid parameter value,parameterName:domains', undefined],
    [
      'attachDomains',
      400,
      'APIG.2051',
      'A domain name cannot be bound with different certificates',
      'domainHasOtherCertificate',
    ],
    ['detachDomains', 400, 'APIG.2000', 'no valid domain name', 'alreadyDetached'],
    [
      'detachDomains',
      400,
      'APIG.2000',
      'Parameter error: the request body is not valid JSON',
      undefined,
    ],
    ['attachDomains', 400, 'APIG.2000', 'no valid domain name', undefined],
  ] as const)('%s %i %s %s: %s', (operation, status, code, message, refusal) => {
    expect(apigRefusal(answer(operation, status, code, message))).toBe(refusal);
  });

  it('is undefined for anything that is not an ApigError', () => {
    expect(apigRefusal(new Error('APIG.3020'))).toBeUndefined();
    expect(apigRefusal(undefined)).toBeUndefined();
  });
});

describe('outcomeUnknown', () => {
  it.each([
    ['updateCertificate', 500, 'APIG.9999', true],
    ['createCertificate', 502, 'x', true],
    ['attachDomains', 408, 'x', true],
    ['showCertificate', 500, 'APIG.9999', false],
    ['updateCertificate', 500, 'APIG.9008', false],
    ['updateCertificate', 429, 'APIGW.0308', false],
    ['deleteCertificate', 400, 'APIG.2012', false],
    ['detachDomains', 302, 'x', true],
    ['listCertificates', 302, 'x', false],
  ] as const)('%s answered %i %s: %s', (operation, status, code, unknown) => {
    expect(answer(operation, status, code)?.outcomeUnknown).toBe(unknown);
  });

  it.each([
    ['updateCertificate', 'ECONNRESET', true],
    ['detachDomains', 'UND_ERR_HEADERS_TIMEOUT', true],
    ['updateCertificate', 'ECONNREFUSED', false],
    ['createCertificate', 'UND_ERR_CONNECT_TIMEOUT', false],
    ['listAttachedDomains', 'ECONNRESET', false],
  ] as const)('%s failing with %s: %s', (operation, code, unknown) => {
    const cause = Object.assign(new Error('failed'), { code });
    expect(networkError(cause, { operation }).outcomeUnknown).toBe(unknown);
  });
});
