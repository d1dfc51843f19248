/**
 * Where the running `npm start` leaves what the project's CLIs need to find it: .offline/ (endpoints.json, the
 * development issuer's key pair). SHOPWAVE_OFFLINE_DIR moves it, so a test can start its own platform and run the
 * real CLIs against it (test/e2e/acceptance.test.ts) without touching a developer's running one.
 */
import path from 'node:path';

export const OFFLINE_DIR = process.env.SHOPWAVE_OFFLINE_DIR
  ? path.resolve(process.env.SHOPWAVE_OFFLINE_DIR)
  : path.join(import.meta.dirname, '..', '.offline');
export const ENDPOINTS_FILE = path.join(OFFLINE_DIR, 'endpoints.json');
