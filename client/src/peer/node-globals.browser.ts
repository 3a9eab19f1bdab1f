// simple-peer and its dependencies (readable-stream, randombytes) expect Node's `process`, `Buffer` and
// `global`. Import this module before anything that loads simple-peer in a page or worker
// (peer-link.browser.ts does); Node tests do not need it.
import { Buffer } from 'buffer';
import process from 'process';

const scope: { process?: unknown; Buffer?: unknown; global?: unknown } = globalThis;
scope.global ??= globalThis;
scope.process ??= process;
scope.Buffer ??= Buffer;
