// Just enough of the Dockerfile syntax to check the image's essentials
// without a Docker engine: instructions (comments dropped, continuation
// lines joined), stages, exec-form commands, KEY=value lists and COPY.

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions in order. Parser directives and comments are dropped; `\` joins lines. */
export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    // A comment line inside a continued instruction is dropped too, as Docker does.
    if (line.startsWith('#')) continue;
    if (line === '' && pending === '') continue;
    const continued = line.endsWith('\\');
    pending += `${continued ? line.slice(0, -1).trimEnd() : line} `;
    if (continued) continue;
    const match = /^(\S+)\s*([\s\S]*)$/.exec(pending.trim());
    pending = '';
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  }
  return instructions;
}

/** Stages, split at each FROM (`FROM [--platform=...] image [AS name]`). */
export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({
        image: words[0] ?? '',
        name: as >= 0 ? words[as + 1] : undefined,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The exec form `["a", "b"]` as an array; undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `KEY=value KEY2="quoted value"` (LABEL, ENV, ARG) as a map; the legacy `ENV KEY value` too. */
export function keyValues(args: string): Map<string, string> {
  const pairs = new Map<string, string>();
  if (!/^[^\s=]+=/.test(args)) {
    const [key, ...value] = args.split(/\s+/);
    if (key) pairs.set(key, value.join(' '));
    return pairs;
  }
  for (const match of args.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = match[2]!;
    pairs.set(match[1]!, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return pairs;
}

export interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
}

export interface PackageJson {
  name: string;
  version: string;
  license: string;
  main: string;
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
}

export interface ImageUser {
  uid: number;
  gid: number | undefined;
}

const OCI_LABELS = [
  'org.opencontainers.image.title',
  'org.opencontainers.image.description',
  'org.opencontainers.image.licenses',
  'org.opencontainers.image.version',
];

/** The numeric USER of the final stage, if there is one. */
export function imageUser(text: string): ImageUser | undefined {
  const user = parseStages(text)
    .at(-1)
    ?.instructions.filter((i) => i.keyword === 'USER')
    .at(-1)?.args;
  const match = user === undefined ? null : /^(\d+)(?::(\d+))?$/.exec(user);
  return match
    ? { uid: Number(match[1]), gid: match[2] ? Number(match[2]) : undefined }
    : undefined;
}

/**
 * What is wrong with the image a Dockerfile builds, against the project's
 * essentials; empty when nothing is. Each problem is one sentence.
 */
export function essentialProblems(text: string, pkg: PackageJson): string[] {
  const problems: string[] = [];
  const stages = parseStages(text);
  const final = stages.at(-1);
  if (!final) return ['no FROM'];
  const all = stages.flatMap((s) => s.instructions);
  const of = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword);

  if (stages.length < 2) problems.push('not multi-stage');
  const nodeMajor = /\d+/.exec(pkg.devDependencies.node ?? '')?.[0];
  for (const stage of stages) {
    if (!new RegExp(`^node:${nodeMajor}(?:[.-]|$)`).test(stage.image)) {
      problems.push(`stage ${stage.name ?? '(final)'} is not on Node ${nodeMajor}: ${stage.image}`);
    }
  }

  const buildStages = new Set(stages.slice(0, -1).map((s) => s.name));
  const fromBuild = of('COPY')
    .map((i) => parseCopy(i.args))
    .filter((c) => c.from !== undefined && buildStages.has(c.from));
  if (!fromBuild.some((c) => c.sources.some((s) => s.replace(/\/$/, '').endsWith('/dist')))) {
    problems.push('the final stage does not copy dist/ from a build stage');
  }

  const env = new Map(of('ENV').flatMap((i) => [...keyValues(i.args)]));
  if (env.get('NODE_ENV') !== 'production') problems.push('NODE_ENV is not production');

  // The build stages install from the lock file without install scripts;
  // the final stage runs the bundle alone, with no package installed or copied.
  const building = stages.slice(0, -1).flatMap((s) => s.instructions);
  const installs = building
    .filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args))
    .map((i) => i.args);
  if (installs.length === 0) problems.push('no npm install in a build stage');
  for (const install of installs) {
    if (!/\bnpm ci\b/.test(install))
      problems.push('a build stage installs with npm install, not npm ci');
    if (!/--ignore-scripts\b/.test(install)) problems.push('a build stage runs install scripts');
  }
  const buildCopies = building
    .filter((i) => i.keyword === 'COPY')
    .flatMap((i) => parseCopy(i.args).sources);
  if (!buildCopies.includes('package-lock.json')) {
    problems.push('no build stage copies package-lock.json');
  }
  if (of('RUN').some((i) => /\bnpm\b/.test(i.args))) {
    problems.push('the final stage runs npm (the bundle needs no node_modules)');
  }
  const finalCopies = of('COPY').flatMap((i) => parseCopy(i.args).sources);
  if (finalCopies.some((s) => /(^|\/)node_modules\/?$/.test(s))) {
    problems.push('the final stage copies node_modules (the bundle needs none)');
  }

  const user = imageUser(text);
  if (!user) problems.push('no numeric USER in the final stage');
  else if (user.uid === 0) problems.push('USER is root');

  const entrypoint = of('ENTRYPOINT').at(-1)?.args;
  const cmd = of('CMD').at(-1)?.args;
  const entry = entrypoint === undefined ? [] : execForm(entrypoint);
  const command = cmd === undefined ? [] : execForm(cmd);
  if (!entry || !command) problems.push('ENTRYPOINT/CMD are not in exec form');
  else {
    const runs = [...entry, ...command].join(' ');
    if (runs !== `node ${pkg.main}`)
      problems.push(`the image runs "${runs}", not node ${pkg.main}`);
    if (runs !== pkg.scripts.start)
      problems.push(`the image runs "${runs}", npm start runs "${pkg.scripts.start}"`);
  }

  if (all.some((i) => i.keyword === 'HEALTHCHECK')) {
    problems.push('HEALTHCHECK present (Kubernetes probes do that)');
  }

  const labels = new Map(of('LABEL').flatMap((i) => [...keyValues(i.args)]));
  for (const label of OCI_LABELS) {
    if (!labels.get(label)) problems.push(`label ${label} missing`);
  }
  if (labels.has(OCI_LABELS[0]!) && labels.get(OCI_LABELS[0]!) !== pkg.name) {
    problems.push('the title label is not the package name');
  }
  if (labels.has(OCI_LABELS[2]!) && labels.get(OCI_LABELS[2]!) !== pkg.license) {
    problems.push('the licenses label is not the package license');
  }
  return problems;
}

/**
 * The paths a `.dockerignore` of the allow-list form (`*`, then `!path`
 * lines) lets into the build context; undefined when it is not of that form.
 */
export function contextAllowList(dockerignore: string): string[] | undefined {
  const lines = dockerignore
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (lines[0] !== '*' || !lines.slice(1).every((l) => l.startsWith('!'))) return undefined;
  return lines.slice(1).map((l) => l.slice(1).replace(/\/$/, ''));
}

/** Sources of COPY/ADD instructions that read the build context (not `--from` a stage). */
export function contextSources(text: string): string[] {
  return parseInstructions(text)
    .filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')
    .map((i) => parseCopy(i.args))
    .filter((c) => c.from === undefined)
    .flatMap((c) => c.sources.map((s) => s.replace(/^\.\//, '').replace(/\/$/, '')));
}
