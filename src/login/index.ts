export { LoginSyncService, type LoginSyncAnswer, type LoginSyncDeps } from './service.js';
export { planLoginSync, type LoginPlan, type LoginPlanInput } from './plan.js';
export type { LoginLookup } from '../core/store/index.js';
