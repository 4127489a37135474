/**
 * The fake Google Workspace (Admin SDK Directory API + OAuth token endpoint).
 *
 *   const fake = await startFakeGoogle({ directory: createLargeGoogleDirectory() });
 *   const key = fake.createServiceAccount();            // JSON key, both read-only scopes delegated
 *   settings: { subject: <an admin's email>, rootUrl: fake.rootUrl, tokenUrl: fake.tokenUrl }
 *   fake.directory.addUser / suspendUser / deleteUser / addGroup / addMember ...
 *   fake.addFault({ endpoint: 'users', kind: 'rateLimitExceeded', times: 2 });
 *   fake.count('members'); fake.maxConcurrentMembers; await fake.close();
 */
export { FakeGoogleDirectory, type FakeGroup, type FakeMember, type FakeMemberType, type FakeUser } from './directory.js';
export { createLargeGoogleDirectory, type LargeDirectoryOptions } from './large.js';
export { FakeGoogleServer, startFakeGoogle, type FakeFault, type FakeFaultKind, type FakeGoogleEndpoint, type FakeRequestRecord } from './server.js';
export { GOOGLE_TOKEN_AUDIENCE, SCOPE_GROUP_READONLY, SCOPE_USER_READONLY, type ServiceAccountKey } from './token.js';
