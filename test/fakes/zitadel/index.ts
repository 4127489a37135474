/** The fake Zitadel instance: start it, program its directory, point a provider at `fake.url`. */
export { FakeZitadel, startFakeZitadel, type Fault, type LoggedRequest, type Route, type ServiceAccountKey } from './server.js';
export { FakeZitadelDirectory, ORG_ID, type FakeEvent, type FakeGrant, type FakeProject, type FakeUser, type UserState } from './directory.js';
export { fakeZitadelContext } from './harness.js';
export { generateInstance, LargeFakeZitadel, startLargeFakeZitadel, type GeneratedInstanceOptions } from './large.js';
