/** The fake Keycloak: start it, program its realm, point a provider at `fake.url` (realm `acme`, client `roster-sync` / `test-secret`). */
export { FakeKeycloak, startFakeKeycloak, type Fault, type FakeKeycloakOptions, type FakeServiceClient, type LoggedRequest, type Role, type Route } from './server.js';
export { FakeKeycloakRealm, type FakeAdminEvent, type FakeKcGroup, type FakeKcUser, type NewKcUser } from './directory.js';
export { drain, fakeKeycloakContext, recordingLogger, type ContextOptions } from './harness.js';
export { generateRealm, LargeKeycloakRealm, type GeneratedRealmOptions } from './large.js';
