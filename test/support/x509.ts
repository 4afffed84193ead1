// The one way test code loads @peculiar/x509: after the Reflect polyfill it
// needs (see reflect-metadata.ts), and dynamically, because Jest links static
// imports of CommonJS packages before evaluating any module body.
import './reflect-metadata.ts';
import { webcrypto } from 'node:crypto';

export const x509 = await import('@peculiar/x509');
// Node's WebCrypto from node:crypto: the same object inside Jest's VM realm.
x509.cryptoProvider.set(webcrypto);
