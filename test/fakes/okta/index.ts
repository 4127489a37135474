/** The fake Okta org: start it, program its directory, point a provider at `fake.url`. */
export { FakeOkta, startFakeOkta, type FakeOktaOptions, type Fault, type LoggedRequest, type RateLimit, type Route } from './server.js';
export { FakeDirectory, type FakeGroup, type FakeUser, type NewGroup, type NewUser, type OktaGroupType, type OktaUserStatus } from './directory.js';
export { generateDirectory, prng, type GeneratedDirectoryOptions } from './large.js';
export type { FakeOAuthClient } from './oauth.js';
export { collect, collectUntilError, fakeOktaContext, groupsOf, membersOf, usersOf, type Collected, type ContextOptions } from './harness.js';
export { FakeSystemLog, type FakeLogEvent, type LogTarget } from './system-log.js';
