import { startTracking, snapshot } from './dist/testing/capture.js';
