// Integration tests wait on real processes: a longer per-test timeout than
// unit tests get (testTimeout is not a per-project option in Jest).
import { jest } from '@jest/globals';

jest.setTimeout(120_000);
