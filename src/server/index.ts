export { buildServer, tokenMatches, type ServerOptions } from './app.js';
export { startServer, type RunningServer } from './serve.js';
