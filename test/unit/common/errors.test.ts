import { ApigNotFoundError } from '../../../src/apig/errors.ts';
import { CertificateInputError } from '../../../src/certs/errors.ts';
import { hasErrorKind } from '../../../src/common/errors.ts';
import { ConfigError } from '../../../src/config/env.ts';
import { KubeApiError } from '../../../src/kube/kube-client.ts';

const notFound = new ApigNotFoundError('not found', {
  operation: 'updateCertificate',
  certificateId: 'cert-1',
});

describe('hasErrorKind: the one way callers branch on an error, in every layer', () => {
  it.each<[string, unknown, string, boolean]>([
    ['an APIG error of that kind', notFound, 'notFound', true],
    ['an APIG error of another kind', notFound, 'server', false],
    ['a Kubernetes API error', new KubeApiError(409, undefined, 'PATCH'), 'kubeApi', true],
    [
      'a certificate input error',
      new CertificateInputError('SecretDataMissing', 'tls.crt', 'no tls.crt'),
      'certificateInput',
      true,
    ],
    ['a configuration error', new ConfigError('X is bad', ['X']), 'config', true],
    [
      'an internal error',
      Object.assign(new Error('x'), { kind: 'responseShape' }),
      'responseShape',
      true,
    ],
    [
      'a plain object with a kind is no error',
      { kind: 'notFound', message: 'x' },
      'notFound',
      false,
    ],
    ['undefined', undefined, 'notFound', false],
  ])('%s', (_case, value, kind, expected) => {
    expect(hasErrorKind(value, kind)).toBe(expected);
  });
});
