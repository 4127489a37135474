/**
 * Fake Microsoft Entra ID (identity platform + Graph) for tests, the benchmark
 * and `roster demo`. Start: `const fake = await FakeEntra.start()`, then give
 * the provider `fake.connection()`; mutate `fake.directory`; program faults on
 * `fake` (throttle, failPage, hang, setLatency, expireDeltaTokens, revoke).
 */
export { FakeEntra, type FakeEntraOptions, type GraphPermission, type RequestLogEntry } from './server.js';
export { FakeDirectory, type FakeGroup, type FakeUser, type FakeUserProps, type MemberKind } from './directory.js';
export { generateDirectory, type GenerateOptions } from './generate.js';
