// The Ready reasons of ApigProvider and ClusterApigProvider (README "Provider
// Ready reasons"). Stable API: add, never rename.
export const PROVIDER_REASONS = {
  /** A token was obtained, or a signed read was accepted. */
  verified: 'CredentialsVerified',
  /** Not checked yet. */
  pending: 'Verifying',
  secretNotFound: 'SecretNotFound',
  secretKeyNotFound: 'SecretKeyNotFound',
  invalidCredentials: 'InvalidCredentials',
  invalidSpec: 'InvalidSpec',
  /** APIG or IAM answered 401 (the code is in the message). */
  credentialsRefused: 'CredentialsRefused',
  /** No answer: DNS, connection, TLS, timeout. */
  endpointUnreachable: 'EndpointUnreachable',
  /** An answer that proves nothing: throttled, 5xx, not APIG's format. */
  verificationFailed: 'VerificationFailed',
  /** A ClusterApigProvider with no operator namespace to read its Secrets from. */
  noClusterResourceNamespace: 'NoClusterResourceNamespace',
  /** An ApigProvider in the operator's own namespace. */
  namespaceReserved: 'NamespaceReserved',
  /** The TokenRequest for the ServiceAccount was refused. */
  serviceAccountTokenFailed: 'ServiceAccountTokenFailed',
} as const;
