export { provisionUser, SCIM_NOTHING_TO_FETCH, type ProvisionDeps, type ProvisionRequest, type ProvisionResult, type ProvisionedUser } from './run.js';
export { planProvision, PROVISION_STEPS, type ProvisionInput, type ProvisionOutcome, type ProvisionPlan, type ProvisionStep } from './plan.js';
