// APIG_CA_FILE: the private CA bundle, checked at start so a bad file stops
// the operator rather than every APIG call failing later.
import { X509Certificate } from 'node:crypto';
import { fail, quote, type Environment } from './env.ts';

/** APIG_CA_FILE: PEM certificates added to Node's trust store for APIG (and IAM). */
export function caBundle(
  env: Environment,
  endpoint: string,
  warnings: string[],
): { caFile: string | undefined; caPem: string | undefined } {
  const caFile = env.text('APIG_CA_FILE');
  if (caFile === undefined) return { caFile, caPem: undefined };
  const caPem = env.file('APIG_CA_FILE', caFile);
  const blocks = caPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) fail('APIG_CA_FILE', `${quote(caFile)} holds no PEM certificate`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      fail('APIG_CA_FILE', `${quote(caFile)} holds a certificate that cannot be parsed`);
    }
  }
  if (endpoint.startsWith('http:')) {
    warnings.push('APIG_CA_FILE is set but APIG_ENDPOINT is plain http: the CA is not used');
  }
  return { caFile, caPem };
}
