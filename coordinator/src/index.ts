export { buildApp, type BuildAppOptions, type CoordinatorApp } from './app.ts';
export { loadConfig, configHelp, parseFlags, type CoordinatorConfig } from './config.ts';
export { pickWorker, deviceFits, type PlacementCandidate } from './scheduling/pick-worker.ts';
