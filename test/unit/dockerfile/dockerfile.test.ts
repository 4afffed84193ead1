// The container image's essentials, checked on the Dockerfile text (no
// Docker engine here): multi-stage on Node 24, the build stage installing from
// the lock file, a final stage of the bundle alone (no node_modules), non-root
// numeric user, the same entry point as package.json, no HEALTHCHECK, OCI
// labels; and the Deployment runs as the image's user.
import { readFileSync } from 'node:fs';
import { loadAllYaml, type V1Deployment } from '@kubernetes/client-node';
import {
  contextAllowList,
  contextSources,
  essentialProblems,
  execForm,
  imageUser,
  keyValues,
  parseCopy,
  parseInstructions,
  parseStages,
  type PackageJson,
} from './dockerfile.ts';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const dockerfile = read('Dockerfile');
const pkg = JSON.parse(read('package.json')) as PackageJson;

describe('the Dockerfile parser', () => {
  it.each([
    [
      'comments and blank lines are dropped',
      '# syntax=docker/dockerfile:1\n\n# hi\nUSER 1',
      [['USER', '1']],
    ],
    ['continuation lines are joined', 'RUN a \\\n  && b', [['RUN', 'a && b']]],
    [
      'a comment inside a continued line is dropped',
      'RUN a \\\n# note\n  && b',
      [['RUN', 'a && b']],
    ],
    ['keywords are case-insensitive', 'from node:24 as build', [['FROM', 'node:24 as build']]],
  ])('%s', (_, text, expected) => {
    expect(parseInstructions(text).map((i) => [i.keyword, i.args])).toEqual(expected);
  });

  it('splits stages at FROM, with their names', () => {
    const stages = parseStages(
      'FROM --platform=$B node:24 AS build\nRUN x\nFROM node:24-slim\nUSER 2',
    );
    expect(stages.map((s) => [s.image, s.name, s.instructions.length])).toEqual([
      ['node:24', 'build', 1],
      ['node:24-slim', undefined, 1],
    ]);
  });

  it.each([
    ['["node", "dist/main.js"]', ['node', 'dist/main.js']],
    ['node dist/main.js', undefined],
    ['["node", 1]', undefined],
  ])('exec form of %s', (args, expected) => {
    expect(execForm(args)).toEqual(expected);
  });

  it.each([
    ['A=1 B="two words" C=', { A: '1', B: 'two words', C: '' }],
    ['a.b.c="x \\"y\\""', { 'a.b.c': 'x "y"' }],
    ['NODE_ENV production', { NODE_ENV: 'production' }],
  ])('key=value list %s', (args, expected) => {
    expect(Object.fromEntries(keyValues(args))).toEqual(expected);
  });

  it('reads COPY sources, destination and --from', () => {
    expect(parseCopy('--from=build --chown=1:1 /app/dist ./dist')).toEqual({
      from: 'build',
      sources: ['/app/dist'],
      destination: './dist',
    });
  });
});

describe('the image the Dockerfile builds', () => {
  it('has every essential', () => {
    expect(essentialProblems(dockerfile, pkg)).toEqual([]);
  });

  // Each essential, broken on purpose, is reported: the check above can fail.
  it.each([
    ['single stage', (d: string) => d.slice(d.lastIndexOf('FROM ')), 'not multi-stage'],
    ['an older Node', (d: string) => d.replaceAll('node:24-', 'node:22-'), 'is not on Node 24'],
    [
      'no NODE_ENV',
      (d: string) => d.replace('ENV NODE_ENV=production', ''),
      'NODE_ENV is not production',
    ],
    [
      'an install in the final stage',
      (d: string) => d.replace(/^USER /m, 'RUN npm ci --omit=dev --ignore-scripts\nUSER '),
      'the final stage runs npm',
    ],
    [
      'node_modules copied into the final stage',
      (d: string) =>
        d.replace(/^USER /m, 'COPY --from=build /app/node_modules ./node_modules\nUSER '),
      'the final stage copies node_modules',
    ],
    [
      'install scripts',
      (d: string) => d.replace('npm ci --ignore-scripts', 'npm ci'),
      'a build stage runs install scripts',
    ],
    [
      'no lock file',
      (d: string) => d.replace('COPY package.json package-lock.json ./', 'COPY package.json ./'),
      'no build stage copies package-lock.json',
    ],
    ['root', (d: string) => d.replace(/^USER .*$/m, 'USER root'), 'no numeric USER'],
    ['uid 0', (d: string) => d.replace(/^USER .*$/m, 'USER 0:0'), 'USER is root'],
    [
      'another entry point',
      (d: string) => d.replace('dist/main.js"]', 'dist/index.js"]'),
      'not node dist/main.js',
    ],
    [
      'shell form',
      (d: string) => d.replace(/^ENTRYPOINT .*$/m, 'ENTRYPOINT node dist/main.js'),
      'not in exec form',
    ],
    [
      'a HEALTHCHECK',
      (d: string) => `${d}\nHEALTHCHECK CMD wget -q localhost:8080/healthz`,
      'HEALTHCHECK present',
    ],
    [
      'no OCI licenses label',
      (d: string) => d.replace(/org\.opencontainers\.image\.licenses="[^"]*"/, ''),
      'org.opencontainers.image.licenses missing',
    ],
    [
      'no dist from the build stage',
      (d: string) => d.replace('COPY --from=build /app/dist ./dist', ''),
      'does not copy dist/',
    ],
  ])('reports %s', (_, mutate, problem) => {
    const mutated = mutate(dockerfile);
    expect(mutated).not.toBe(dockerfile);
    expect(essentialProblems(mutated, pkg).join('\n')).toContain(problem);
  });
});

describe('the build context (.dockerignore)', () => {
  const allowed = contextAllowList(read('.dockerignore'));

  it('lets in only what the Dockerfile copies, and all of it', () => {
    expect(allowed).toBeDefined();
    expect([...new Set(contextSources(dockerfile))].sort()).toEqual([...allowed!].sort());
  });

  it('keeps node_modules, dist and local files out', () => {
    for (const path of ['node_modules', 'dist', '.git', 'test', '.env']) {
      expect(allowed).not.toContain(path);
    }
  });
});

describe('the Deployment in deploy/', () => {
  const deployment = (loadAllYaml(read('deploy/base/deployment.yaml')) as V1Deployment[])[0]!;
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers[0]!;
  const user = imageUser(dockerfile)!;

  it('runs the image as its own user and group (65532), as non-root', () => {
    expect(user).toEqual({ uid: 65532, gid: 65532 });
    for (const context of [pod.securityContext!, container.securityContext!]) {
      expect(context.runAsNonRoot).toBe(true);
      expect(context.runAsUser).toBe(user.uid);
      expect(context.runAsGroup).toBe(user.gid);
    }
    expect(pod.securityContext!.fsGroup).toBe(user.gid);
  });

  it("runs the image's entry point, not a command of its own", () => {
    expect(container.command).toBeUndefined();
    expect(container.args).toBeUndefined();
    expect(container.image).toMatch(new RegExp(`:${pkg.version.replaceAll('.', '\\.')}$`));
  });

  it('locks the container down: read-only root, no escalation, no capabilities, RuntimeDefault seccomp', () => {
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext!.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });
});
