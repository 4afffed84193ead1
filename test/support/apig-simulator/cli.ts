// Runs the APIG simulator by hand: `node test/support/apig-simulator/cli.ts`
// (Node 24 strips the types). Configuration comes from the environment; every
// request is printed as one line. Ctrl-C stops it.
import { DEFAULT_PROJECT_ID, DEFAULT_PROJECT_NAME, startApigSimulator } from './index.ts';
import type { RequestLogEntry } from './index.ts';

const env = process.env;
const setting = (name: string, fallback: string): string => {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
};

const projectId = setting('SIM_PROJECT_ID', DEFAULT_PROJECT_ID);
const projectName = setting('SIM_PROJECT_NAME', DEFAULT_PROJECT_NAME);
const ak = setting('SIM_AK', 'SIMULATORACCESSKEY01');
const sk = setting('SIM_SK', 'simulator-secret-key');
const user = {
  domain: setting('SIM_DOMAIN', 'simulator'),
  name: setting('SIM_USER', 'operator'),
  password: setting('SIM_PASSWORD', 'simulator-password'),
  project: projectName,
};
const staticToken = setting('SIM_TOKEN', 'simulator-static-token');
const port = Number(setting('SIM_PORT', '0'));
const seeds = setting('SIM_SEED', '')
  .split(',')
  .map((id) => id.trim())
  .filter((id) => id !== '');
const domains = setting('SIM_DOMAINS', '')
  .split(',')
  .map((entry) => entry.trim())
  .filter((entry) => entry !== '')
  .map((entry) => entry.split('/'));
if (domains.some((parts) => parts.length !== 3 || parts.some((part) => part === ''))) {
  console.error(`SIM_DOMAINS must be gateway/group/domain,..., got ${env.SIM_DOMAINS}`);
  process.exit(2);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`SIM_PORT must be a port number, got ${env.SIM_PORT}`);
  process.exit(2);
}

function logLine(e: RequestLogEntry): string {
  const extras = [
    e.errorCode,
    e.fault !== undefined ? `fault=${e.fault}` : undefined,
    e.auth !== undefined ? `auth=${e.auth}` : undefined,
  ].filter((part) => part !== undefined);
  const target = e.query === '' ? e.path : `${e.path}?${e.query}`;
  return `${e.time.toISOString()} ${e.method} ${target} ${e.status} ${extras.join(' ')}`.trimEnd();
}

const sim = await startApigSimulator({
  port,
  projects: [projectId],
  projectNames: { [projectName]: projectId },
  accessKeys: [{ ak, sk }],
  users: [user],
  staticTokens: [staticToken],
  onRequest: (entry) => console.log(logLine(entry)),
});
seeds.forEach((id, i) => sim.seedCertificate({ id, name: `seeded_certificate_${i + 1}` }));
for (const [instanceId, groupId, domain] of domains) {
  sim.seedDomain({ instanceId: instanceId!, groupId: groupId!, domain: domain! });
}

console.log(`APIG simulator listening on ${sim.url} (APIG /apigw/ and ROMA /apic/, IAM /v3/auth/tokens)
project ${projectId} (${projectName}); seeded certificates: ${seeds.length > 0 ? seeds.join(', ') : 'none (set SIM_SEED=id1,id2)'}
domains: ${domains.length > 0 ? domains.map((parts) => parts.join('/')).join(', ') : 'none (set SIM_DOMAINS=gateway/group/domain,...)'}

Point the operator at it with the common lines and ONE of the three credential blocks:
  APIG_ENDPOINT=${sim.url}
  APIG_SERVICE=apig            # or roma: both prefixes are served
  HUAWEICLOUD_SDK_PROJECT_ID=${projectId}
  # AK/SK signing
  HUAWEICLOUD_SDK_AK=${ak}
  HUAWEICLOUD_SDK_SK=${sk}
  # IAM password token
  HUAWEICLOUD_IAM_ENDPOINT=${sim.url}
  HUAWEICLOUD_USERNAME=${user.name}
  HUAWEICLOUD_PASSWORD=${user.password}
  HUAWEICLOUD_DOMAIN_NAME=${user.domain}
  HUAWEICLOUD_PROJECT_NAME=${projectName}
  # fixed token
  APIG_AUTH_TOKEN=${staticToken}

These are the simulator's own throw-away credentials. Ctrl-C stops it.`);

const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('apig-simulator: error while closing', error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
