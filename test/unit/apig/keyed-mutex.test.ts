import { KeyedMutex } from '../../../src/apig/keyed-mutex.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs one function at a time per key, in call order', async () => {
    const mutex = new KeyedMutex();
    const gates = [deferred(), deferred(), deferred()];
    const events: string[] = [];
    const runs = gates.map((gate, i) =>
      mutex.run('cert-a', async () => {
        events.push(`start ${i}`);
        await gate.promise;
        events.push(`end ${i}`);
        return i;
      }),
    );
    await settle();
    expect(events).toEqual(['start 0']);
    gates[2]!.resolve();
    gates[1]!.resolve();
    await settle();
    expect(events).toEqual(['start 0']);
    gates[0]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(events).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs different keys concurrently', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const started: string[] = [];
    const a = mutex.run('a', async () => {
      started.push('a');
      await gate.promise;
    });
    const b = mutex.run('b', async () => {
      started.push('b');
      await gate.promise;
    });
    await settle();
    expect(started).toEqual(['a', 'b']);
    gate.resolve();
    await Promise.all([a, b]);
  });

  it('passes a failure to its caller and goes on with the next', async () => {
    const mutex = new KeyedMutex();
    const failing = mutex.run('k', () => Promise.reject(new Error('boom')));
    const next = mutex.run('k', () => Promise.resolve('ok'));
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('forgets keys once nothing runs for them', async () => {
    const mutex = new KeyedMutex();
    const gate = deferred();
    const running = mutex.run('k', () => gate.promise);
    const queued = mutex.run('k', () => Promise.resolve());
    expect(mutex.activeKeys).toBe(1);
    gate.resolve();
    await Promise.all([running, queued]);
    expect(mutex.activeKeys).toBe(0);
  });
});
