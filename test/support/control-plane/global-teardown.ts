// Closing the daemon's stdin tells it to stop the control plane and remove its folder.
export default async function globalTeardown(): Promise<void> {
  const daemon = globalThis.controlPlaneDaemon;
  if (!daemon || daemon.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.stdin?.end();
  const timer = setTimeout(() => daemon.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
