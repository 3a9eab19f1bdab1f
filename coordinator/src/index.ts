export { buildApp, type BuildAppOptions, type CoordinatorApp } from './app.ts';
export { loadConfig, configHelp, parseFlags, type CoordinatorConfig } from './config.ts';
export { pickWorker, type PlacementCandidate } from './placement/pick-worker.ts';
export { deviceFits, mayCheck, mayWork } from './placement/eligibility.ts';
