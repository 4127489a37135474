/** The fake JumpCloud: start it, program its organisation, point a provider at `fake.url` and `fake.insightsUrl`. */
export { FakeJumpCloud, startFakeJumpCloud, type FakeJumpCloudOptions, type Fault, type LoggedRequest, type Route } from './server.js';
export { FakeOrg, type FakeEvent, type FakeGroup, type FakeUser, type NewUser, type UserState } from './directory.js';
export { fakeJumpCloudContext } from './harness.js';
export { generateOrg, LargeOrg, type GeneratedOrgOptions } from './large.js';
