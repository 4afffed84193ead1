// For the developer commands (demo, bench): undo what they started, in
// reverse order, whether they finish, fail, or are stopped with Ctrl-C.

const cleanups: (() => unknown)[] = [];
let exiting: Promise<void> | undefined;

/** Runs at exit, after every cleanup added later. */
export function atExit(cleanup: () => unknown): void {
  cleanups.push(cleanup);
}

/** Runs every cleanup once (a failing one does not stop the rest), then exits with `code`. */
export function exitAfterCleanup(code: number): Promise<void> {
  exiting ??= (async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // best effort: keep removing the rest
      }
    }
    process.exit(code);
  })();
  return exiting;
}

process.on('SIGINT', () => void exitAfterCleanup(130));
process.on('SIGTERM', () => void exitAfterCleanup(143));
