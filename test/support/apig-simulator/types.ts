// Public types of the APIG simulator (contract shared with the client and operator tests).

export interface SimulatorOptions {
  /** Known project IDs; default [DEFAULT_PROJECT_ID]. The first is `simulator.projectId`. */
  projects?: string[];
  /** Project names IAM can scope a token to, name -> ID; default { [DEFAULT_PROJECT_NAME]: projects[0] }. */
  projectNames?: Record<string, string>;
  /** Accepted AK/SK pairs; a pair with a securityToken is a temporary key and needs X-Security-Token. */
  accessKeys?: { ak: string; sk: string; securityToken?: string }[];
  /** IAM password users; `project` is the project NAME they may scope a token to. */
  users?: { domain: string; name: string; password: string; project: string }[];
  /** X-Auth-Token values always accepted for every known project (APIG_AUTH_TOKEN tests). */
  staticTokens?: string[];
  /** OpenID Connect identity providers IAM exchanges ID tokens of (`POST /v3.0/OS-AUTH/id-token/tokens`). */
  identityProviders?: SimulatedIdentityProvider[];
  /** IAM token lifetime, default 24h. */
  tokenLifetimeMs?: number;
  /** Serve HTTPS with a generated CA (exposed as `caPem`). */
  tls?: boolean;
  /** Certificate calls admitted per sliding second; beyond it 429 APIGW.0308. */
  rateLimitPerSecond?: number;
  /** Clock for token expiry, signature skew, AK lock-out, certificate expiry and timestamps. */
  now?: () => Date;
  /** Source of randomness for FaultRule.rate, default Math.random. */
  random?: () => number;
  /** Port to listen on, default 0 (random). */
  port?: number;
  /** Called once per answered request (the CLI prints it). */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** An identity provider as registered in IAM's console for a cluster's ServiceAccount issuer. */
export interface SimulatedIdentityProvider {
  /** The IdP ID, sent as X-Idp-Id. */
  id: string;
  /** Must equal the token's `iss` (the cluster's --service-account-issuer). */
  issuer: string;
  /** The issuer's public keys (the cluster's /openid/v1/jwks). */
  jwks: { keys: Record<string, unknown>[] };
  /** Client IDs: one of the token's `aud` must be among them. */
  audiences: string[];
  /** Mapping rules: the `sub` values allowed, e.g. system:serviceaccount:ns:name. */
  subjects: string[];
}

export type ServiceName = 'apigw' | 'apic' | 'iam';

/** A credential as the simulator attributes a request to it (never the secret part). */
export type Caller =
  | { kind: 'accessKey'; accessKey: string }
  /** An IAM user's password; on a certificate call, the user its X-Auth-Token was issued to. */
  | { kind: 'password'; domain: string; user: string }
  /** An ID token's identity provider and `sub`; on a certificate call, what its token was exchanged for. */
  | { kind: 'idToken'; idpId: string; subject: string }
  | { kind: 'staticToken' };

export interface RequestLogEntry {
  time: Date;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Raw query string without '?', '' when none. */
  query: string;
  service: ServiceName;
  projectId?: string;
  certificateId?: string;
  /** HTTP status sent; 0 when the connection was reset without an answer. */
  status: number;
  errorCode?: string;
  /** Kind of the injected fault, when one applied. */
  fault?: string;
  /**
   * True when the request took effect in the simulator's state (e.g. a PUT that stored the
   * certificate); a PUT held by `applyLate` turns true when it is applied.
   */
  applied: boolean;
  /** How the caller authenticated, when it did. */
  auth?: 'aksk' | 'token' | 'static-token';
  /**
   * Who the request presented itself as, whether accepted or refused: the AK that signed it,
   * what its X-Auth-Token was issued for, the IAM user of a password-token request, the
   * identity provider and subject of an ID-token exchange. Absent when it named no one the
   * simulator knows (no credentials, an X-Auth-Token it never issued).
   */
  caller?: Caller;
  /** An ID-token exchange: SHA-256 (hex) of the ID token presented, to tell rotated tokens apart. */
  idTokenSha256?: string;
}

export type Fault =
  | { kind: 'latency'; ms: number }
  | { kind: 'serverError' } // 500 APIG.9999
  | { kind: 'throttle429'; retryAfterSeconds?: number } // 429 APIGW.0308 (+ Retry-After when given)
  | { kind: 'throttle500' } // 500 APIG.9008
  | { kind: 'unauthorized' } // 401 APIGW.0307 token must be updated
  | { kind: 'reset' } // destroy the socket without answering
  | { kind: 'malformed' } // 200 with a non-JSON body
  /** With `after: true`: the request takes effect, then its answer is held this long. */
  | { kind: 'holdAnswer'; ms: number }
  /**
   * PUT only: the request is authenticated and admitted, then held, answered with a reset
   * (default) or a 500, and applied right after the next PUT that takes
   * effect on the same certificate (a late write overtaking a newer one).
   */
  | { kind: 'applyLate'; answer?: 'reset' | 'serverError' };

export interface FaultRule {
  fault: Fault;
  /** Only requests with this method (any case). */
  method?: string;
  /** Only requests for this certificate ID. */
  certificateId?: string;
  /** Only this service; default: certificate calls (apigw and apic), never IAM. */
  service?: ServiceName;
  /** Fires on the next N matching calls, then is removed. */
  times?: number;
  /** Probability 0..1 that a matching call fires (drawn from SimulatorOptions.random). */
  rate?: number;
  /** Apply the fault after the request took effect (a PUT stored, then the answer is lost or replaced). */
  after?: boolean;
}

export interface CertificateDetails {
  commonName: string;
  san: string[];
  notAfter: string;
  notBefore: string;
  /** Decimal, as APIG shows it. */
  serialNumber: string;
  signatureAlgorithm: string;
  version: number;
  organization: string[];
  organizationalUnit: string[];
  locality: string[];
  state: string[];
  country: string[];
  issuer: string[];
}

export interface StoredCertificate extends CertificateDetails {
  id: string;
  projectId: string;
  name: string;
  type: 'global' | 'instance';
  /** 'common' for global certificates. */
  instanceId: string;
  certContent?: string;
  privateKey?: string;
  trustedRootCa?: string;
  algorithmType?: string;
  certContentSign?: string;
  privateKeySign?: string;
  isHasTrustedRootCa: boolean;
  createTime: Date;
  updateTime: Date;
}

export interface SeedCertificate {
  id: string;
  name: string;
  type?: 'global' | 'instance';
  instanceId?: string;
  projectId?: string;
  /** Optional content the certificate starts with (not validated), so GET shows real fields. */
  certContent?: string;
  privateKey?: string;
}

/** A domain bound to an API group on a gateway, ready for certificates to attach. */
export interface SeedDomain {
  instanceId: string;
  groupId: string;
  /** Default: groupId. */
  groupName?: string;
  domain: string;
  /** Default: random. */
  domainId?: string;
}

export interface StoredDomain {
  id: string;
  domain: string;
  instanceId: string;
  groupId: string;
  groupName: string;
  /** The one certificate attached, if any. */
  certificateId?: string;
  verifiedClientCertificateEnabled: boolean;
}

/** New content put in through the console (checked like a PUT; type and instance stay). */
export interface ConsoleEdit {
  certContent: string;
  privateKey: string;
  name?: string;
}

export interface ApigSimulator {
  /** e.g. http://127.0.0.1:PORT — APIG, ROMA Connect and IAM (/v3/...) on the same server. */
  url: string;
  /** CA that issued the HTTPS server certificate (tls: true only). */
  caPem?: string;
  /** The default project. */
  projectId: string;
  seedCertificate(c: SeedCertificate): void;
  addInstance(instanceId: string): void;
  /** Binds a domain to an API group on a gateway (the gateway becomes known); returns the record. */
  seedDomain(d: SeedDomain): StoredDomain;
  /** Every seeded domain with its attachment state. */
  domains(): StoredDomain[];
  certificate(id: string): StoredCertificate | undefined;
  /** A person replacing the content in the console; throws the APIG error when APIG would refuse. */
  consoleEdit(id: string, edit: ConsoleEdit): void;
  /** A person unbinding the certificate's domains and deleting it in the console. */
  consoleDelete(id: string): void;
  /** A person unbinding one domain from the certificate in the console. */
  consoleDetach(id: string, domain: string): void;
  requests(): RequestLogEntry[];
  /** PUTs that stored a certificate (status 200, applied before an `after` fault, or applied late). */
  successfulPuts(certificateId?: string): RequestLogEntry[];
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Every X-Auth-Token IAM issued so far (leak scans look for them). */
  issuedTokens(): string[];
  /** Every issued IAM token becomes invalid (401 APIGW.0307). */
  expireTokens(): void;
  /** A person changing an IAM user's password: the old one is refused from now on; issued tokens stay valid. */
  changePassword(domain: string, user: string, password: string): void;
  /** When the AK is locked after failed signatures, until when; undefined when it is not. */
  accessKeyLockedUntil(ak: string): Date | undefined;
  close(): Promise<void>;
}
